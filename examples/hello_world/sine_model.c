/* hello_world: quantize x, run the int8 sine model, dequantize y. */
#include "sine_model.h"

static int8_t quantize(float value, float scale, int32_t zero_point) {
  float scaled = value / scale;
  int32_t q = (int32_t)(scaled >= 0.0f ? scaled + 0.5f : scaled - 0.5f) + zero_point;
  if (q < -128) q = -128;
  if (q > 127) q = 127;
  return (int8_t)q;
}

static mf_status fail(sine_model *sm, mf_status status, const char *why) {
  sm->error = why;
  return status;
}

mf_status sine_model_init(sine_model *sm, const uint8_t *data, size_t size) {
  sm->error = "";
  mf_status status = mf_model_map(&sm->model, data, size);
  if (status != MF_OK) return fail(sm, status, mf_model_error(&sm->model));
  mf_resolver_init(&sm->ops, sm->op_storage, 1);
  status = mf_resolver_add(&sm->ops, &mf_op_fully_connected);
  if (status != MF_OK) return fail(sm, status, "cannot register FULLY_CONNECTED");
  status = mf_interpreter_init(&sm->interpreter, &sm->model, &sm->ops, sm->arena,
                               sizeof sm->arena);
  if (status == MF_OK) status = mf_interpreter_allocate(&sm->interpreter);
  if (status != MF_OK) return fail(sm, status, mf_interpreter_error(&sm->interpreter));

  mf_tensor_info in, out;
  if (mf_interpreter_input_count(&sm->interpreter) != 1 ||
      mf_interpreter_output_count(&sm->interpreter) != 1) {
    return fail(sm, MF_ERR_MODEL_INVALID, "the model must have one input and one output");
  }
  mf_interpreter_input(&sm->interpreter, 0, &in);
  mf_interpreter_output(&sm->interpreter, 0, &out);
  if (in.dtype != MF_INT8 || out.dtype != MF_INT8 || in.bytes != 1 || out.bytes != 1) {
    return fail(sm, MF_ERR_MODEL_INVALID, "input and output must be one int8 value each");
  }
  sm->input = (int8_t *)in.data;
  sm->output = (const int8_t *)out.data;
  sm->input_scale = in.quant.scale;
  sm->input_zero_point = in.quant.zero_point;
  sm->output_scale = out.quant.scale;
  sm->output_zero_point = out.quant.zero_point;
  return MF_OK;
}

mf_status sine_model_predict(sine_model *sm, float x, float *y) {
  *sm->input = quantize(x, sm->input_scale, sm->input_zero_point);
  mf_status status = mf_interpreter_invoke(&sm->interpreter);
  if (status != MF_OK) return fail(sm, status, mf_interpreter_error(&sm->interpreter));
  *y = (float)((int32_t)*sm->output - sm->output_zero_point) * sm->output_scale;
  return MF_OK;
}

const char *sine_model_error(const sine_model *sm) {
  return sm->error;
}
