/* Fixed-point helpers shared by the quantized kernels.
 *
 * Real multipliers are stored as (int32 multiplier, shift): a Q0.31 value in
 * [0.5, 1) (or 0) and a power-of-two exponent, so that
 *   real ~= multiplier * 2^(shift - 31).
 * The rounding rules follow TFLite's reference kernels exactly, so results
 * are bit-exact with them. The hot helpers are inline; the derivations used
 * in prepare (double math) live in quant_util.c. */
#ifndef MF_QUANT_UTIL_H
#define MF_QUANT_UTIL_H

#include <stdint.h>

#include "mf_status.h"
#include "mf_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* TFLite ActivationFunctionType values. */
enum {
  MF_ACT_NONE = 0,
  MF_ACT_RELU = 1,
  MF_ACT_RELU_N1_TO_1 = 2,
  MF_ACT_RELU6 = 3,
  MF_ACT_TANH = 4,
  MF_ACT_SIGN_BIT = 5
};

/* TFLite Padding values. */
enum { MF_PADDING_SAME = 0, MF_PADDING_VALID = 1 };

/* ---- Double helpers for prepare (no libm) ---- */

/* Splits x into a fraction in [0.5, 1) (sign kept) and a power of two, like
 * C's frexp: x = fraction * 2^*exponent. 0, inf and NaN give x and 0. */
double mf_frexp(double x, int *exponent);
/* Rounds half away from zero, like C's round. */
double mf_round(double x);
/* Rounds half away from zero, like C's roundf. */
float mf_roundf(float x);
/* 1 when x is neither infinite nor NaN. */
int mf_isfinite(double x);

/* Quantizes a real multiplier into (*multiplier, *shift). A positive shift
 * is a left shift. Multipliers below about 2^-31 flush to (0, 0).
 * MF_ERR_INVALID_ARG for NaN, infinity or a result beyond int32 range. */
mf_status mf_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift);

/* Per-channel multipliers of a convolution-like op: for each of `channels`
 * channels, input_scale * filter_scale[c] / output_scale, computed in double.
 * `filter_scale_count` is 1 (per-tensor, broadcast) or `channels`.
 * MF_ERR_INVALID_ARG when a scale is not positive and finite. */
mf_status mf_quantize_channel_multipliers(float input_scale, const float *filter_scales,
                                          uint32_t filter_scale_count, float output_scale,
                                          uint32_t channels, int32_t *multipliers,
                                          int32_t *shifts);

/* zero_point + round(value / scale) (float division, as TFLite does).
 * MF_ERR_INVALID_ARG when the result is beyond int32 range. */
mf_status mf_quantize_value(float value, float scale, int32_t zero_point, int32_t *q);

/* Output clamp of a fused activation for a quantized tensor of `dtype`
 * (int8, uint8, int16 or int32). NONE, TANH and SIGN_BIT do not clamp, as in
 * TFLite; MF_ERR_INVALID_ARG for an unknown activation value or dtype. */
mf_status mf_activation_range_quantized(uint32_t activation, mf_dtype dtype, float scale,
                                        int32_t zero_point, int32_t *act_min,
                                        int32_t *act_max);
/* The same for float outputs. */
mf_status mf_activation_range_float(uint32_t activation, float *act_min, float *act_max);
/* 1 for the activation values TFLite defines (0..5). */
int mf_activation_valid(uint32_t activation);

/* The largest |input - zero_point| that the fixed-point logistic/tanh/softmax
 * paths see before saturating: TFLite's CalculateInputRadius. */
int32_t mf_input_radius(int input_integer_bits, int input_left_shift, int total_signed_bits);

/* When x is within 1e-3 (in log2 terms) of a power of two: 1, with the
 * rounded log2 in *log2_result (TFLite's CheckedLog2). 0 otherwise. */
int mf_checked_log2(float x, int *log2_result);

/* ---- Integer helpers for invoke (inline, exact) ---- */

/* round(a * b / 2^31), saturating the single overflow case. */
static inline int32_t mf_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  /* Division truncates toward zero, which is the defined behaviour. */
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded half away from zero, exponent in [0, 31]. */
static inline int32_t mf_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^n with wrap-around (no undefined behaviour), n in [0, 31]. */
static inline int32_t mf_shift_left(int32_t x, int n) {
  return (int32_t)((uint32_t)x << n);
}

/* x * multiplier * 2^(shift - 31), TFLite's double-rounding form. */
static inline int32_t mf_mul_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return mf_rounding_divide_by_pot(mf_srdhm(mf_shift_left(x, left_shift), multiplier),
                                   right_shift);
}

/* The 64-bit input form used by the int16 kernels: the multiplier is first
 * reduced to 16 bits, then one rounding shift. |x| < 2^47, shift in [-31, 7]. */
static inline int32_t mf_mul_by_quantized_multiplier_i64(int64_t x, int32_t multiplier,
                                                         int shift) {
  const int32_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - shift;
  /* Wrap-around (not undefined) if x is beyond the documented range. */
  const int64_t rounded =
      (int64_t)((uint64_t)x * (uint64_t)(int64_t)reduced + ((uint64_t)1 << (total_shift - 1)));
  return (int32_t)(rounded >> total_shift);
}

/* Shift <= 0 form: high-mul then rounding right shift by -left_shift. */
static inline int32_t mf_mul_by_quantized_multiplier_smaller_than_one(int32_t x,
                                                                       int32_t multiplier,
                                                                       int left_shift) {
  return mf_rounding_divide_by_pot(mf_srdhm(x, multiplier), -left_shift);
}

/* Shift >= 0 form: left shift then high-mul. */
static inline int32_t mf_mul_by_quantized_multiplier_greater_than_one(int32_t x,
                                                                       int32_t multiplier,
                                                                       int left_shift) {
  return mf_srdhm(mf_shift_left(x, left_shift), multiplier);
}

/* a + b with two's complement wrap-around instead of undefined overflow. */
static inline int32_t mf_wrap_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t mf_wrap_sub(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a - (uint32_t)b);
}

static inline int32_t mf_clamp_i32(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* Float clamp with TFLite's NaN behaviour (max then min, NaN passes). */
static inline float mf_clamp_f32(float x, float lo, float hi) {
  const float y = x < lo ? lo : x;
  return hi < y ? hi : y;
}


/* ---- Fixed-point transcendental functions ----
 * Values are raw int32 fixed-point numbers; "Qn" means n integer bits
 * (31 - n fractional bits). Results are Q0 (in [-1, 1)). The arithmetic
 * (Taylor step, barrel shifter, Newton-Raphson division) reproduces
 * TFLite's reference results bit for bit. */

/* exp(a) for a <= 0 given in Q(integer_bits), integer_bits in [0, 6]. */
int32_t mf_fp_exp_on_negative_values(int32_t a, int integer_bits);
/* 1 / (1 + a) for a in [0, 1), a in Q0. */
int32_t mf_fp_one_over_one_plus_x(int32_t a);
/* 1 / (1 + exp(-a)), a in Q(integer_bits). */
int32_t mf_fp_logistic(int32_t a, int integer_bits);
/* tanh(a), a in Q(integer_bits), integer_bits <= 5. */
int32_t mf_fp_tanh(int32_t a, int integer_bits);
/* 1 / x for x > 0 in Q(integer_bits): returns a Q0 scale in [0.5, 1) and
 * sets *bits_over_unit so that 1/x = scale * 2^-(*bits_over_unit). */
int32_t mf_fp_reciprocal(int32_t x, int integer_bits, int *bits_over_unit);

/* x * 2^exponent for a compile-time-like small exponent: saturating when
 * exponent > 0, rounding to nearest when exponent < 0. */
static inline int32_t mf_fp_mul_pot(int32_t x, int exponent) {
  if (exponent > 0) {
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
  }
  if (exponent < 0) return mf_rounding_divide_by_pot(x, -exponent);
  return x;
}

/* sigmoid(i / 24) in 0.16 fixed point, i = 0..255, with every entry but the
 * last raised by half the chord error of the following interval (so linear
 * interpolation between entries is centred on the curve); the last entry is
 * the saturated 65535. Used by the int16 LOGISTIC and TANH kernels. */
extern const uint16_t mf_sigmoid_table_u16[256];

#ifdef __cplusplus
}
#endif

#endif
