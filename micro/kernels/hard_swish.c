/* HARD_SWISH: x * relu6(x + 3) / 6. float32, and int8 with TFLite's 16-bit
 * fixed-point path: the input on a 2^7 finer scale, a "reluish" factor in
 * [0, 1] rescaled from [-3, 3], and a rounding-toward-zero final product. */
#include "kernel_util.h"
#include "mf_ops.h"
#include "quant_util.h"

typedef struct hard_swish_data {
  int32_t in_zp;
  int32_t out_zp;
  int16_t out_mult;    /* Q0.15 */
  int16_t reluish_mult; /* Q0.15 */
  int8_t out_exponent;  /* <= 0 */
  int8_t reluish_exponent;
} hard_swish_data;

/* round(a * b / 2^15), saturating -1 * -1. */
static inline int16_t srdhm16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  const int32_t ab = (int32_t)a * (int32_t)b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return (int16_t)((ab + nudge) / (1 << 15));
}

/* a * b / 2^15 truncated toward zero, saturating -1 * -1. */
static inline int16_t sdhm16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* Rounding right shift on 16-bit values; the mask is 16 bits wide as in
 * the 16-bit fixed-point reference, which matters for exponents >= 16. */
static inline int16_t rdbpot16(int16_t x, int exponent) {
  const int16_t mask = (int16_t)(uint16_t)(((uint64_t)1 << exponent) - 1);
  const int16_t remainder = (int16_t)(x & mask);
  const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
  return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

static inline int16_t saturating_left_shift16(int16_t x, int amount) {
  if (x == 0) return 0;
  if (amount >= 31) return x > 0 ? INT16_MAX : INT16_MIN;
  const int64_t r = (int64_t)x * ((int64_t)1 << amount);
  return (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}

/* The 16-bit form of a Q0.31 multiplier, rounded. */
static int16_t downscale_multiplier(int32_t m) {
  if (m >= INT32_MAX - (1 << 15)) return INT16_MAX;
  return (int16_t)((m + (1 << 15)) >> 16);
}

static mf_status hard_swish_prepare(mf_kernel_ctx *ctx) {
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
  if (dtype != MF_INT8) return mf_kernel_error(ctx, "%s not supported", mf_dtype_name(dtype));
  hard_swish_data d;
  float in_scale, out_scale;
  if ((status = mf_tensor_qparams(ctx, 0, 0, &in_scale, &d.in_zp)) != MF_OK ||
      (status = mf_tensor_qparams(ctx, 1, 0, &out_scale, &d.out_zp)) != MF_OK) {
    return status;
  }
  /* Single-precision ratios, as TFLite Micro computes them. */
  const float hires_scale = (1.0f / 128.0f) * in_scale;
  const float reluish_scale = 3.0f / 32768.0f;
  int32_t mult;
  int32_t shift;
  if (mf_quantize_multiplier((double)(hires_scale / out_scale), &mult, &shift) != MF_OK ||
      shift > 0 || mult < 0) {
    return mf_kernel_error(ctx, "input/output scales out of range");
  }
  d.out_mult = downscale_multiplier(mult);
  d.out_exponent = (int8_t)shift;
  if (mf_quantize_multiplier((double)(hires_scale / reluish_scale), &mult, &shift) != MF_OK ||
      mult < 0 || shift > 40) {
    return mf_kernel_error(ctx, "input scale out of range");
  }
  d.reluish_mult = downscale_multiplier(mult);
  d.reluish_exponent = (int8_t)shift;
  hard_swish_data *data = (hard_swish_data *)mf_alloc_persistent(ctx, sizeof *data);
  if (data == NULL) return MF_ERR_ARENA_TOO_SMALL;
  *data = d;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static void hard_swish_i8(const hard_swish_data *d, const int8_t *in, int8_t *out, size_t n) {
  const int32_t in_zp = d->in_zp;
  const int16_t out_zp = (int16_t)d->out_zp;
  const int16_t out_mult = d->out_mult;
  const int16_t reluish_mult = d->reluish_mult;
  const int out_shift = -d->out_exponent;
  const int rexp = d->reluish_exponent;
  for (size_t i = 0; i < n; ++i) {
    const int16_t hires = (int16_t)((in[i] - in_zp) * (1 << 7));
    const int16_t preshift_out = srdhm16(hires, out_mult);
    int16_t reluish = hires;
    if (rexp > 0) reluish = saturating_left_shift16(reluish, rexp - 1);
    reluish = srdhm16(reluish, reluish_mult);
    if (rexp > 0) reluish = saturating_left_shift16(reluish, 1);
    if (rexp < 0) reluish = rdbpot16(reluish, -rexp);
    reluish = (int16_t)((reluish + (1 << 15)) >> 1); /* [-1, 1] to [0, 1] */
    const int16_t product = sdhm16(reluish, preshift_out);
    const int16_t value = (int16_t)(rdbpot16(product, out_shift) + out_zp);
    out[i] = (int8_t)(value > INT8_MAX ? INT8_MAX : (value < INT8_MIN ? INT8_MIN : value));
  }
}

static mf_status hard_swish_invoke(mf_kernel_ctx *ctx) {
  const mf_tensor *in = mf_input(ctx, 0);
  mf_tensor *out = mf_output(ctx, 0);
  const size_t n = mf_tensor_elements(in);
  if (in->dtype == MF_FLOAT32) {
    const float *x = (const float *)in->data;
    float *y = (float *)out->data;
    for (size_t i = 0; i < n; ++i) {
      const float v = x[i];
      float r = v + 3.0f;
      r = 0.0f < r ? r : 0.0f;
      r = r < 6.0f ? r : 6.0f;
      y[i] = v * r / 6.0f;
    }
  } else {
    hard_swish_i8((const hard_swish_data *)mf_op_data(ctx), (const int8_t *)in->data,
                  (int8_t *)out->data, n);
  }
  return MF_OK;
}

const mf_op_registration mf_op_hard_swish = {117, 1, "HARD_SWISH", NULL, hard_swish_prepare,
                                             hard_swish_invoke, NULL};
