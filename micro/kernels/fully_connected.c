/* FULLY_CONNECTED: float32, int8 (per-tensor or per-channel weights) and
 * int16 activations with int8 weights and int64 bias.
 *
 * Inputs: input [.., accum_depth] (any rank, flattened into batches),
 * weights [out_depth, accum_depth], optional bias [out_depth].
 * Output [.., out_depth]. */
#include <stddef.h>
#include <stdint.h>

#include "mf_kernel.h"
#include "quant_util.h"

enum { FC_FIELD_ACTIVATION = 0, FC_FIELD_WEIGHTS_FORMAT = 1 };

typedef struct fc_data {
  int32_t *bias_sums;   /* int8: bias + input_offset * sum(weights row); NULL otherwise */
  int32_t *multipliers; /* per output channel */
  int8_t *shifts;
  uint32_t batches;
  uint32_t accum_depth;
  uint32_t out_depth;
  uint32_t channel_step; /* 1 per-channel, 0 per-tensor */
  int32_t input_offset;
  int32_t filter_offset; /* per-tensor int8/int16 weights only */
  int32_t output_offset;
  int32_t act_min;
  int32_t act_max;
  float f_min;
  float f_max;
  uint8_t dtype;
  uint8_t sums_constant; /* bias_sums computed once in prepare */
} fc_data;

/* sum(a[i] * b[i]) for int8 vectors. */
/* sum(a[i] * b[i]) for int8 vectors, wrapping like the reference's int32. */
static inline int32_t dot_s8(const int8_t *a, const int8_t *b, uint32_t n) {
  uint32_t acc = 0;
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    acc += (uint32_t)(a[i] * b[i] + a[i + 1] * b[i + 1] + a[i + 2] * b[i + 2] +
                      a[i + 3] * b[i + 3]);
  }
  for (; i < n; ++i) acc += (uint32_t)(a[i] * b[i]);
  return (int32_t)acc;
}

static int32_t sum_s8(const int8_t *a, uint32_t n) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < n; ++i) s += (uint32_t)(int32_t)a[i];
  return (int32_t)s;
}

/* bias[c] + input_offset * sum(weights row c) (+ the filter offset terms
 * that do not depend on the input), the part of each accumulator that is
 * the same for every batch. Wrap-around int32 arithmetic, as the reference. */
static void fc_compute_bias_sums(const fc_data *d, const int8_t *weights, const int32_t *bias) {
  const uint32_t depth = d->accum_depth;
  const int32_t fixed = (int32_t)((uint32_t)d->filter_offset * (uint32_t)d->input_offset *
                                  depth);
  for (uint32_t c = 0; c < d->out_depth; ++c) {
    const int32_t row_sum = sum_s8(weights + (size_t)c * depth, depth);
    uint32_t v = (uint32_t)(bias != NULL ? bias[c] : 0);
    v += (uint32_t)d->input_offset * (uint32_t)row_sum;
    v += (uint32_t)fixed;
    d->bias_sums[c] = (int32_t)v;
  }
}

static mf_status fc_prepare(mf_kernel_ctx *ctx) {
  const uint32_t n_in = mf_num_inputs(ctx);
  if ((n_in != 2 && n_in != 3) || mf_num_outputs(ctx) != 1) {
    return mf_kernel_error(ctx, "needs 2 or 3 inputs and 1 output");
  }
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *weights = mf_input(ctx, 1);
  const mf_tensor *bias = n_in == 3 ? mf_input(ctx, 2) : NULL;
  const mf_tensor *output = mf_output(ctx, 0);
  if (input == NULL || weights == NULL || output == NULL) {
    return mf_kernel_error(ctx, "missing input, weights or output");
  }
  const mf_dtype dtype = (mf_dtype)input->dtype;
  if (dtype != MF_FLOAT32 && dtype != MF_INT8 && dtype != MF_INT16) {
    return mf_kernel_error(ctx, "%s input is not supported", mf_dtype_name(dtype));
  }
  if (output->dtype != dtype) {
    return mf_kernel_error(ctx, "output %s, expected %s", mf_dtype_name((mf_dtype)output->dtype),
                           mf_dtype_name(dtype));
  }
  const mf_dtype wtype = dtype == MF_FLOAT32 ? MF_FLOAT32 : MF_INT8;
  if (weights->dtype != wtype) {
    return mf_kernel_error(ctx, "%s weights with %s input are not supported",
                           mf_dtype_name((mf_dtype)weights->dtype), mf_dtype_name(dtype));
  }
  if (weights->ndims != 2 || weights->dims[0] <= 0 || weights->dims[1] <= 0) {
    return mf_kernel_error(ctx, "weights must be 2-D and non-empty");
  }
  if (output->ndims < 1) return mf_kernel_error(ctx, "output must have rank >= 1");
  const uint32_t out_depth = (uint32_t)weights->dims[0];
  const uint32_t accum_depth = (uint32_t)weights->dims[1];
  if ((uint32_t)output->dims[output->ndims - 1] != out_depth) {
    return mf_kernel_error(ctx, "output depth %d, weights have %u rows",
                           (int)output->dims[output->ndims - 1], (unsigned)out_depth);
  }
  const size_t out_elements = mf_tensor_elements(output);
  const size_t batches = out_elements / out_depth;
  if (mf_tensor_elements(input) != batches * accum_depth) {
    return mf_kernel_error(ctx, "input has %u elements, expected %u batches x %u",
                           (unsigned)mf_tensor_elements(input), (unsigned)batches,
                           (unsigned)accum_depth);
  }
  const mf_dtype btype = dtype == MF_FLOAT32 ? MF_FLOAT32 : (dtype == MF_INT8 ? MF_INT32 : MF_INT64);
  if (bias != NULL) {
    if (bias->dtype != btype) {
      return mf_kernel_error(ctx, "%s bias, expected %s", mf_dtype_name((mf_dtype)bias->dtype),
                             mf_dtype_name(btype));
    }
    if (mf_tensor_elements(bias) != out_depth) {
      return mf_kernel_error(ctx, "bias has %u elements, expected %u",
                             (unsigned)mf_tensor_elements(bias), (unsigned)out_depth);
    }
  }
  if (mf_option_u8(ctx, FC_FIELD_WEIGHTS_FORMAT, 0) != 0) {
    return mf_kernel_error(ctx, "shuffled weights format is not supported");
  }
  const uint32_t activation = mf_option_u8(ctx, FC_FIELD_ACTIVATION, MF_ACT_NONE);

  const int quantized = dtype != MF_FLOAT32;
  mf_quant wq = {0};
  if (quantized && mf_input_quant(ctx, 1, &wq) != MF_OK) {
    return mf_kernel_error(ctx, "weights are not quantized");
  }
  const uint32_t channels = quantized ? (wq.channels > 1 ? out_depth : 1) : 0;
  if (quantized && wq.channels != 1 && (wq.channels != out_depth || wq.axis != 0)) {
    return mf_kernel_error(ctx, "weights have %u scales on axis %d, expected 1 or %u on axis 0",
                           (unsigned)wq.channels, (int)wq.axis, (unsigned)out_depth);
  }

  fc_data *d = (fc_data *)mf_alloc_persistent(ctx, sizeof(fc_data));
  int32_t *multipliers =
      quantized ? (int32_t *)mf_alloc_persistent(ctx, channels * sizeof(int32_t)) : NULL;
  int32_t *bias_sums =
      dtype == MF_INT8 ? (int32_t *)mf_alloc_persistent(ctx, out_depth * sizeof(int32_t)) : NULL;
  int8_t *shifts = quantized ? (int8_t *)mf_alloc_persistent(ctx, channels) : NULL;
  if (d == NULL || (quantized && (multipliers == NULL || shifts == NULL)) ||
      (dtype == MF_INT8 && bias_sums == NULL)) {
    return MF_ERR_ARENA_TOO_SMALL;
  }
  d->bias_sums = bias_sums;
  d->multipliers = multipliers;
  d->shifts = shifts;
  d->batches = (uint32_t)batches;
  d->accum_depth = accum_depth;
  d->out_depth = out_depth;
  d->dtype = (uint8_t)dtype;
  d->input_offset = 0;
  d->filter_offset = 0;
  d->output_offset = 0;
  d->sums_constant = 0;
  d->channel_step = channels > 1 ? 1 : 0;
  mf_set_op_data(ctx, d);

  if (!quantized) {
    if (mf_activation_range_float(activation, &d->f_min, &d->f_max) != MF_OK) {
      return mf_kernel_error(ctx, "unknown fused activation %u", (unsigned)activation);
    }
    return MF_OK;
  }

  mf_quant iq;
  mf_quant oq;
  if (mf_input_quant(ctx, 0, &iq) != MF_OK || iq.channels != 1 ||
      mf_output_quant(ctx, 0, &oq) != MF_OK || oq.channels != 1) {
    return mf_kernel_error(ctx, "input and output need per-tensor quantization");
  }
  if (!(iq.scale > 0.0f) || !(oq.scale > 0.0f) || !(wq.scale > 0.0f)) {
    return mf_kernel_error(ctx, "quantization scales must be positive");
  }
  if (wq.channels > 1) {
    for (uint32_t c = 0; c < channels; ++c) {
      if (mf_quant_zero_point(&wq, c) != 0) {
        return mf_kernel_error(ctx, "per-channel weights need zero points of 0");
      }
    }
  }
  /* Multipliers: input scale x weight scale / output scale in double. */
  for (uint32_t c = 0; c < channels; ++c) {
    double real;
    if (wq.channels > 1) {
      const float ws = wq.scales[c];
      if (!(ws > 0.0f)) return mf_kernel_error(ctx, "weight scale %u is not positive", (unsigned)c);
      real = (double)iq.scale * (double)ws / (double)oq.scale;
    } else {
      real = (double)iq.scale * (double)wq.scale / (double)oq.scale;
    }
    int32_t shift;
    if (mf_quantize_multiplier(real, &multipliers[c], &shift) != MF_OK || shift > 31 ||
        shift < -31) {
      return mf_kernel_error(ctx, "effective scale of channel %u is out of range", (unsigned)c);
    }
    shifts[c] = (int8_t)shift;
  }
  if (wq.channels == 1 && bias != NULL) {
    mf_quant bq;
    if (mf_input_quant(ctx, 2, &bq) == MF_OK && bq.channels >= 1) {
      const double product = (double)iq.scale * (double)wq.scale;
      double diff = product - (double)bq.scale;
      if (diff < 0) diff = -diff;
      if (!(diff / (double)oq.scale <= 0.02)) {
        return mf_kernel_error(ctx, "bias scale does not match input x weight scale");
      }
    }
  }
  if (mf_activation_range_quantized(activation, dtype, oq.scale, oq.zero_point, &d->act_min,
                                    &d->act_max) != MF_OK) {
    return mf_kernel_error(ctx, "cannot compute the activation range (activation %u)",
                           (unsigned)activation);
  }
  if (dtype == MF_INT8) {
    if (iq.zero_point < INT8_MIN || iq.zero_point > INT8_MAX) {
      return mf_kernel_error(ctx, "input zero point %d out of range", (int)iq.zero_point);
    }
    d->input_offset = -iq.zero_point;
    d->output_offset = oq.zero_point;
  }
  /* Per-channel weights are symmetric; per-tensor weights may carry an
   * offset (int16 ignores the input and output zero points, as TFLite). */
  d->filter_offset = wq.channels > 1 ? 0 : -wq.zero_point;
  if (d->filter_offset < -255 || d->filter_offset > 255) {
    return mf_kernel_error(ctx, "weight zero point %d out of range", (int)wq.zero_point);
  }
  if (dtype == MF_INT8 && (weights->flags & MF_TENSOR_CONSTANT) &&
      (bias == NULL || (bias->flags & MF_TENSOR_CONSTANT))) {
    fc_compute_bias_sums(d, (const int8_t *)weights->data,
                         bias != NULL ? (const int32_t *)bias->data : NULL);
    d->sums_constant = 1;
  }
  return MF_OK;
}

static void fc_eval_float(const fc_data *d, const float *in, const float *w, const float *bias,
                          float *out) {
  const uint32_t depth = d->accum_depth;
  const float lo = d->f_min;
  const float hi = d->f_max;
  for (uint32_t b = 0; b < d->batches; ++b) {
    const float *row = w;
    for (uint32_t c = 0; c < d->out_depth; ++c) {
      float total = 0.0f;
      for (uint32_t i = 0; i < depth; ++i) total += in[i] * row[i];
      row += depth;
      *out++ = mf_clamp_f32(total + (bias != NULL ? bias[c] : 0.0f), lo, hi);
    }
    in += depth;
  }
}

static void fc_eval_int8(const fc_data *d, const int8_t *in, const int8_t *w, int8_t *out) {
  const uint32_t depth = d->accum_depth;
  const uint32_t step = d->channel_step;
  const int32_t fo = d->filter_offset;
  const int32_t out_off = d->output_offset;
  const int32_t lo = d->act_min;
  const int32_t hi = d->act_max;
  for (uint32_t b = 0; b < d->batches; ++b) {
    /* filter_offset * sum(input) is the one batch-dependent correction */
    const int32_t in_term = fo != 0 ? (int32_t)((uint32_t)fo * (uint32_t)sum_s8(in, depth)) : 0;
    const int8_t *row = w;
    const int32_t *sums = d->bias_sums;
    const int32_t *mult = d->multipliers;
    const int8_t *shift = d->shifts;
    for (uint32_t c = 0; c < d->out_depth; ++c) {
      int32_t acc = mf_wrap_add(mf_wrap_add(dot_s8(in, row, depth), *sums++), in_term);
      row += depth;
      acc = mf_wrap_add(mf_mul_by_quantized_multiplier(acc, *mult, *shift), out_off);
      mult += step;
      shift += step;
      *out++ = (int8_t)mf_clamp_i32(acc, lo, hi);
    }
    in += depth;
  }
}

static void fc_eval_int16(const fc_data *d, const int16_t *in, const int8_t *w,
                          const int64_t *bias, int16_t *out) {
  const uint32_t depth = d->accum_depth;
  const int32_t fo = d->filter_offset;
  const int32_t lo = d->act_min;
  const int32_t hi = d->act_max;
  for (uint32_t b = 0; b < d->batches; ++b) {
    int64_t in_term = 0;
    if (fo != 0) {
      for (uint32_t i = 0; i < depth; ++i) in_term += in[i];
      in_term *= fo;
    }
    const int8_t *row = w;
    for (uint32_t c = 0; c < d->out_depth; ++c) {
      int64_t acc = in_term;
      for (uint32_t i = 0; i < depth; ++i) acc += (int32_t)row[i] * (int32_t)in[i];
      row += depth;
      if (bias != NULL) acc += bias[c];
      const uint32_t ch = c * d->channel_step;
      const int32_t scaled = mf_mul_by_quantized_multiplier_i64(acc, d->multipliers[ch],
                                                                d->shifts[ch]);
      *out++ = (int16_t)mf_clamp_i32(scaled, lo, hi);
    }
    in += depth;
  }
}

static mf_status fc_invoke(mf_kernel_ctx *ctx) {
  fc_data *d = (fc_data *)mf_op_data(ctx);
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *weights = mf_input(ctx, 1);
  const mf_tensor *bias = mf_num_inputs(ctx) == 3 ? mf_input(ctx, 2) : NULL;
  mf_tensor *output = mf_output(ctx, 0);
  switch (d->dtype) {
    case MF_FLOAT32:
      fc_eval_float(d, (const float *)input->data, (const float *)weights->data,
                    bias != NULL ? (const float *)bias->data : NULL, (float *)output->data);
      break;
    case MF_INT8:
      if (!d->sums_constant) {
        fc_compute_bias_sums(d, (const int8_t *)weights->data,
                             bias != NULL ? (const int32_t *)bias->data : NULL);
      }
      fc_eval_int8(d, (const int8_t *)input->data, (const int8_t *)weights->data,
                   (int8_t *)output->data);
      break;
    default:
      fc_eval_int16(d, (const int16_t *)input->data, (const int8_t *)weights->data,
                    bias != NULL ? (const int64_t *)bias->data : NULL, (int16_t *)output->data);
      break;
  }
  return MF_OK;
}

const mf_op_registration mf_op_fully_connected = {
    9, 13, "FULLY_CONNECTED", NULL, fc_prepare, fc_invoke, NULL,
};
