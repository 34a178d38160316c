/* LEAKY_RELU: x for x > 0, alpha * x otherwise. int8/int16 use two
 * multipliers, one per branch (alpha may be negative or above one). */
#include "kernel_util.h"
#include "mf_ops.h"
#include "quant_util.h"

typedef struct leaky_relu_data {
  float alpha;
  int32_t in_zp;
  int32_t out_zp;
  int32_t mult_identity;
  int32_t mult_alpha; /* magnitude; the sign is in alpha_negative */
  int8_t shift_identity;
  int8_t shift_alpha;
  uint8_t alpha_negative;
} leaky_relu_data;

static mf_status leaky_relu_prepare(mf_kernel_ctx *ctx) {
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
  leaky_relu_data d = {0};
  d.alpha = mf_option_f32(ctx, 0, 0.0f);
  if (!mf_isfinite((double)d.alpha)) return mf_kernel_error(ctx, "alpha is not finite");
  if (dtype == MF_INT8 || dtype == MF_INT16) {
    float in_scale, out_scale;
    if ((status = mf_tensor_qparams(ctx, 0, 0, &in_scale, &d.in_zp)) != MF_OK ||
        (status = mf_tensor_qparams(ctx, 1, 0, &out_scale, &d.out_zp)) != MF_OK) {
      return status;
    }
    const double alpha_real = (double)in_scale * (double)d.alpha / (double)out_scale;
    const double identity_real = (double)in_scale / (double)out_scale;
    int32_t mult;
    int32_t shift;
    if (mf_quantize_multiplier(identity_real, &d.mult_identity, &shift) != MF_OK || shift > 31) {
      return mf_kernel_error(ctx, "input/output scales out of range");
    }
    d.shift_identity = (int8_t)shift;
    if (mf_quantize_multiplier(alpha_real, &mult, &shift) != MF_OK || shift > 31) {
      return mf_kernel_error(ctx, "alpha scale out of range");
    }
    d.alpha_negative = mult < 0;
    d.mult_alpha = mult < 0 ? (int32_t)(0u - (uint32_t)mult) : mult;
    d.shift_alpha = (int8_t)shift;
  } else if (dtype != MF_FLOAT32) {
    return mf_kernel_error(ctx, "%s not supported", mf_dtype_name(dtype));
  }
  leaky_relu_data *data = (leaky_relu_data *)mf_alloc_persistent(ctx, sizeof *data);
  if (data == NULL) return MF_ERR_ARENA_TOO_SMALL;
  *data = d;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

#define LEAKY_RELU_QUANT(NAME, T, TMIN, TMAX)                                       \
  static void NAME(const leaky_relu_data *d, const T *in, T *out, size_t n) {       \
    const int32_t in_zp = d->in_zp, out_zp = d->out_zp;                             \
    const int32_t mi = d->mult_identity, ma = d->mult_alpha;                        \
    const int si = d->shift_identity, sa = d->shift_alpha;                          \
    const int negative = d->alpha_negative;                                         \
    for (size_t i = 0; i < n; ++i) {                                                \
      const int32_t v = in[i] - in_zp;                                              \
      int32_t r;                                                                    \
      if (v >= 0) {                                                                 \
        r = mf_add_wrap(out_zp, mf_mul_by_quantized_multiplier(v, mi, si));         \
      } else {                                                                      \
        const int32_t scaled = mf_mul_by_quantized_multiplier(v, ma, sa);           \
        r = negative ? (int32_t)((uint32_t)out_zp - (uint32_t)scaled)               \
                     : mf_add_wrap(out_zp, scaled);                                 \
      }                                                                             \
      out[i] = (T)mf_clamp_i32(r, TMIN, TMAX);                                      \
    }                                                                               \
  }

LEAKY_RELU_QUANT(leaky_relu_i8, int8_t, INT8_MIN, INT8_MAX)
LEAKY_RELU_QUANT(leaky_relu_i16, int16_t, INT16_MIN, INT16_MAX)

static mf_status leaky_relu_invoke(mf_kernel_ctx *ctx) {
  const leaky_relu_data *d = (const leaky_relu_data *)mf_op_data(ctx);
  const mf_tensor *in = mf_input(ctx, 0);
  mf_tensor *out = mf_output(ctx, 0);
  const size_t n = mf_tensor_elements(in);
  switch (in->dtype) {
    case MF_FLOAT32: {
      const float *x = (const float *)in->data;
      float *y = (float *)out->data;
      const float alpha = d->alpha;
      for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        y[i] = v > 0.0f ? v : v * alpha;
      }
    } break;
    case MF_INT8:
      leaky_relu_i8(d, (const int8_t *)in->data, (int8_t *)out->data, n);
      break;
    default:
      leaky_relu_i16(d, (const int16_t *)in->data, (int16_t *)out->data, n);
      break;
  }
  return MF_OK;
}

const mf_op_registration mf_op_leaky_relu = {98, 2, "LEAKY_RELU", NULL, leaky_relu_prepare,
                                             leaky_relu_invoke, NULL};
