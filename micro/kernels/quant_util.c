/* Prepare-time quantization math (double precision, no libm). */
#include "quant_util.h"

#include <string.h>

int mf_isfinite(double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  return ((bits >> 52) & 0x7FF) != 0x7FF;
}

double mf_frexp(double x, int *exponent) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  int biased = (int)((bits >> 52) & 0x7FF);
  int adjust = 0;
  if (biased == 0x7FF || x == 0.0) {
    *exponent = 0;
    return x;
  }
  if (biased == 0) { /* subnormal: normalise first */
    x *= 0x1p54;
    memcpy(&bits, &x, sizeof bits);
    biased = (int)((bits >> 52) & 0x7FF);
    adjust = 54;
  }
  *exponent = biased - 1022 - adjust;
  bits = (bits & ~((uint64_t)0x7FF << 52)) | ((uint64_t)1022 << 52);
  memcpy(&x, &bits, sizeof bits);
  return x;
}

double mf_round(double x) {
  const double ax = x < 0 ? -x : x;
  if (!(ax < 0x1p52)) return x; /* already integral, or inf/NaN */
  double t = (double)(int64_t)ax;
  if (ax - t >= 0.5) t += 1.0; /* exact: ax - t is representable */
  return x < 0 ? -t : t;
}

float mf_roundf(float x) {
  const float ax = x < 0 ? -x : x;
  if (!(ax < 0x1p23f)) return x;
  float t = (float)(int32_t)ax;
  if (ax - t >= 0.5f) t += 1.0f;
  return x < 0 ? -t : t;
}

/* ln(x) for x > 0, to double precision. */
static double natural_log(double x) {
  int exponent;
  const double m = mf_frexp(x, &exponent); /* [0.5, 1) */
  /* ln(m) = 2 atanh(z), z = (m - 1) / (m + 1) in [-1/3, 0) */
  const double z = (m - 1.0) / (m + 1.0);
  const double z2 = z * z;
  double term = z;
  double sum = 0.0;
  for (int k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= z2;
  }
  return (double)exponent * 0.69314718055994530942 + 2.0 * sum;
}

int mf_checked_log2(float x, int *log2_result) {
  if (!(x > 0.0f) || !mf_isfinite((double)x)) return 0;
  /* The reference's float arithmetic: logf(x) * (1 / logf(2)), rounded. */
  const float ln2 = (float)natural_log(2.0);
  const float log2_x = (float)natural_log((double)x) * (1.0f / ln2);
  const float rounded = mf_roundf(log2_x);
  float frac = log2_x - rounded;
  if (frac < 0) frac = -frac;
  *log2_result = (int)rounded;
  return frac < 1e-3f;
}

mf_status mf_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift) {
  if (!mf_isfinite(real)) return MF_ERR_INVALID_ARG;
  if (real == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return MF_OK;
  }
  int exponent;
  const double fraction = mf_frexp(real, &exponent);
  int64_t fixed = (int64_t)mf_round(fraction * 2147483648.0);
  if (fixed == ((int64_t)1 << 31)) {
    fixed /= 2;
    ++exponent;
  }
  if (fixed > INT32_MAX || fixed < INT32_MIN) return MF_ERR_INVALID_ARG;
  if (exponent < -31) { /* every bit would shift out: flush to zero */
    exponent = 0;
    fixed = 0;
  }
  *multiplier = (int32_t)fixed;
  *shift = exponent;
  return MF_OK;
}

static int scale_ok(float scale) {
  return scale > 0.0f && mf_isfinite((double)scale);
}

mf_status mf_quantize_channel_multipliers(float input_scale, const float *filter_scales,
                                          uint32_t filter_scale_count, float output_scale,
                                          uint32_t channels, int32_t *multipliers,
                                          int32_t *shifts) {
  if (!scale_ok(input_scale) || !scale_ok(output_scale)) return MF_ERR_INVALID_ARG;
  if (filter_scales == NULL || (filter_scale_count != 1 && filter_scale_count != channels)) {
    return MF_ERR_INVALID_ARG;
  }
  for (uint32_t c = 0; c < channels; ++c) {
    float filter_scale = filter_scales[filter_scale_count == 1 ? 0 : c];
    if (!scale_ok(filter_scale)) return MF_ERR_INVALID_ARG;
    const double effective = (double)input_scale * (double)filter_scale / (double)output_scale;
    mf_status status = mf_quantize_multiplier(effective, &multipliers[c], &shifts[c]);
    if (status != MF_OK) return status;
  }
  return MF_OK;
}

mf_status mf_quantize_value(float value, float scale, int32_t zero_point, int32_t *q) {
  const float rounded = mf_roundf(value / scale);
  if (!(rounded >= -2147483648.0f && rounded < 2147483648.0f)) return MF_ERR_INVALID_ARG;
  const int64_t result = (int64_t)zero_point + (int64_t)(int32_t)rounded;
  if (result > INT32_MAX || result < INT32_MIN) return MF_ERR_INVALID_ARG;
  *q = (int32_t)result;
  return MF_OK;
}

int mf_activation_valid(uint32_t activation) {
  return activation <= MF_ACT_SIGN_BIT;
}

mf_status mf_activation_range_quantized(uint32_t activation, mf_dtype dtype, float scale,
                                        int32_t zero_point, int32_t *act_min,
                                        int32_t *act_max) {
  int32_t qmin;
  int32_t qmax;
  switch (dtype) {
    case MF_INT8: qmin = INT8_MIN; qmax = INT8_MAX; break;
    case MF_UINT8: qmin = 0; qmax = UINT8_MAX; break;
    case MF_INT16: qmin = INT16_MIN; qmax = INT16_MAX; break;
    case MF_INT32: qmin = INT32_MIN; qmax = INT32_MAX; break;
    default: return MF_ERR_INVALID_ARG;
  }
  if (!mf_activation_valid(activation)) return MF_ERR_INVALID_ARG;
  float lo_real;
  float hi_real;
  int has_hi = 1;
  switch (activation) {
    case MF_ACT_RELU: lo_real = 0.0f; hi_real = 0.0f; has_hi = 0; break;
    case MF_ACT_RELU6: lo_real = 0.0f; hi_real = 6.0f; break;
    case MF_ACT_RELU_N1_TO_1: lo_real = -1.0f; hi_real = 1.0f; break;
    default:
      *act_min = qmin;
      *act_max = qmax;
      return MF_OK;
  }
  if (!scale_ok(scale)) return MF_ERR_INVALID_ARG;
  int32_t lo;
  int32_t hi = qmax;
  if (mf_quantize_value(lo_real, scale, zero_point, &lo) != MF_OK) return MF_ERR_INVALID_ARG;
  if (has_hi && mf_quantize_value(hi_real, scale, zero_point, &hi) != MF_OK) {
    return MF_ERR_INVALID_ARG;
  }
  *act_min = lo > qmin ? lo : qmin;
  *act_max = hi < qmax ? hi : qmax;
  return MF_OK;
}

mf_status mf_activation_range_float(uint32_t activation, float *act_min, float *act_max) {
  if (!mf_activation_valid(activation)) return MF_ERR_INVALID_ARG;
  switch (activation) {
    case MF_ACT_RELU: *act_min = 0.0f; *act_max = 3.40282347e+38f; break;
    case MF_ACT_RELU6: *act_min = 0.0f; *act_max = 6.0f; break;
    case MF_ACT_RELU_N1_TO_1: *act_min = -1.0f; *act_max = 1.0f; break;
    default: *act_min = -3.40282347e+38f; *act_max = 3.40282347e+38f; break;
  }
  return MF_OK;
}

int32_t mf_input_radius(int input_integer_bits, int input_left_shift, int total_signed_bits) {
  if (input_integer_bits < 0 || input_integer_bits > 30 || input_left_shift < 0 ||
      input_left_shift > 62 || total_signed_bits < input_integer_bits || total_signed_bits > 62) {
    return 0;
  }
  const double max_rescaled = 1.0 * (double)((1 << input_integer_bits) - 1) *
                              (double)((int64_t)1 << (total_signed_bits - input_integer_bits)) /
                              (double)((int64_t)1 << input_left_shift);
  if (max_rescaled >= 2147483647.0) return INT32_MAX;
  return (int32_t)max_rescaled; /* positive: truncation is floor */
}

/* ---- Fixed-point transcendental functions ---- */

/* Q0.31 constants: round(v * 2^31). */
#define FP_EXP_MINUS_ONE_EIGHTH 1895147668 /* exp(-1/8) */
#define FP_ONE_THIRD 715827883             /* 1/3 */
#define FP_Q2_48_OVER_17 1515870810        /* 48/17 in Q2 */
#define FP_Q2_MINUS_32_OVER_17 (-1010580540) /* -32/17 in Q2 */
#define FP_Q2_ONE (1 << 29)

static inline int32_t wrap_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}
static inline int32_t wrap_sub(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* (a + b) / 2 rounded half away from zero. */
static inline int32_t rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0: Taylor expansion around -1/8. */
static int32_t exp_on_quarter_interval(int32_t a) {
  const int32_t x = wrap_add(a, 1 << 28); /* a + 1/8 */
  const int32_t x2 = mf_srdhm(x, x);
  const int32_t x3 = mf_srdhm(x2, x);
  const int32_t x4 = mf_srdhm(x2, x2);
  const int32_t x4_over_4 = mf_rounding_divide_by_pot(x4, 2);
  const int32_t poly = mf_rounding_divide_by_pot(
      wrap_add(mf_srdhm(wrap_add(x4_over_4, x3), FP_ONE_THIRD), x2), 1);
  return wrap_add(FP_EXP_MINUS_ONE_EIGHTH, mf_srdhm(FP_EXP_MINUS_ONE_EIGHTH, wrap_add(x, poly)));
}

int32_t mf_fp_exp_on_negative_values(int32_t a, int integer_bits) {
  /* exp(-2^k) in Q0 for k = -2..4 */
  static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                    39332535,   720401,     242};
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_quarter = wrap_sub(a & mask, one_quarter);
  int32_t result =
      exp_on_quarter_interval(mf_fp_mul_pot(a_mod_quarter_minus_quarter, integer_bits));
  const int32_t remainder = wrap_sub(a_mod_quarter_minus_quarter, a);
  for (int k = -2; k <= 4; ++k) {
    if (integer_bits > k && (remainder & ((int32_t)1 << (fractional_bits + k)))) {
      result = mf_srdhm(result, barrel[k + 2]);
    }
  }
  if (integer_bits > 5) {
    const int32_t clamp = -((int32_t)1 << (36 - integer_bits)); /* -32 */
    if (a < clamp) result = 0;
  }
  return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson for 1 / (half_denominator * 2), x in Q2. */
static int32_t newton_reciprocal_q2(int32_t half_denominator) {
  int32_t x = wrap_add(FP_Q2_48_OVER_17, mf_srdhm(half_denominator, FP_Q2_MINUS_32_OVER_17));
  for (int i = 0; i < 3; ++i) {
    const int32_t one_minus = wrap_sub(FP_Q2_ONE, mf_srdhm(half_denominator, x));
    x = wrap_add(x, mf_fp_mul_pot(mf_srdhm(x, one_minus), 2));
  }
  return x;
}

int32_t mf_fp_one_over_one_plus_x(int32_t a) {
  const int32_t x = newton_reciprocal_q2(rounding_half_sum(a, INT32_MAX));
  return mf_fp_mul_pot(x, 1); /* Q2 halved is Q1, rescaled to Q0 */
}

static int32_t one_minus_x_over_one_plus_x(int32_t a) {
  const int32_t x = newton_reciprocal_q2(rounding_half_sum(a, INT32_MAX));
  return mf_fp_mul_pot(wrap_sub(x, FP_Q2_ONE), 2);
}

int32_t mf_fp_logistic(int32_t a, int integer_bits) {
  if (a == 0) return 1 << 30;
  const int32_t magnitude = a > 0 ? a : wrap_sub(0, a);
  const int32_t positive = mf_fp_one_over_one_plus_x(
      mf_fp_exp_on_negative_values(wrap_sub(0, magnitude), integer_bits));
  return a > 0 ? positive : wrap_sub(INT32_MAX, positive);
}

int32_t mf_fp_tanh(int32_t a, int integer_bits) {
  if (a == 0) return 0;
  const int32_t negative_magnitude = a < 0 ? a : wrap_sub(0, a);
  /* tanh(|a|) = (1 - exp(-2|a|)) / (1 + exp(-2|a|)); doubling adds an integer bit */
  const int32_t t = one_minus_x_over_one_plus_x(
      mf_fp_exp_on_negative_values(negative_magnitude, integer_bits + 1));
  return a < 0 ? wrap_sub(0, t) : t;
}

int32_t mf_fp_reciprocal(int32_t x, int integer_bits, int *bits_over_unit) {
  const uint32_t ux = (uint32_t)x;
  int headroom_plus_one = 0;
  while (headroom_plus_one < 32 && !(ux & (0x80000000u >> headroom_plus_one))) {
    ++headroom_plus_one;
  }
  *bits_over_unit = integer_bits - headroom_plus_one;
  const int32_t shifted_minus_one =
      (int32_t)((headroom_plus_one < 32 ? ux << headroom_plus_one : 0u) - 0x80000000u);
  return mf_fp_one_over_one_plus_x(shifted_minus_one);
}

const uint16_t mf_sigmoid_table_u16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
};
