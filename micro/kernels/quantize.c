/* QUANTIZE: float32 -> int8/int16 (round half away from zero, saturating),
 * and requantization between quantized types: int8 -> int8/uint8/int16/int32,
 * uint8 -> int8, int16 -> int8/int16/int32, int32 -> int8/int16.
 * The output is quantized per tensor. */
#include <stddef.h>
#include <stdint.h>

#include "mf_kernel.h"
#include "quant_util.h"

typedef struct quantize_data {
  uint32_t count;
  float scale;        /* float input: the output scale */
  int32_t multiplier; /* requantization: input scale / output scale */
  int32_t shift;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t out_min;
  int32_t out_max;
  uint8_t in_dtype;
  uint8_t out_dtype;
} quantize_data;

static int requantize_supported(mf_dtype in, mf_dtype out) {
  switch (in) {
    case MF_INT8:
      return out == MF_INT8 || out == MF_UINT8 || out == MF_INT16 || out == MF_INT32;
    case MF_UINT8: return out == MF_INT8;
    case MF_INT16: return out == MF_INT8 || out == MF_INT16 || out == MF_INT32;
    case MF_INT32: return out == MF_INT8 || out == MF_INT16;
    default: return 0;
  }
}

static mf_status quantize_prepare(mf_kernel_ctx *ctx) {
  if (mf_num_inputs(ctx) != 1 || mf_num_outputs(ctx) != 1) {
    return mf_kernel_error(ctx, "needs 1 input and 1 output");
  }
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *output = mf_output(ctx, 0);
  if (input == NULL || output == NULL) return mf_kernel_error(ctx, "missing input or output");
  const mf_dtype in_type = (mf_dtype)input->dtype;
  const mf_dtype out_type = (mf_dtype)output->dtype;
  const int from_float = in_type == MF_FLOAT32 && (out_type == MF_INT8 || out_type == MF_INT16);
  if (!from_float && !requantize_supported(in_type, out_type)) {
    return mf_kernel_error(ctx, "%s to %s is not supported", mf_dtype_name(in_type),
                           mf_dtype_name(out_type));
  }
  if (mf_tensor_elements(output) != mf_tensor_elements(input)) {
    return mf_kernel_error(ctx, "output and input sizes differ");
  }
  mf_quant oq;
  if (mf_output_quant(ctx, 0, &oq) != MF_OK || oq.channels != 1) {
    return mf_kernel_error(ctx, "output needs per-tensor quantization");
  }
  if (!(oq.scale > 0.0f) || !mf_isfinite((double)oq.scale)) {
    return mf_kernel_error(ctx, "output scale must be positive and finite");
  }
  quantize_data *d = (quantize_data *)mf_alloc_persistent(ctx, sizeof(quantize_data));
  if (d == NULL) return MF_ERR_ARENA_TOO_SMALL;
  d->count = (uint32_t)mf_tensor_elements(input);
  d->scale = oq.scale;
  d->multiplier = 0;
  d->shift = 0;
  d->input_zero_point = 0;
  d->output_zero_point = oq.zero_point;
  d->in_dtype = (uint8_t)in_type;
  d->out_dtype = (uint8_t)out_type;
  switch (out_type) {
    case MF_INT8: d->out_min = INT8_MIN; d->out_max = INT8_MAX; break;
    case MF_UINT8: d->out_min = 0; d->out_max = UINT8_MAX; break;
    case MF_INT16: d->out_min = INT16_MIN; d->out_max = INT16_MAX; break;
    default: d->out_min = INT32_MIN; d->out_max = INT32_MAX; break;
  }
  mf_set_op_data(ctx, d);
  if (from_float) return MF_OK;

  mf_quant iq;
  if (mf_input_quant(ctx, 0, &iq) != MF_OK || iq.channels != 1) {
    return mf_kernel_error(ctx, "input needs per-tensor quantization");
  }
  if (!(iq.scale > 0.0f) || !mf_isfinite((double)iq.scale)) {
    return mf_kernel_error(ctx, "input scale must be positive and finite");
  }
  int32_t shift;
  if (mf_quantize_multiplier((double)iq.scale / (double)oq.scale, &d->multiplier, &shift) !=
          MF_OK ||
      shift > 31) {
    return mf_kernel_error(ctx, "input/output scale ratio is out of range");
  }
  d->shift = shift;
  d->input_zero_point = iq.zero_point;
  return MF_OK;
}

static inline int32_t requantize_one(const quantize_data *d, int32_t x) {
  const int32_t scaled = mf_mul_by_quantized_multiplier(mf_wrap_sub(x, d->input_zero_point),
                                                        d->multiplier, d->shift);
  return mf_clamp_i32(mf_wrap_add(scaled, d->output_zero_point), d->out_min, d->out_max);
}

/* round(value / scale) + zero point, saturated to [lo, hi]; NaN gives the
 * zero point. */
static inline int32_t quantize_one(float value, float scale, int32_t zero_point, int32_t lo,
                                   int32_t hi) {
  const float q = mf_roundf(value / scale);
  int64_t v;
  if (q >= 2147483647.0f) {
    v = INT32_MAX;
  } else if (q <= -2147483648.0f) {
    v = INT32_MIN;
  } else if (q == q) {
    v = (int32_t)q;
  } else {
    v = 0;
  }
  v += zero_point;
  return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

static mf_status quantize_invoke(mf_kernel_ctx *ctx) {
  const quantize_data *d = (const quantize_data *)mf_op_data(ctx);
  const void *in = mf_input(ctx, 0)->data;
  void *out = mf_output(ctx, 0)->data;
  const uint32_t n = d->count;
  if (d->in_dtype == MF_FLOAT32) {
    const float *x = (const float *)in;
    if (d->out_dtype == MF_INT8) {
      int8_t *y = (int8_t *)out;
      for (uint32_t i = 0; i < n; ++i) {
        y[i] = (int8_t)quantize_one(x[i], d->scale, d->output_zero_point, INT8_MIN, INT8_MAX);
      }
    } else {
      int16_t *y = (int16_t *)out;
      for (uint32_t i = 0; i < n; ++i) {
        y[i] = (int16_t)quantize_one(x[i], d->scale, d->output_zero_point, INT16_MIN, INT16_MAX);
      }
    }
    return MF_OK;
  }
#define REQUANTIZE_LOOP(TI, TO)                                    \
  do {                                                             \
    const TI *x = (const TI *)in;                                  \
    TO *y = (TO *)out;                                             \
    for (uint32_t i = 0; i < n; ++i) y[i] = (TO)requantize_one(d, x[i]); \
  } while (0)
  const int pair = d->in_dtype * 32 + d->out_dtype;
  switch (pair) {
    case MF_INT8 * 32 + MF_INT8: REQUANTIZE_LOOP(int8_t, int8_t); break;
    case MF_INT8 * 32 + MF_UINT8: REQUANTIZE_LOOP(int8_t, uint8_t); break;
    case MF_INT8 * 32 + MF_INT16: REQUANTIZE_LOOP(int8_t, int16_t); break;
    case MF_INT8 * 32 + MF_INT32: REQUANTIZE_LOOP(int8_t, int32_t); break;
    case MF_UINT8 * 32 + MF_INT8: REQUANTIZE_LOOP(uint8_t, int8_t); break;
    case MF_INT16 * 32 + MF_INT8: REQUANTIZE_LOOP(int16_t, int8_t); break;
    case MF_INT16 * 32 + MF_INT16: REQUANTIZE_LOOP(int16_t, int16_t); break;
    case MF_INT16 * 32 + MF_INT32: REQUANTIZE_LOOP(int16_t, int32_t); break;
    case MF_INT32 * 32 + MF_INT8: REQUANTIZE_LOOP(int32_t, int8_t); break;
    default: REQUANTIZE_LOOP(int32_t, int16_t); break;
  }
#undef REQUANTIZE_LOOP
  return MF_OK;
}

const mf_op_registration mf_op_quantize = {
    114, 3, "QUANTIZE", NULL, quantize_prepare, quantize_invoke, NULL,
};
