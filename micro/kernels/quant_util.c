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
