/* LOGISTIC (sigmoid): float32, int8 and int16.
 *
 * int8: input rescaled into Q4.27, fixed-point logistic, output scale 1/256
 * with zero point -128. int16: zero points 0, output scale 2^-15, linear
 * interpolation in the shared sigmoid table. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "mf_kernel.h"
#include "quant_util.h"

enum { LOGISTIC_INPUT_INTEGER_BITS = 4 };

typedef struct logistic_data {
  uint32_t count;
  int32_t input_zero_point;
  int32_t input_range_radius;
  int32_t input_multiplier;
  int32_t input_shift;
  uint8_t dtype;
} logistic_data;

/* The int8 input rescaling shared with TANH: scale * 2^27 as a Q0.31
 * multiplier and exponent, and the saturation radius. */
static mf_status int8_input_params(mf_kernel_ctx *ctx, float scale, logistic_data *d) {
  const double real = (double)scale * (double)(1 << (31 - LOGISTIC_INPUT_INTEGER_BITS));
  int exponent;
  const double fraction = mf_frexp(real, &exponent);
  const double fixed = mf_round(fraction * 2147483648.0);
  if (!(scale > 0.0f) || !mf_isfinite(real) || fixed >= 2147483648.0 || exponent < 0) {
    return mf_kernel_error(ctx, "input scale %f is out of range", (double)scale);
  }
  d->input_multiplier = (int32_t)fixed;
  d->input_shift = exponent;
  d->input_range_radius = mf_input_radius(LOGISTIC_INPUT_INTEGER_BITS, exponent, 31);
  if (exponent > 31 && d->input_range_radius != 0) {
    return mf_kernel_error(ctx, "input scale %f is out of range", (double)scale);
  }
  return MF_OK;
}

/* int16: a multiplier taking the input to the table's 1/(3 * 4096) scale
 * (multiplier 0 marks a power-of-two scale handled by shifts alone). */
static mf_status int16_input_params(mf_kernel_ctx *ctx, float scale, int max_pot_shift,
                                    logistic_data *d) {
  int log2_scale;
  int pot = mf_checked_log2(scale, &log2_scale);
  int shift = (15 - 3) + log2_scale;
  pot = pot && shift >= 0 && shift <= max_pot_shift;
  if (pot) {
    d->input_multiplier = 0;
    d->input_shift = shift;
    return MF_OK;
  }
  double multiplier = (double)scale * 4096.0 * 3.0;
  shift = 0;
  while (multiplier <= 32767.0 / 2.0 && shift <= 30) {
    ++shift;
    multiplier *= 2.0;
  }
  if (!(multiplier < 65536.0)) {
    return mf_kernel_error(ctx, "input scale %f is too large for int16", (double)scale);
  }
  d->input_multiplier = (int32_t)multiplier;
  d->input_shift = shift;
  return MF_OK;
}

static mf_status logistic_prepare(mf_kernel_ctx *ctx) {
  if (mf_num_inputs(ctx) != 1 || mf_num_outputs(ctx) != 1) {
    return mf_kernel_error(ctx, "needs 1 input and 1 output");
  }
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *output = mf_output(ctx, 0);
  if (input == NULL || output == NULL) return mf_kernel_error(ctx, "missing input or output");
  const mf_dtype dtype = (mf_dtype)input->dtype;
  if (dtype != MF_FLOAT32 && dtype != MF_INT8 && dtype != MF_INT16) {
    return mf_kernel_error(ctx, "%s input is not supported", mf_dtype_name(dtype));
  }
  if (output->dtype != dtype) {
    return mf_kernel_error(ctx, "output %s, expected %s", mf_dtype_name((mf_dtype)output->dtype),
                           mf_dtype_name(dtype));
  }
  if (mf_tensor_elements(output) != mf_tensor_elements(input)) {
    return mf_kernel_error(ctx, "output and input sizes differ");
  }
  logistic_data *d = (logistic_data *)mf_alloc_persistent(ctx, sizeof(logistic_data));
  if (d == NULL) return MF_ERR_ARENA_TOO_SMALL;
  d->count = (uint32_t)mf_tensor_elements(input);
  d->dtype = (uint8_t)dtype;
  d->input_zero_point = 0;
  d->input_range_radius = 0;
  d->input_multiplier = 0;
  d->input_shift = 0;
  mf_set_op_data(ctx, d);
  if (dtype == MF_FLOAT32) return MF_OK;

  mf_quant iq;
  mf_quant oq;
  if (mf_input_quant(ctx, 0, &iq) != MF_OK || iq.channels != 1 ||
      mf_output_quant(ctx, 0, &oq) != MF_OK || oq.channels != 1) {
    return mf_kernel_error(ctx, "input and output need per-tensor quantization");
  }
  if (dtype == MF_INT8) {
    if (oq.zero_point != INT8_MIN) return mf_kernel_error(ctx, "output zero point must be -128");
    if (iq.zero_point < INT8_MIN || iq.zero_point > INT8_MAX) {
      return mf_kernel_error(ctx, "input zero point %d out of range", (int)iq.zero_point);
    }
    d->input_zero_point = iq.zero_point;
    return int8_input_params(ctx, iq.scale, d);
  }
  if (iq.zero_point != 0 || oq.zero_point != 0) {
    return mf_kernel_error(ctx, "int16 needs zero points of 0");
  }
  int log2_out;
  if (!mf_checked_log2(oq.scale, &log2_out) || log2_out != -15) {
    return mf_kernel_error(ctx, "int16 output scale must be 2^-15");
  }
  return int16_input_params(ctx, iq.scale, 0, d);
}

static void logistic_float(uint32_t n, const float *in, float *out) {
  const float cutoff_upper = 16.619047164916992188f;
  const float cutoff_lower = -9.0f;
  for (uint32_t i = 0; i < n; ++i) {
    const float v = in[i];
    float r;
    if (v > cutoff_upper) {
      r = 1.0f;
    } else if (v < cutoff_lower) {
      r = expf(v);
    } else {
      r = 1.0f / (1.0f + expf(-v));
    }
    out[i] = r;
  }
}

static void logistic_int8(const logistic_data *d, const int8_t *in, int8_t *out) {
  const int32_t zp = d->input_zero_point;
  const int32_t radius = d->input_range_radius;
  for (uint32_t i = 0; i < d->count; ++i) {
    const int32_t x = in[i] - zp;
    if (x <= -radius) {
      out[i] = INT8_MIN;
    } else if (x >= radius) {
      out[i] = INT8_MAX;
    } else {
      const int32_t q4 = mf_mul_by_quantized_multiplier(x, d->input_multiplier, d->input_shift);
      const int32_t q0 = mf_fp_logistic(q4, LOGISTIC_INPUT_INTEGER_BITS);
      out[i] = (int8_t)mf_clamp_i32(mf_rounding_divide_by_pot(q0, 23) - 128, INT8_MIN, INT8_MAX);
    }
  }
}

static void logistic_int16(const logistic_data *d, const int16_t *in, int16_t *out) {
  int32_t multiplier = d->input_multiplier;
  int32_t shift = d->input_shift;
  if (multiplier == 0) { /* power-of-two input scale */
    multiplier = 3 << shift;
    shift = 0;
  }
  const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
  for (uint32_t i = 0; i < d->count; ++i) {
    const int32_t x = (in[i] * multiplier + round) >> shift;
    const uint32_t magnitude = (uint32_t)(x < 0 ? -x : x);
    const uint32_t index = magnitude >> 9;
    uint32_t result;
    if (index >= 255) {
      result = 0x7FFFu << 10;
    } else {
      const uint32_t lo = mf_sigmoid_table_u16[index];
      const uint32_t hi = mf_sigmoid_table_u16[index + 1];
      result = (lo << 9) + (magnitude & 0x1ff) * (hi - lo);
    }
    result = x >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1;
    out[i] = (int16_t)(result >> 10);
  }
}

static mf_status logistic_invoke(mf_kernel_ctx *ctx) {
  const logistic_data *d = (const logistic_data *)mf_op_data(ctx);
  const mf_tensor *input = mf_input(ctx, 0);
  mf_tensor *output = mf_output(ctx, 0);
  switch (d->dtype) {
    case MF_FLOAT32:
      logistic_float(d->count, (const float *)input->data, (float *)output->data);
      break;
    case MF_INT8:
      logistic_int8(d, (const int8_t *)input->data, (int8_t *)output->data);
      break;
    default:
      logistic_int16(d, (const int16_t *)input->data, (int16_t *)output->data);
      break;
  }
  return MF_OK;
}

const mf_op_registration mf_op_logistic = {
    14, 3, "LOGISTIC", NULL, logistic_prepare, logistic_invoke, NULL,
};
