/* SOFTMAX over the last dimension: float32, int8 -> int8, int8 -> int16 and
 * int16 -> int16.
 *
 * int8 input: TFLite's fixed-point path (input differences scaled into Q5.26,
 * exp in fixed point, sum in Q12.19, Newton-Raphson reciprocal).
 * int16 input: exp and 1/(1+x) by interpolated 513-entry tables. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "mf_kernel.h"
#include "quant_util.h"

enum { SOFTMAX_FIELD_BETA = 0 };
enum { SCALED_DIFF_INTEGER_BITS = 5, ACCUMULATION_INTEGER_BITS = 12 };

typedef struct softmax_data {
  uint32_t rows;
  uint32_t depth;
  int32_t input_multiplier;
  int32_t input_shift; /* left shift (int8) or MultiplyByQuantizedMultiplier shift (int16) */
  int32_t diff_min;
  float beta;
  uint8_t in_dtype;
  uint8_t out_dtype;
} softmax_data;

/* Interpolated tables of 513 entries over the int16 range (entry k covers
 * inputs 128 * (k - 256) ...), built like TFLite's int16 LUTs: each of the
 * first 512 entries is the rounded sample minus half the rounded midpoint
 * interpolation error; the last is the end value.
 * exp(x) for x in [-10, 0], Q0.15 output. */
static const int16_t softmax_exp_lut[513] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5,
    5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6,
    6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, 8,
    8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 10,
    10, 10, 10, 10, 11, 11, 11, 11, 11, 12, 12, 12,
    12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15,
    16, 16, 16, 17, 17, 17, 18, 18, 18, 19, 19, 19,
    20, 20, 21, 21, 21, 22, 22, 23, 23, 24, 24, 25,
    25, 26, 26, 27, 27, 28, 28, 29, 29, 30, 30, 31,
    32, 32, 33, 34, 34, 35, 36, 36, 37, 37, 38, 39,
    40, 40, 42, 42, 43, 44, 45, 45, 46, 47, 48, 49,
    50, 51, 52, 53, 54, 55, 56, 57, 59, 60, 60, 62,
    63, 65, 65, 67, 68, 69, 71, 73, 74, 75, 77, 78,
    80, 81, 83, 85, 86, 88, 90, 92, 93, 95, 97, 99,
    101, 103, 105, 107, 109, 112, 114, 116, 118, 121, 123, 126,
    128, 131, 133, 135, 139, 141, 144, 147, 149, 152, 155, 158,
    162, 165, 168, 171, 174, 178, 181, 185, 189, 192, 196, 200,
    204, 208, 212, 217, 221, 225, 230, 234, 239, 243, 248, 253,
    258, 263, 268, 273, 279, 284, 290, 296, 302, 308, 314, 320,
    327, 333, 340, 346, 353, 360, 366, 374, 381, 389, 397, 404,
    413, 421, 429, 437, 446, 455, 464, 473, 482, 492, 501, 511,
    522, 532, 543, 553, 564, 575, 586, 598, 610, 622, 634, 646,
    659, 672, 685, 699, 713, 727, 741, 756, 771, 786, 801, 817,
    833, 850, 866, 884, 901, 919, 937, 955, 974, 993, 1013, 1033,
    1053, 1074, 1095, 1117, 1139, 1161, 1184, 1207, 1232, 1256, 1281, 1306,
    1332, 1358, 1385, 1412, 1440, 1468, 1497, 1527, 1557, 1587, 1619, 1651,
    1683, 1716, 1750, 1785, 1820, 1856, 1892, 1930, 1968, 2006, 2046, 2087,
    2128, 2170, 2212, 2256, 2300, 2346, 2392, 2439, 2488, 2537, 2587, 2638,
    2690, 2743, 2796, 2852, 2908, 2966, 3024, 3084, 3145, 3207, 3270, 3334,
    3400, 3467, 3535, 3605, 3677, 3749, 3822, 3898, 3975, 4053, 4133, 4214,
    4297, 4383, 4469, 4557, 4647, 4739, 4833, 4927, 5024, 5124, 5225, 5328,
    5433, 5541, 5649, 5761, 5875, 5991, 6109, 6230, 6352, 6477, 6605, 6736,
    6868, 7004, 7141, 7282, 7427, 7572, 7722, 7874, 8030, 8188, 8350, 8514,
    8683, 8854, 9028, 9206, 9387, 9572, 9762, 9954, 10151, 10351, 10555, 10763,
    10976, 11191, 11412, 11637, 11867, 12102, 12341, 12583, 12831, 13085, 13342, 13606,
    13874, 14148, 14427, 14711, 15002, 15297, 15599, 15907, 16221, 16541, 16867, 17199,
    17539, 17884, 18237, 18597, 18964, 19338, 19719, 20108, 20505, 20909, 21322, 21742,
    22171, 22608, 23054, 23509, 23973, 24445, 24928, 25419, 25921, 26432, 26953, 27485,
    28027, 28580, 29143, 29718, 30304, 30902, 31512, 32133, 32767,
};

/* 1 / (1 + x) for x in [0, 1], Q0.15 output. */
static const int16_t softmax_recip_lut[513] = {
    32767, 32704, 32640, 32578, 32514, 32451, 32388, 32326, 32264, 32202, 32141, 32079,
    32018, 31957, 31896, 31835, 31775, 31715, 31655, 31596, 31537, 31476, 31418, 31359,
    31301, 31242, 31184, 31127, 31069, 31011, 30954, 30897, 30840, 30784, 30727, 30671,
    30615, 30560, 30504, 30449, 30394, 30339, 30283, 30229, 30175, 30121, 30067, 30013,
    29960, 29906, 29853, 29800, 29746, 29694, 29642, 29589, 29537, 29486, 29434, 29382,
    29331, 29280, 29229, 29177, 29127, 29076, 29026, 28976, 28926, 28877, 28827, 28777,
    28728, 28679, 28630, 28581, 28532, 28484, 28436, 28388, 28340, 28292, 28244, 28197,
    28150, 28103, 28056, 28008, 27962, 27915, 27869, 27823, 27777, 27731, 27685, 27640,
    27594, 27549, 27504, 27459, 27413, 27369, 27324, 27280, 27236, 27192, 27148, 27104,
    27060, 27016, 26973, 26930, 26887, 26844, 26801, 26758, 26715, 26673, 26630, 26588,
    26546, 26504, 26463, 26421, 26380, 26338, 26297, 26255, 26214, 26174, 26132, 26092,
    26051, 26011, 25971, 25931, 25891, 25851, 25811, 25772, 25732, 25693, 25653, 25614,
    25575, 25536, 25497, 25458, 25420, 25381, 25343, 25305, 25267, 25229, 25191, 25153,
    25116, 25078, 25041, 25003, 24966, 24928, 24892, 24855, 24818, 24781, 24745, 24709,
    24672, 24636, 24600, 24564, 24528, 24492, 24457, 24421, 24385, 24350, 24315, 24280,
    24245, 24210, 24175, 24140, 24105, 24070, 24036, 24002, 23967, 23933, 23899, 23865,
    23831, 23798, 23764, 23730, 23697, 23664, 23630, 23597, 23564, 23530, 23498, 23465,
    23432, 23399, 23366, 23334, 23302, 23269, 23237, 23205, 23173, 23141, 23109, 23077,
    23046, 23014, 22982, 22951, 22920, 22888, 22857, 22826, 22795, 22764, 22733, 22703,
    22672, 22641, 22611, 22580, 22550, 22520, 22490, 22459, 22429, 22400, 22370, 22340,
    22310, 22281, 22251, 22221, 22192, 22163, 22134, 22104, 22075, 22046, 22017, 21988,
    21959, 21931, 21902, 21874, 21845, 21817, 21788, 21760, 21732, 21704, 21676, 21648,
    21620, 21592, 21565, 21537, 21509, 21482, 21455, 21427, 21400, 21372, 21345, 21318,
    21291, 21264, 21237, 21210, 21183, 21157, 21130, 21103, 21077, 21050, 21024, 20998,
    20971, 20945, 20919, 20893, 20867, 20841, 20816, 20790, 20764, 20738, 20713, 20687,
    20662, 20636, 20611, 20586, 20560, 20535, 20510, 20485, 20460, 20435, 20410, 20385,
    20360, 20336, 20311, 20287, 20262, 20238, 20213, 20189, 20165, 20141, 20117, 20092,
    20068, 20044, 20021, 19997, 19973, 19949, 19926, 19902, 19878, 19855, 19832, 19808,
    19784, 19762, 19738, 19715, 19692, 19668, 19645, 19622, 19600, 19577, 19553, 19531,
    19508, 19485, 19463, 19440, 19418, 19395, 19373, 19351, 19328, 19306, 19284, 19262,
    19240, 19218, 19196, 19174, 19152, 19130, 19109, 19087, 19065, 19044, 19022, 19000,
    18979, 18958, 18936, 18915, 18893, 18872, 18851, 18830, 18809, 18787, 18766, 18745,
    18725, 18704, 18682, 18662, 18641, 18620, 18600, 18579, 18559, 18538, 18518, 18497,
    18477, 18457, 18436, 18416, 18396, 18376, 18356, 18336, 18316, 18296, 18276, 18256,
    18236, 18216, 18197, 18177, 18157, 18138, 18118, 18099, 18079, 18059, 18040, 18021,
    18001, 17982, 17963, 17944, 17924, 17905, 17886, 17867, 17848, 17829, 17810, 17791,
    17772, 17754, 17735, 17716, 17697, 17679, 17660, 17641, 17623, 17604, 17586, 17568,
    17549, 17531, 17513, 17494, 17476, 17458, 17440, 17422, 17404, 17386, 17368, 17350,
    17332, 17314, 17296, 17278, 17261, 17243, 17225, 17208, 17190, 17172, 17155, 17137,
    17120, 17102, 17085, 17067, 17050, 17033, 17015, 16999, 16981, 16964, 16947, 16930,
    16913, 16895, 16878, 16862, 16845, 16828, 16810, 16794, 16777, 16760, 16743, 16727,
    16710, 16693, 16677, 16660, 16644, 16627, 16611, 16594, 16578, 16562, 16545, 16529,
    16513, 16497, 16480, 16464, 16448, 16432, 16416, 16400, 16384,
};

static inline int16_t lut_lookup(int16_t value, const int16_t *lut) {
  const uint32_t index = 256u + (uint32_t)(value >> 7);
  const int32_t offset = value & 0x7f;
  const int32_t base = lut[index];
  const int32_t slope = lut[index + 1] - lut[index];
  return (int16_t)(base + ((slope * offset + 64) >> 7));
}

static inline int count_leading_zeros(uint32_t x) {
#if defined(__GNUC__)
  return x == 0 ? 32 : __builtin_clz(x);
#else
  int n = 0;
  while (n < 32 && !(x & (0x80000000u >> n))) ++n;
  return n;
#endif
}

/* |a - b| <= epsilon in float arithmetic, as the reference checks it. */
static int float_near(float a, float b, float epsilon) {
  const float delta = a > b ? a - b : b - a;
  return !(delta > epsilon);
}

static mf_status softmax_prepare(mf_kernel_ctx *ctx) {
  const uint32_t options_type = mf_options_type(ctx);
  if (options_type != 0 && options_type != 9) { /* BuiltinOptions union type */
    return mf_kernel_error(ctx, "builtin options of type %u, expected 9", (unsigned)options_type);
  }
  if (mf_num_inputs(ctx) != 1 || mf_num_outputs(ctx) != 1) {
    return mf_kernel_error(ctx, "needs 1 input and 1 output");
  }
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *output = mf_output(ctx, 0);
  if (input == NULL || output == NULL) return mf_kernel_error(ctx, "missing input or output");
  if (input->ndims < 1) return mf_kernel_error(ctx, "input must have rank >= 1");
  const mf_dtype in_type = (mf_dtype)input->dtype;
  const mf_dtype out_type = (mf_dtype)output->dtype;
  const int supported = (in_type == MF_FLOAT32 && out_type == MF_FLOAT32) ||
                        (in_type == MF_INT8 && (out_type == MF_INT8 || out_type == MF_INT16)) ||
                        (in_type == MF_INT16 && out_type == MF_INT16);
  if (!supported) {
    return mf_kernel_error(ctx, "%s input with %s output is not supported",
                           mf_dtype_name(in_type), mf_dtype_name(out_type));
  }
  const uint32_t depth = (uint32_t)input->dims[input->ndims - 1];
  const size_t elements = mf_tensor_elements(input);
  if (output->ndims < 1 || mf_tensor_elements(output) != elements ||
      (uint32_t)output->dims[output->ndims - 1] != depth) {
    return mf_kernel_error(ctx, "output shape does not match the input");
  }
  const float beta = mf_option_f32(ctx, SOFTMAX_FIELD_BETA, 0.0f);

  softmax_data *d = (softmax_data *)mf_alloc_persistent(ctx, sizeof(softmax_data));
  if (d == NULL) return MF_ERR_ARENA_TOO_SMALL;
  d->rows = depth == 0 ? 0 : (uint32_t)(elements / depth);
  d->depth = depth;
  d->beta = beta;
  d->in_dtype = (uint8_t)in_type;
  d->out_dtype = (uint8_t)out_type;
  d->input_multiplier = 0;
  d->input_shift = 0;
  d->diff_min = 0;
  mf_set_op_data(ctx, d);
  if (in_type == MF_FLOAT32) return MF_OK;

  mf_quant iq;
  mf_quant oq;
  if (mf_input_quant(ctx, 0, &iq) != MF_OK || iq.channels != 1 ||
      mf_output_quant(ctx, 0, &oq) != MF_OK || oq.channels != 1) {
    return mf_kernel_error(ctx, "input and output need per-tensor quantization");
  }
  if (!(iq.scale > 0.0f) || !mf_isfinite((double)iq.scale) || !mf_isfinite((double)beta)) {
    return mf_kernel_error(ctx, "input scale and beta must be finite and positive");
  }
  if (in_type == MF_INT16) {
    if (iq.zero_point != 0 || oq.zero_point != 0) {
      return mf_kernel_error(ctx, "int16 softmax needs zero points of 0");
    }
    if (!float_near(oq.scale, 1.0f / 32768, 0.001f * 1.0f / 32768)) {
      return mf_kernel_error(ctx, "int16 output scale must be 1/32768");
    }
    if (depth > 65536) return mf_kernel_error(ctx, "int16 softmax depth above 65536");
    /* input differences scaled so that [-65535, 0] covers [-10, 0] */
    const double rescale = (double)iq.scale * (double)beta / (10.0 / 65535.0);
    if (mf_quantize_multiplier(rescale, &d->input_multiplier, &d->input_shift) != MF_OK ||
        d->input_shift > 30) {
      return mf_kernel_error(ctx, "input scale x beta is out of range");
    }
    return MF_OK;
  }
  if (out_type == MF_INT16) {
    if (oq.zero_point != -32768 || !float_near(oq.scale, 1.0f / 65536, 0.001f * 1.0f / 65536)) {
      return mf_kernel_error(ctx, "int16 output needs zero point -32768 and scale 1/65536");
    }
  } else if (oq.zero_point != -128 || oq.scale != 1.0f / 256) {
    return mf_kernel_error(ctx, "int8 output needs zero point -128 and scale 1/256");
  }
  double real = (double)beta * (double)iq.scale * (double)(1 << (31 - SCALED_DIFF_INTEGER_BITS));
  if (real > 2147483647.0) real = 2147483647.0;
  int32_t shift;
  if (!(real > 1.0) || mf_quantize_multiplier(real, &d->input_multiplier, &shift) != MF_OK ||
      shift < 0) {
    return mf_kernel_error(ctx, "beta x input scale is too small");
  }
  d->input_shift = shift;
  d->diff_min = -mf_input_radius(SCALED_DIFF_INTEGER_BITS, shift, 31);
  return MF_OK;
}

static void softmax_float(const softmax_data *d, const float *in, float *out) {
  const uint32_t depth = d->depth;
  const float beta = d->beta;
  for (uint32_t r = 0; r < d->rows; ++r, in += depth, out += depth) {
    float max = -3.40282347e+38f;
    for (uint32_t c = 0; c < depth; ++c) max = max < in[c] ? in[c] : max;
    float sum = 0.0f;
    for (uint32_t c = 0; c < depth; ++c) {
      const float e = expf((in[c] - max) * beta);
      out[c] = e;
      sum += e;
    }
    for (uint32_t c = 0; c < depth; ++c) out[c] = out[c] / sum;
  }
}

/* int8 input; out_bits 8 or 16 selects the output type. */
static mf_status softmax_int8(mf_kernel_ctx *ctx, const softmax_data *d, const int8_t *in,
                              void *out_data) {
  const uint32_t depth = d->depth;
  const int32_t mult = d->input_multiplier;
  const int shift = (int)d->input_shift;
  const int32_t diff_min = d->diff_min;
  const int wide = d->out_dtype == MF_INT16;
  const int32_t out_min = wide ? INT16_MIN : INT8_MIN;
  const int32_t out_max = wide ? INT16_MAX : INT8_MAX;
  int8_t *out8 = (int8_t *)out_data;
  int16_t *out16 = (int16_t *)out_data;
  for (uint32_t r = 0; r < d->rows; ++r, in += depth) {
    int32_t max = INT8_MIN;
    for (uint32_t c = 0; c < depth; ++c) max = in[c] > max ? in[c] : max;
    uint32_t sum = 0; /* Q12.19 */
    for (uint32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max;
      if (diff >= diff_min) {
        const int32_t scaled = mf_mul_by_quantized_multiplier_greater_than_one(diff, mult, shift);
        const int32_t e = mf_fp_exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS);
        sum += (uint32_t)mf_rounding_divide_by_pot(e, ACCUMULATION_INTEGER_BITS);
      }
    }
    int bits_over_unit;
    const int32_t scale = mf_fp_reciprocal((int32_t)sum, ACCUMULATION_INTEGER_BITS,
                                           &bits_over_unit);
    const int exponent = bits_over_unit + 31 - (wide ? 16 : 8);
    if (exponent < 0 || exponent > 31) {
      return mf_kernel_error(ctx, "sum of exponentials out of range (depth %u)",
                             (unsigned)depth);
    }
    for (uint32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max;
      int32_t value = out_min;
      if (diff >= diff_min) {
        const int32_t scaled = mf_mul_by_quantized_multiplier_greater_than_one(diff, mult, shift);
        const int32_t e = mf_fp_exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS);
        value = mf_clamp_i32(mf_rounding_divide_by_pot(mf_srdhm(scale, e), exponent) + out_min,
                             out_min, out_max);
      }
      if (wide) {
        *out16++ = (int16_t)value;
      } else {
        *out8++ = (int8_t)value;
      }
    }
  }
  return MF_OK;
}

static void softmax_int16(const softmax_data *d, const int16_t *in, int16_t *out) {
  const uint32_t depth = d->depth;
  for (uint32_t r = 0; r < d->rows; ++r, in += depth, out += depth) {
    int32_t max = INT16_MIN;
    for (uint32_t c = 0; c < depth; ++c) max = in[c] > max ? in[c] : max;
    /* exp values cached in the output, sum in Q16.15 */
    uint32_t sum = 0;
    for (uint32_t c = 0; c < depth; ++c) {
      const int32_t scaled =
          mf_mul_by_quantized_multiplier(in[c] - max, d->input_multiplier, d->input_shift);
      const int32_t centred = mf_clamp_i32(scaled + 32767, INT16_MIN, INT16_MAX);
      out[c] = lut_lookup((int16_t)centred, softmax_exp_lut);
      sum += (uint32_t)(int32_t)out[c];
    }
    /* 1 / sum: normalise to [1, 2), look up 1 / (1 + x) */
    const int headroom_plus_one = count_leading_zeros(sum);
    const int32_t shifted =
        (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    const int32_t centred = mf_clamp_i32(shifted - ((1 << 15) + (1 << 16)), INT16_MIN, INT16_MAX);
    const int64_t reciprocal = lut_lookup((int16_t)centred, softmax_recip_lut);
    const int right_shift = 31 - headroom_plus_one;
    const int64_t round = (int64_t)1 << (right_shift - 1);
    for (uint32_t c = 0; c < depth; ++c) {
      const int32_t result = (int32_t)(((int64_t)out[c] * reciprocal + round) >> right_shift);
      out[c] = (int16_t)mf_clamp_i32(result, 0, INT16_MAX);
    }
  }
}

static mf_status softmax_invoke(mf_kernel_ctx *ctx) {
  const softmax_data *d = (const softmax_data *)mf_op_data(ctx);
  const mf_tensor *input = mf_input(ctx, 0);
  mf_tensor *output = mf_output(ctx, 0);
  switch (d->in_dtype) {
    case MF_FLOAT32:
      softmax_float(d, (const float *)input->data, (float *)output->data);
      return MF_OK;
    case MF_INT8:
      return softmax_int8(ctx, d, (const int8_t *)input->data, output->data);
    default:
      softmax_int16(d, (const int16_t *)input->data, (int16_t *)output->data);
      return MF_OK;
  }
}

const mf_op_registration mf_op_softmax = {
    25, 3, "SOFTMAX", NULL, softmax_prepare, softmax_invoke, NULL,
};
