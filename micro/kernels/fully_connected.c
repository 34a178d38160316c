/* FULLY_CONNECTED: float32, int8 (per-tensor or per-channel weights) and
 * int16 activations with int8 weights and int64 bias.
 *
 * Inputs: input [.., accum_depth] (any rank, flattened into batches),
 * weights [out_depth, accum_depth], optional bias [out_depth].
 * Output [.., out_depth]. Shapes are read from the tensors at invoke; the op
 * data keeps only the quantization. */
#include <stddef.h>
#include <stdint.h>

#include "mf_kernel.h"
#include "quant_util.h"

enum { FC_FIELD_ACTIVATION = 0, FC_FIELD_WEIGHTS_FORMAT = 1 };

typedef struct fc_data {
  const int32_t *multipliers; /* per output channel, or NULL: `multiplier` for all */
  const int8_t *shifts;
  int32_t multiplier;
  int16_t input_offset;  /* int8 only */
  int16_t filter_offset; /* per-tensor weights only */
  int16_t output_offset; /* int8 only */
  int8_t shift;
  uint8_t dtype;
  union {
    struct { int32_t min, max; } q;
    struct { float min, max; } f;
  } act;
} fc_data;

/* sum(x[i] * w[i]) for int8 vectors, wrapping like the reference's int32. */
static inline uint32_t dot_s8(const int8_t *x, const int8_t *w, uint32_t n) {
  uint32_t acc = 0;
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    acc += (uint32_t)(x[i] * w[i] + x[i + 1] * w[i + 1] + x[i + 2] * w[i + 2] +
                      x[i + 3] * w[i + 3]);
  }
  for (; i < n; ++i) acc += (uint32_t)(x[i] * w[i]);
  return acc;
}

/* The same, also summing w (for the input offset term). */
static inline uint32_t dot_sum_s8(const int8_t *x, const int8_t *w, uint32_t n, uint32_t *sum) {
  uint32_t acc = 0;
  uint32_t s = 0;
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    acc += (uint32_t)(x[i] * w[i] + x[i + 1] * w[i + 1] + x[i + 2] * w[i + 2] +
                      x[i + 3] * w[i + 3]);
    s += (uint32_t)(w[i] + w[i + 1] + w[i + 2] + w[i + 3]);
  }
  for (; i < n; ++i) {
    acc += (uint32_t)(x[i] * w[i]);
    s += (uint32_t)(int32_t)w[i];
  }
  *sum = s;
  return acc;
}

static uint32_t sum_s8(const int8_t *a, uint32_t n) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < n; ++i) s += (uint32_t)(int32_t)a[i];
  return s;
}

static mf_status fc_prepare(mf_kernel_ctx *ctx) {
  const uint32_t options_type = mf_options_type(ctx);
  if (options_type != 0 && options_type != 8) { /* BuiltinOptions union type */
    return mf_kernel_error(ctx, "builtin options of type %u, expected 8", (unsigned)options_type);
  }
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
  const mf_dtype btype =
      dtype == MF_FLOAT32 ? MF_FLOAT32 : (dtype == MF_INT8 ? MF_INT32 : MF_INT64);
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

  const int per_channel = quantized && wq.channels > 1;
  fc_data *d = (fc_data *)mf_alloc_persistent(ctx, sizeof(fc_data));
  int32_t *multipliers =
      per_channel ? (int32_t *)mf_alloc_persistent(ctx, out_depth * sizeof(int32_t)) : NULL;
  int8_t *shifts = per_channel ? (int8_t *)mf_alloc_persistent(ctx, out_depth) : NULL;
  if (d == NULL || (per_channel && (multipliers == NULL || shifts == NULL))) {
    return MF_ERR_ARENA_TOO_SMALL;
  }
  d->multipliers = multipliers;
  d->shifts = shifts;
  d->multiplier = 0;
  d->shift = 0;
  d->dtype = (uint8_t)dtype;
  d->input_offset = 0;
  d->filter_offset = 0;
  d->output_offset = 0;
  mf_set_op_data(ctx, d);

  if (!quantized) {
    if (mf_activation_range_float(activation, &d->act.f.min, &d->act.f.max) != MF_OK) {
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
  /* Multipliers: input scale x weight scale / output scale in double. */
  for (uint32_t c = 0; c < channels; ++c) {
    const float ws = wq.scales[c];
    if (!(ws > 0.0f)) return mf_kernel_error(ctx, "weight scale %u is not positive", (unsigned)c);
    const double real = (double)iq.scale * (double)ws / (double)oq.scale;
    int32_t multiplier;
    int32_t shift;
    if (mf_quantize_multiplier(real, &multiplier, &shift) != MF_OK || shift > 31 ||
        shift < -31) {
      return mf_kernel_error(ctx, "effective scale of channel %u is out of range", (unsigned)c);
    }
    if (per_channel) {
      multipliers[c] = multiplier;
      shifts[c] = (int8_t)shift;
    } else {
      d->multiplier = multiplier;
      d->shift = (int8_t)shift;
    }
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
  if (mf_activation_range_quantized(activation, dtype, oq.scale, oq.zero_point, &d->act.q.min,
                                    &d->act.q.max) != MF_OK) {
    return mf_kernel_error(ctx, "cannot compute the activation range (activation %u)",
                           (unsigned)activation);
  }
  if (dtype == MF_INT8) {
    if (iq.zero_point < INT8_MIN || iq.zero_point > INT8_MAX) {
      return mf_kernel_error(ctx, "input zero point %d out of range", (int)iq.zero_point);
    }
    if (oq.zero_point < INT8_MIN || oq.zero_point > INT8_MAX) {
      return mf_kernel_error(ctx, "output zero point %d out of range", (int)oq.zero_point);
    }
    d->input_offset = (int16_t)-iq.zero_point;
    d->output_offset = (int16_t)oq.zero_point;
  }
  /* Per-channel weights are symmetric; per-tensor weights may carry an
   * offset (int16 ignores the input and output zero points, as TFLite). */
  const int32_t filter_offset = wq.channels > 1 ? 0 : -wq.zero_point;
  if (filter_offset < -255 || filter_offset > 255) {
    return mf_kernel_error(ctx, "weight zero point %d out of range", (int)wq.zero_point);
  }
  d->filter_offset = (int16_t)filter_offset;
  return MF_OK;
}

/* Batches, accumulation depth and output depth of a node. */
typedef struct fc_shape {
  uint32_t batches, depth, units;
} fc_shape;

static void fc_eval_float(const fc_data *d, const fc_shape *sh, const float *in, const float *w,
                          const float *bias, float *out) {
  const uint32_t depth = sh->depth;
  const float lo = d->act.f.min;
  const float hi = d->act.f.max;
  for (uint32_t b = 0; b < sh->batches; ++b) {
    const float *row = w;
    for (uint32_t c = 0; c < sh->units; ++c) {
      float total = 0.0f;
      for (uint32_t i = 0; i < depth; ++i) total += in[i] * row[i];
      row += depth;
      *out++ = mf_clamp_f32(total + (bias != NULL ? bias[c] : 0.0f), lo, hi);
    }
    in += depth;
  }
}

/* acc = sum((w + filter_offset) * (x + input_offset)) + bias, expanded so the
 * inner loop is a plain dot product (plus the weight sum when the input has
 * an offset). */
static void fc_eval_int8(const fc_data *d, const fc_shape *sh, const int8_t *in, const int8_t *w,
                         const int32_t *bias, int8_t *out) {
  const uint32_t depth = sh->depth;
  const uint32_t step = d->multipliers != NULL ? 1 : 0;
  const uint32_t xo = (uint32_t)(int32_t)d->input_offset;
  const uint32_t fo = (uint32_t)(int32_t)d->filter_offset;
  const int32_t out_off = d->output_offset;
  const int32_t lo = d->act.q.min;
  const int32_t hi = d->act.q.max;
  for (uint32_t b = 0; b < sh->batches; ++b) {
    /* terms without the weights: fo * sum(x) + fo * xo * depth */
    const uint32_t fixed = fo != 0 ? fo * sum_s8(in, depth) + fo * xo * depth : 0;
    const int8_t *row = w;
    const int32_t *mult = d->multipliers != NULL ? d->multipliers : &d->multiplier;
    const int8_t *shift = d->shifts != NULL ? d->shifts : &d->shift;
    for (uint32_t c = 0; c < sh->units; ++c, row += depth, mult += step, shift += step) {
      uint32_t acc;
      if (xo != 0) {
        uint32_t row_sum;
        acc = dot_sum_s8(in, row, depth, &row_sum);
        acc += xo * row_sum;
      } else {
        acc = dot_s8(in, row, depth);
      }
      acc += fixed;
      if (bias != NULL) acc += (uint32_t)bias[c];
      const int32_t v = mf_mul_by_quantized_multiplier((int32_t)acc, *mult, *shift);
      *out++ = (int8_t)mf_clamp_i32(mf_wrap_add(v, out_off), lo, hi);
    }
    in += depth;
  }
}

static void fc_eval_int16(const fc_data *d, const fc_shape *sh, const int16_t *in,
                          const int8_t *w, const int64_t *bias, int16_t *out) {
  const uint32_t depth = sh->depth;
  const uint32_t step = d->multipliers != NULL ? 1 : 0;
  const int32_t fo = d->filter_offset;
  const int32_t lo = d->act.q.min;
  const int32_t hi = d->act.q.max;
  for (uint32_t b = 0; b < sh->batches; ++b) {
    int64_t in_term = 0;
    if (fo != 0) {
      for (uint32_t i = 0; i < depth; ++i) in_term += in[i];
      in_term *= fo;
    }
    const int8_t *row = w;
    const int32_t *mult = d->multipliers != NULL ? d->multipliers : &d->multiplier;
    const int8_t *shift = d->shifts != NULL ? d->shifts : &d->shift;
    for (uint32_t c = 0; c < sh->units; ++c, row += depth, mult += step, shift += step) {
      int64_t acc = in_term;
      for (uint32_t i = 0; i < depth; ++i) acc += (int32_t)row[i] * (int32_t)in[i];
      if (bias != NULL) acc += bias[c];
      const int32_t scaled = mf_mul_by_quantized_multiplier_i64(acc, *mult, *shift);
      *out++ = (int16_t)mf_clamp_i32(scaled, lo, hi);
    }
    in += depth;
  }
}

static mf_status fc_invoke(mf_kernel_ctx *ctx) {
  const fc_data *d = (const fc_data *)mf_op_data(ctx);
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *weights = mf_input(ctx, 1);
  const mf_tensor *bias = mf_num_inputs(ctx) == 3 ? mf_input(ctx, 2) : NULL;
  mf_tensor *output = mf_output(ctx, 0);
  const void *bias_data = bias != NULL ? bias->data : NULL;
  fc_shape sh;
  sh.units = (uint32_t)weights->dims[0];
  sh.depth = (uint32_t)weights->dims[1];
  sh.batches = 1;
  for (uint32_t i = 0; i + 1 < output->ndims; ++i) sh.batches *= (uint32_t)output->dims[i];
  switch (d->dtype) {
    case MF_FLOAT32:
      fc_eval_float(d, &sh, (const float *)input->data, (const float *)weights->data,
                    (const float *)bias_data, (float *)output->data);
      break;
    case MF_INT8:
      fc_eval_int8(d, &sh, (const int8_t *)input->data, (const int8_t *)weights->data,
                   (const int32_t *)bias_data, (int8_t *)output->data);
      break;
    default:
      fc_eval_int16(d, &sh, (const int16_t *)input->data, (const int8_t *)weights->data,
                    (const int64_t *)bias_data, (int16_t *)output->data);
      break;
  }
  return MF_OK;
}

const mf_op_registration mf_op_fully_connected = {
    9, 13, "FULLY_CONNECTED", NULL, fc_prepare, fc_invoke, NULL,
};
