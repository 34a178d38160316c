/* RELU: max(x, 0). float32; int8/int16 requantize from the input to the
 * output scale (int16 needs zero points of 0) and clamp below at the output
 * zero point. */
#include "kernel_util.h"
#include "mf_ops.h"
#include "quant_util.h"

typedef struct relu_data {
  int32_t in_zp;
  int32_t out_zp;
  int32_t mult;
  int32_t shift;
  int32_t act_min;
  int32_t act_max;
} relu_data;

static mf_status relu_prepare(mf_kernel_ctx *ctx) {
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
  relu_data d;
  float in_scale, out_scale;
  if ((status = mf_tensor_qparams(ctx, 0, 0, &in_scale, &d.in_zp)) != MF_OK ||
      (status = mf_tensor_qparams(ctx, 1, 0, &out_scale, &d.out_zp)) != MF_OK) {
    return status;
  }
  if (dtype == MF_INT16 && (d.in_zp != 0 || d.out_zp != 0)) {
    return mf_kernel_error(ctx, "int16 needs zero points of 0");
  }
  if (mf_quantize_multiplier((double)in_scale / (double)out_scale, &d.mult, &d.shift) != MF_OK ||
      d.shift > 31) {
    return mf_kernel_error(ctx, "input/output scales out of range");
  }
  const int32_t qmax = dtype == MF_INT8 ? INT8_MAX : INT16_MAX;
  const int32_t qmin = dtype == MF_INT8 ? INT8_MIN : INT16_MIN;
  d.act_min = d.out_zp > qmin ? d.out_zp : qmin;
  d.act_max = qmax;
  relu_data *data = (relu_data *)mf_alloc_persistent(ctx, sizeof *data);
  if (data == NULL) return MF_ERR_ARENA_TOO_SMALL;
  *data = d;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

#define RELU_QUANT(NAME, T)                                                         \
  static void NAME(const relu_data *d, const T *in, T *out, size_t n) {             \
    const int32_t in_zp = d->in_zp, out_zp = d->out_zp;                             \
    const int32_t lo = d->act_min, hi = d->act_max;                                 \
    if (d->mult == (1 << 30) && d->shift == 1) { /* equal scales: no rescale */     \
      const int32_t delta = out_zp - in_zp;                                         \
      for (size_t i = 0; i < n; ++i) out[i] = (T)mf_clamp_i32(in[i] + delta, lo, hi); \
      return;                                                                       \
    }                                                                               \
    const int32_t m = d->mult;                                                      \
    const int s = (int)d->shift;                                                    \
    for (size_t i = 0; i < n; ++i) {                                                \
      const int32_t r =                                                             \
          mf_add_wrap(out_zp, mf_mul_by_quantized_multiplier(in[i] - in_zp, m, s)); \
      out[i] = (T)mf_clamp_i32(r, lo, hi);                                          \
    }                                                                               \
  }

RELU_QUANT(relu_i8, int8_t)
RELU_QUANT(relu_i16, int16_t)

static mf_status relu_invoke(mf_kernel_ctx *ctx) {
  const mf_tensor *in = mf_input(ctx, 0);
  mf_tensor *out = mf_output(ctx, 0);
  const size_t n = mf_tensor_elements(in);
  switch (in->dtype) {
    case MF_FLOAT32: {
      const float *x = (const float *)in->data;
      float *y = (float *)out->data;
      for (size_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
    } break;
    case MF_INT8:
      relu_i8((const relu_data *)mf_op_data(ctx), (const int8_t *)in->data, (int8_t *)out->data,
              n);
      break;
    default:
      relu_i16((const relu_data *)mf_op_data(ctx), (const int16_t *)in->data,
               (int16_t *)out->data, n);
      break;
  }
  return MF_OK;
}

const mf_op_registration mf_op_relu = {19, 3, "RELU", NULL, relu_prepare, relu_invoke, NULL};
