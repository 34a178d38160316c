/* RELU6: min(max(x, 0), 6). float32; int8/int16 clamp the raw values to the
 * input's quantized 0 and 6 (no requantization, as TFLite Micro). */
#include "kernel_util.h"
#include "mf_ops.h"
#include "quant_util.h"

typedef struct relu6_data {
  int32_t zero;
  int32_t six;
} relu6_data;

static mf_status relu6_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 1, 1, 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  const mf_dtype dtype = (mf_dtype)in->dtype;
  if (out->dtype != dtype) {
    return mf_kernel_error(ctx, "%s input, %s output", mf_dtype_name(dtype),
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  if (mf_tensor_elements(in) != mf_tensor_elements(out)) {
    return mf_kernel_error(ctx, "input and output sizes differ");
  }
  if (dtype == MF_FLOAT32) return MF_OK;
  if (dtype != MF_INT8 && dtype != MF_INT16) {
    return mf_kernel_error(ctx, "%s not supported", mf_dtype_name(dtype));
  }
  float scale;
  int32_t zp;
  status = mf_tensor_qparams(ctx, 0, 0, &scale, &zp);
  if (status != MF_OK) return status;
  const int32_t qmax = dtype == MF_INT8 ? INT8_MAX : INT16_MAX;
  /* zero point + round(6 / scale), saturated to the type. */
  const float steps = mf_roundf(6.0f / scale);
  const float six = steps + (float)zp;
  relu6_data *data = (relu6_data *)mf_alloc_persistent(ctx, sizeof *data);
  if (data == NULL) return MF_ERR_ARENA_TOO_SMALL;
  data->zero = zp;
  data->six = six >= (float)qmax ? qmax : (int32_t)steps + zp;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static mf_status relu6_invoke(mf_kernel_ctx *ctx) {
  const mf_tensor *in = mf_input(ctx, 0);
  mf_tensor *out = mf_output(ctx, 0);
  const size_t n = mf_tensor_elements(in);
  switch (in->dtype) {
    case MF_FLOAT32: {
      const float *x = (const float *)in->data;
      float *y = (float *)out->data;
      for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        y[i] = v > 6.0f ? 6.0f : (v < 0.0f ? 0.0f : v);
      }
    } break;
    case MF_INT8: {
      const relu6_data *d = (const relu6_data *)mf_op_data(ctx);
      const int8_t lo = (int8_t)d->zero;
      const int8_t hi = (int8_t)d->six;
      const int8_t *x = (const int8_t *)in->data;
      int8_t *y = (int8_t *)out->data;
      for (size_t i = 0; i < n; ++i) {
        const int8_t v = x[i];
        y[i] = v > hi ? hi : (v < lo ? lo : v);
      }
    } break;
    default: {
      const relu6_data *d = (const relu6_data *)mf_op_data(ctx);
      const int16_t lo = (int16_t)d->zero;
      const int16_t hi = (int16_t)d->six;
      const int16_t *x = (const int16_t *)in->data;
      int16_t *y = (int16_t *)out->data;
      for (size_t i = 0; i < n; ++i) {
        const int16_t v = x[i];
        y[i] = v > hi ? hi : (v < lo ? lo : v);
      }
    } break;
  }
  return MF_OK;
}

const mf_op_registration mf_op_relu6 = {21, 3, "RELU6", NULL, relu6_prepare, relu6_invoke,
                                        NULL};
