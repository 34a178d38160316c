/* CONV_2D: float32, int8 (per-tensor or per-channel weights) and int16
 * activations with int8 weights (int32 or int64 bias). Strides, dilation,
 * SAME/VALID padding and grouped convolution (input depth a multiple of the
 * filter depth).
 *
 * Layouts: input [N, H, W, C], filter [OC, FH, FW, FC], output [N, OH, OW, OC].
 * Padded taps are skipped, as in TFLite. For int8 the input offset is folded
 * into a per-channel constant (bias + offset * sum(filter)) wherever the
 * whole filter window lies inside the image. */
#include <stddef.h>
#include <stdint.h>

#include "kernel_util.h"
#include "mf_kernel.h"
#include "quant_util.h"

enum {
  CONV_FIELD_PADDING = 0,
  CONV_FIELD_STRIDE_W = 1,
  CONV_FIELD_STRIDE_H = 2,
  CONV_FIELD_ACTIVATION = 3,
  CONV_FIELD_DILATION_W = 4,
  CONV_FIELD_DILATION_H = 5
};

/* Kept for the life of the interpreter: what invoke cannot read from the
 * tensors. Bias sums live in the node's scratch buffer. */
typedef struct conv_data {
  int32_t *multipliers; /* quantized: one per output channel */
  int8_t *shifts;
  int32_t input_offset, output_offset;
  union {
    struct { int32_t min, max; } q;
    struct { float min, max; } f;
  } act;
  int16_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
  uint8_t dtype;
  uint8_t bias_dtype;
} conv_data;

/* Everything the loops need, assembled on the stack at each invoke. */
typedef struct conv_params {
  int32_t *bias_sums;   /* int8: bias + input_offset * sum(filter of the channel) */
  const int32_t *multipliers;
  const int8_t *shifts;
  int32_t batches, in_h, in_w, in_c;
  int32_t filter_h, filter_w, filter_c;
  int32_t out_h, out_w, out_c;
  int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
  int32_t per_group; /* output channels per group */
  int32_t input_offset, output_offset;
  int32_t act_min, act_max;
  float f_min, f_max;
  uint8_t bias_dtype;
} conv_params;

/* The filter taps [*start, *end) whose input position origin + k * dilation
 * lies inside [0, size). */
static inline void tap_range(int32_t origin, int32_t size, int32_t taps, int32_t dilation,
                             int32_t *start, int32_t *end) {
  int64_t s = 0;
  int64_t e = 0;
  if (dilation == 1) {
    s = origin < 0 ? -(int64_t)origin : 0;
    e = (int64_t)size - origin;
  } else {
    if (origin < 0) s = (-(int64_t)origin + dilation - 1) / dilation;
    if (size > origin) e = ((int64_t)size - origin + dilation - 1) / dilation;
  }
  *start = (int32_t)(s < taps ? s : taps);
  *end = (int32_t)(e < 0 ? 0 : (e < taps ? e : taps));
}

static inline int32_t dot_s8(const int8_t *x, const int8_t *f, int32_t n) {
  uint32_t acc = 0;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    acc += (uint32_t)(x[i] * f[i] + x[i + 1] * f[i + 1] + x[i + 2] * f[i + 2] +
                      x[i + 3] * f[i + 3]);
  }
  for (; i < n; ++i) acc += (uint32_t)(x[i] * f[i]);
  return (int32_t)acc;
}

static inline int32_t sum_s8(const int8_t *f, int32_t n) {
  uint32_t s = 0;
  for (int32_t i = 0; i < n; ++i) s += (uint32_t)(int32_t)f[i];
  return (int32_t)s;
}

static void conv_compute_bias_sums(conv_params *d, const int8_t *filter,
                                   const int32_t *bias) {
  const int32_t taps = d->filter_h * d->filter_w * d->filter_c;
  for (int32_t c = 0; c < d->out_c; ++c) {
    uint32_t v = (uint32_t)(bias != NULL ? bias[c] : 0);
    v += (uint32_t)d->input_offset * (uint32_t)sum_s8(filter + (size_t)c * taps, taps);
    d->bias_sums[c] = (int32_t)v;
  }
}

static mf_status conv_prepare(mf_kernel_ctx *ctx) {
  const uint32_t options_type = mf_options_type(ctx);
  if (options_type != 0 && options_type != 1) { /* BuiltinOptions union type */
    return mf_kernel_error(ctx, "builtin options of type %u, expected 1", (unsigned)options_type);
  }
  const uint32_t n_in = mf_num_inputs(ctx);
  if ((n_in != 2 && n_in != 3) || mf_num_outputs(ctx) != 1) {
    return mf_kernel_error(ctx, "needs 2 or 3 inputs and 1 output");
  }
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *filter = mf_input(ctx, 1);
  const mf_tensor *bias = n_in == 3 ? mf_input(ctx, 2) : NULL;
  const mf_tensor *output = mf_output(ctx, 0);
  if (input == NULL || filter == NULL || output == NULL) {
    return mf_kernel_error(ctx, "missing input, filter or output");
  }
  const mf_dtype dtype = (mf_dtype)input->dtype;
  if (dtype != MF_FLOAT32 && dtype != MF_INT8 && dtype != MF_INT16) {
    return mf_kernel_error(ctx, "%s input is not supported", mf_dtype_name(dtype));
  }
  if (output->dtype != dtype) {
    return mf_kernel_error(ctx, "output %s, expected %s", mf_dtype_name((mf_dtype)output->dtype),
                           mf_dtype_name(dtype));
  }
  const mf_dtype ftype = dtype == MF_FLOAT32 ? MF_FLOAT32 : MF_INT8;
  if (filter->dtype != ftype) {
    return mf_kernel_error(ctx, "%s filter with %s input is not supported",
                           mf_dtype_name((mf_dtype)filter->dtype), mf_dtype_name(dtype));
  }
  if (input->ndims != 4 || filter->ndims != 4 || output->ndims != 4) {
    return mf_kernel_error(ctx, "input, filter and output must be 4-D");
  }
  const int32_t *id = input->dims;
  const int32_t *fd = filter->dims;
  const int32_t *od = output->dims;
  if (fd[0] <= 0 || fd[1] <= 0 || fd[2] <= 0 || fd[3] <= 0 || id[3] <= 0) {
    return mf_kernel_error(ctx, "empty filter or input depth");
  }
  if (id[3] % fd[3] != 0) {
    return mf_kernel_error(ctx, "input depth %d is not a multiple of filter depth %d", (int)id[3],
                           (int)fd[3]);
  }
  const int32_t groups = id[3] / fd[3];
  if (fd[0] % groups != 0) {
    return mf_kernel_error(ctx, "%d output channels do not split into %d groups", (int)fd[0],
                           (int)groups);
  }
  if (od[0] != id[0] || od[3] != fd[0]) {
    return mf_kernel_error(ctx, "output shape does not match batches and filter count");
  }
  const uint32_t padding = mf_option_u8(ctx, CONV_FIELD_PADDING, MF_PADDING_SAME);
  const int32_t stride_w = mf_option_i32(ctx, CONV_FIELD_STRIDE_W, 0);
  const int32_t stride_h = mf_option_i32(ctx, CONV_FIELD_STRIDE_H, 0);
  const int32_t dilation_w = mf_option_i32(ctx, CONV_FIELD_DILATION_W, 1);
  const int32_t dilation_h = mf_option_i32(ctx, CONV_FIELD_DILATION_H, 1);
  const uint32_t activation = mf_option_u8(ctx, CONV_FIELD_ACTIVATION, MF_ACT_NONE);
  mf_padding_dim ph;
  mf_padding_dim pw;
  if (mf_compute_padding(padding, id[1], fd[1], stride_h, dilation_h, &ph) != MF_OK ||
      mf_compute_padding(padding, id[2], fd[2], stride_w, dilation_w, &pw) != MF_OK) {
    return mf_kernel_error(ctx, "invalid geometry (padding %u, strides %d,%d, dilations %d,%d)",
                           (unsigned)padding, (int)stride_h, (int)stride_w, (int)dilation_h,
                           (int)dilation_w);
  }
  if (od[1] != ph.out || od[2] != pw.out) {
    return mf_kernel_error(ctx, "output is %dx%d, expected %dx%d", (int)od[1], (int)od[2],
                           (int)ph.out, (int)pw.out);
  }
  /* int16 accumulates in int64 unless the bias is int32 (as TFLite Micro) */
  mf_dtype btype = dtype == MF_FLOAT32 ? MF_FLOAT32 : (dtype == MF_INT8 ? MF_INT32 : MF_INT64);
  if (bias != NULL) {
    if (dtype == MF_INT16 && bias->dtype == MF_INT32) btype = MF_INT32;
    if (bias->dtype != btype) {
      return mf_kernel_error(ctx, "%s bias is not supported with %s input",
                             mf_dtype_name((mf_dtype)bias->dtype), mf_dtype_name(dtype));
    }
    if (mf_tensor_elements(bias) != (size_t)fd[0]) {
      return mf_kernel_error(ctx, "bias has %u elements, expected %d",
                             (unsigned)mf_tensor_elements(bias), (int)fd[0]);
    }
  }

  if (stride_h > INT16_MAX || stride_w > INT16_MAX || dilation_h > INT16_MAX ||
      dilation_w > INT16_MAX || ph.pad > INT16_MAX || pw.pad > INT16_MAX) {
    return mf_kernel_error(ctx, "strides, dilations and padding must be below 32768");
  }

  const int quantized = dtype != MF_FLOAT32;
  const int32_t out_c = fd[0];
  conv_data *d = (conv_data *)mf_alloc_persistent(ctx, sizeof(conv_data));
  int32_t *multipliers =
      quantized ? (int32_t *)mf_alloc_persistent(ctx, (size_t)out_c * sizeof(int32_t)) : NULL;
  int8_t *shifts = quantized ? (int8_t *)mf_alloc_persistent(ctx, (size_t)out_c) : NULL;
  if (d == NULL || (quantized && (multipliers == NULL || shifts == NULL))) {
    return MF_ERR_ARENA_TOO_SMALL;
  }
  d->multipliers = multipliers;
  d->shifts = shifts;
  d->stride_h = (int16_t)stride_h;
  d->stride_w = (int16_t)stride_w;
  d->dilation_h = (int16_t)dilation_h;
  d->dilation_w = (int16_t)dilation_w;
  d->pad_h = (int16_t)ph.pad;
  d->pad_w = (int16_t)pw.pad;
  d->input_offset = 0;
  d->output_offset = 0;
  d->dtype = (uint8_t)dtype;
  d->bias_dtype = (uint8_t)btype;
  mf_set_op_data(ctx, d);
  if (dtype == MF_INT8) {
    mf_status status = mf_request_scratch(ctx, (size_t)out_c * sizeof(int32_t));
    if (status != MF_OK) return status;
  }

  if (!quantized) {
    if (mf_activation_range_float(activation, &d->act.f.min, &d->act.f.max) != MF_OK) {
      return mf_kernel_error(ctx, "unknown fused activation %u", (unsigned)activation);
    }
    return MF_OK;
  }
  mf_quant iq;
  mf_quant fq;
  mf_quant oq;
  if (mf_input_quant(ctx, 0, &iq) != MF_OK || iq.channels != 1 ||
      mf_output_quant(ctx, 0, &oq) != MF_OK || oq.channels != 1) {
    return mf_kernel_error(ctx, "input and output need per-tensor quantization");
  }
  if (mf_input_quant(ctx, 1, &fq) != MF_OK || fq.channels == 0) {
    return mf_kernel_error(ctx, "filter is not quantized");
  }
  if (fq.channels != 1 && (fq.channels != (uint32_t)out_c || fq.axis != 0)) {
    return mf_kernel_error(ctx, "filter has %u scales on axis %d, expected 1 or %d on axis 0",
                           (unsigned)fq.channels, (int)fq.axis, (int)out_c);
  }
  /* Filters are symmetric: like TFLite, any filter zero point is ignored. */
  if (!(iq.scale > 0.0f) || !(oq.scale > 0.0f)) {
    return mf_kernel_error(ctx, "quantization scales must be positive");
  }
  for (int32_t c = 0; c < out_c; ++c) {
    int32_t mult;
    int32_t shift;
    const float fs = fq.scales[fq.channels == 1 ? 0 : c];
    if (!(fs > 0.0f)) return mf_kernel_error(ctx, "filter scale %d is not positive", (int)c);
    const double real = (double)iq.scale * (double)fs / (double)oq.scale;
    if (mf_quantize_multiplier(real, &mult, &shift) != MF_OK || shift > 31 || shift < -31) {
      return mf_kernel_error(ctx, "effective scale of channel %d is out of range", (int)c);
    }
    multipliers[c] = mult;
    shifts[c] = (int8_t)shift;
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
    d->input_offset = -iq.zero_point;
    d->output_offset = oq.zero_point;
  }
  return MF_OK;
}

/* Four output channels oc..oc+3 of one output position whose filter window
 * lies inside the image, filter rows being contiguous runs of `run` values. */
static inline void conv_block4_int8(const conv_params *d, const int8_t *x_row, size_t row_step,
                                    const int8_t *f0, size_t filter_step, int32_t run,
                                    int32_t oc, int8_t *out) {
  const int8_t *f1 = f0 + filter_step;
  const int8_t *f2 = f1 + filter_step;
  const int8_t *f3 = f2 + filter_step;
  uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t fy = 0; fy < d->filter_h; ++fy, x_row += row_step) {
    for (int32_t i = 0; i < run; ++i) {
      const int32_t x = x_row[i];
      a0 += (uint32_t)(x * f0[i]);
      a1 += (uint32_t)(x * f1[i]);
      a2 += (uint32_t)(x * f2[i]);
      a3 += (uint32_t)(x * f3[i]);
    }
    f0 += run;
    f1 += run;
    f2 += run;
    f3 += run;
  }
  const uint32_t acc[4] = {a0, a1, a2, a3};
  for (int k = 0; k < 4; ++k) {
    const int32_t c = oc + k;
    const int32_t v = mf_mul_by_quantized_multiplier(
        (int32_t)(acc[k] + (uint32_t)d->bias_sums[c]), d->multipliers[c], d->shifts[c]);
    out[k] = (int8_t)mf_clamp_i32(mf_wrap_add(v, d->output_offset), d->act_min, d->act_max);
  }
}

static void conv_eval_int8(const conv_params *d, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *out) {
  const int32_t H = d->in_h, W = d->in_w, C = d->in_c;
  const int32_t FH = d->filter_h, FW = d->filter_w, FC = d->filter_c, OC = d->out_c;
  const int32_t dh = d->dilation_h, dw = d->dilation_w;
  const size_t row_step = (size_t)W * C * dh; /* input elements between filter rows */
  const size_t filter_step = (size_t)FH * FW * FC;
  const int merge = dw == 1 && FC == C; /* a filter row is one contiguous run */
  const int32_t xo = d->input_offset;
  const int32_t out_off = d->output_offset;
  const int32_t lo = d->act_min, hi = d->act_max;
  for (int32_t b = 0; b < d->batches; ++b) {
    const int8_t *in_b = input + (size_t)b * H * W * C;
    for (int32_t oy = 0; oy < d->out_h; ++oy) {
      const int32_t iy0 = oy * d->stride_h - d->pad_h;
      int32_t row_fy0, row_fy1;
      tap_range(iy0, H, FH, dh, &row_fy0, &row_fy1);
      for (int32_t ox = 0; ox < d->out_w; ++ox) {
        const int32_t ix0 = ox * d->stride_w - d->pad_w;
        int32_t fy0 = row_fy0, fy1 = row_fy1, fx0, fx1;
        tap_range(ix0, W, FW, dw, &fx0, &fx1);
        const int full = fy0 == 0 && fy1 == FH && fx0 == 0 && fx1 == FW;
        const int8_t *x_start = in_b;
        if (fy0 < fy1 && fx0 < fx1) {
          x_start += ((size_t)(iy0 + fy0 * dh) * W + (size_t)(ix0 + fx0 * dw)) * C;
        } else {
          fy0 = fy1 = fx0 = fx1 = 0; /* no tap inside the image */
        }
        const int32_t run = (fx1 - fx0) * FC;
        int32_t group_base = 0;
        int32_t group_left = d->per_group;
        const int8_t *f_oc = filter + ((size_t)fy0 * FW + fx0) * FC;
        int32_t oc = 0;
        if (full && merge) { /* whole window, one group: four channels share input loads */
          for (; oc + 4 <= OC; oc += 4) {
            conv_block4_int8(d, x_start, row_step, f_oc, filter_step, run, oc, out);
            out += 4;
            f_oc += 4 * filter_step;
          }
          group_left -= oc;
        }
        for (; oc < OC; ++oc) {
          int32_t acc = 0;
          int32_t fsum = 0;
          const int8_t *x_row = x_start + group_base;
          const int8_t *f_row = f_oc;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            if (merge) {
              acc = mf_wrap_add(acc, dot_s8(x_row, f_row, run));
              if (!full) fsum = mf_wrap_add(fsum, sum_s8(f_row, run));
            } else {
              const int8_t *x = x_row;
              const int8_t *f = f_row;
              for (int32_t fx = fx0; fx < fx1; ++fx) {
                acc = mf_wrap_add(acc, dot_s8(x, f, FC));
                if (!full) fsum = mf_wrap_add(fsum, sum_s8(f, FC));
                x += (size_t)dw * C;
                f += FC;
              }
            }
            x_row += row_step;
            f_row += (size_t)FW * FC;
          }
          if (full) {
            acc = mf_wrap_add(acc, d->bias_sums[oc]);
          } else {
            acc = mf_wrap_add(acc, (int32_t)((uint32_t)xo * (uint32_t)fsum));
            if (bias != NULL) acc = mf_wrap_add(acc, bias[oc]);
          }
          acc = mf_wrap_add(mf_mul_by_quantized_multiplier(acc, d->multipliers[oc], d->shifts[oc]),
                            out_off);
          *out++ = (int8_t)mf_clamp_i32(acc, lo, hi);
          f_oc += filter_step;
          if (--group_left == 0) {
            group_left = d->per_group;
            group_base += FC;
          }
        }
      }
    }
  }
}

/* int16 activations: no input or output offset (TFLite assumes zero points
 * of 0); the accumulator is int64 with an int64 bias, else int32. */
static void conv_eval_int16(const conv_params *d, const int16_t *input, const int8_t *filter,
                            const void *bias, int16_t *out) {
  const int32_t H = d->in_h, W = d->in_w, C = d->in_c;
  const int32_t FH = d->filter_h, FW = d->filter_w, FC = d->filter_c, OC = d->out_c;
  const int32_t dh = d->dilation_h, dw = d->dilation_w;
  const size_t row_step = (size_t)W * C * dh;
  const size_t filter_step = (size_t)FH * FW * FC;
  const int wide = d->bias_dtype == MF_INT64;
  const int32_t lo = d->act_min, hi = d->act_max;
  for (int32_t b = 0; b < d->batches; ++b) {
    const int16_t *in_b = input + (size_t)b * H * W * C;
    for (int32_t oy = 0; oy < d->out_h; ++oy) {
      const int32_t iy0 = oy * d->stride_h - d->pad_h;
      int32_t row_fy0, row_fy1;
      tap_range(iy0, H, FH, dh, &row_fy0, &row_fy1);
      for (int32_t ox = 0; ox < d->out_w; ++ox) {
        const int32_t ix0 = ox * d->stride_w - d->pad_w;
        int32_t fy0 = row_fy0, fy1 = row_fy1, fx0, fx1;
        tap_range(ix0, W, FW, dw, &fx0, &fx1);
        const int16_t *x_start = in_b;
        if (fy0 < fy1 && fx0 < fx1) {
          x_start += ((size_t)(iy0 + fy0 * dh) * W + (size_t)(ix0 + fx0 * dw)) * C;
        } else {
          fy0 = fy1 = fx0 = fx1 = 0; /* no tap inside the image */
        }
        int32_t group_base = 0;
        int32_t group_left = d->per_group;
        const int8_t *f_oc = filter + ((size_t)fy0 * FW + fx0) * FC;
        for (int32_t oc = 0; oc < OC; ++oc) {
          int64_t acc = 0;
          const int16_t *x_row = x_start + group_base;
          const int8_t *f_row = f_oc;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            const int16_t *x = x_row;
            const int8_t *f = f_row;
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              for (int32_t i = 0; i < FC; ++i) acc += (int32_t)f[i] * x[i];
              x += (size_t)dw * C;
              f += FC;
            }
            x_row += row_step;
            f_row += (size_t)FW * FC;
          }
          int32_t scaled;
          if (wide) {
            if (bias != NULL) acc += ((const int64_t *)bias)[oc];
            scaled = mf_mul_by_quantized_multiplier_i64(acc, d->multipliers[oc], d->shifts[oc]);
          } else {
            int32_t acc32 = (int32_t)(uint32_t)(uint64_t)acc;
            if (bias != NULL) acc32 = mf_wrap_add(acc32, ((const int32_t *)bias)[oc]);
            scaled = mf_mul_by_quantized_multiplier(acc32, d->multipliers[oc], d->shifts[oc]);
          }
          *out++ = (int16_t)mf_clamp_i32(scaled, lo, hi);
          f_oc += filter_step;
          if (--group_left == 0) {
            group_left = d->per_group;
            group_base += FC;
          }
        }
      }
    }
  }
}

static void conv_eval_float(const conv_params *d, const float *input, const float *filter,
                            const float *bias, float *out) {
  const int32_t H = d->in_h, W = d->in_w, C = d->in_c;
  const int32_t FH = d->filter_h, FW = d->filter_w, FC = d->filter_c, OC = d->out_c;
  const int32_t dh = d->dilation_h, dw = d->dilation_w;
  const size_t row_step = (size_t)W * C * dh;
  const size_t filter_step = (size_t)FH * FW * FC;
  const float lo = d->f_min, hi = d->f_max;
  for (int32_t b = 0; b < d->batches; ++b) {
    const float *in_b = input + (size_t)b * H * W * C;
    for (int32_t oy = 0; oy < d->out_h; ++oy) {
      const int32_t iy0 = oy * d->stride_h - d->pad_h;
      int32_t row_fy0, row_fy1;
      tap_range(iy0, H, FH, dh, &row_fy0, &row_fy1);
      for (int32_t ox = 0; ox < d->out_w; ++ox) {
        const int32_t ix0 = ox * d->stride_w - d->pad_w;
        int32_t fy0 = row_fy0, fy1 = row_fy1, fx0, fx1;
        tap_range(ix0, W, FW, dw, &fx0, &fx1);
        const float *x_start = in_b;
        if (fy0 < fy1 && fx0 < fx1) {
          x_start += ((size_t)(iy0 + fy0 * dh) * W + (size_t)(ix0 + fx0 * dw)) * C;
        } else {
          fy0 = fy1 = fx0 = fx1 = 0; /* no tap inside the image */
        }
        int32_t group_base = 0;
        int32_t group_left = d->per_group;
        const float *f_oc = filter + ((size_t)fy0 * FW + fx0) * FC;
        for (int32_t oc = 0; oc < OC; ++oc) {
          float total = 0.0f; /* same summation order as the reference */
          const float *x_row = x_start + group_base;
          const float *f_row = f_oc;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            const float *x = x_row;
            const float *f = f_row;
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              for (int32_t i = 0; i < FC; ++i) total += x[i] * f[i];
              x += (size_t)dw * C;
              f += FC;
            }
            x_row += row_step;
            f_row += (size_t)FW * FC;
          }
          *out++ = mf_clamp_f32(total + (bias != NULL ? bias[oc] : 0.0f), lo, hi);
          f_oc += filter_step;
          if (--group_left == 0) {
            group_left = d->per_group;
            group_base += FC;
          }
        }
      }
    }
  }
}

static mf_status conv_invoke(mf_kernel_ctx *ctx) {
  const conv_data *d = (const conv_data *)mf_op_data(ctx);
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *filter = mf_input(ctx, 1);
  const mf_tensor *bias = mf_num_inputs(ctx) == 3 ? mf_input(ctx, 2) : NULL;
  mf_tensor *output = mf_output(ctx, 0);
  const void *bias_data = bias != NULL ? bias->data : NULL;
  conv_params p;
  p.multipliers = d->multipliers;
  p.shifts = d->shifts;
  p.batches = input->dims[0];
  p.in_h = input->dims[1];
  p.in_w = input->dims[2];
  p.in_c = input->dims[3];
  p.out_c = filter->dims[0];
  p.filter_h = filter->dims[1];
  p.filter_w = filter->dims[2];
  p.filter_c = filter->dims[3];
  p.out_h = output->dims[1];
  p.out_w = output->dims[2];
  p.stride_h = d->stride_h;
  p.stride_w = d->stride_w;
  p.dilation_h = d->dilation_h;
  p.dilation_w = d->dilation_w;
  p.pad_h = d->pad_h;
  p.pad_w = d->pad_w;
  p.per_group = p.out_c / (p.in_c / p.filter_c);
  p.input_offset = d->input_offset;
  p.output_offset = d->output_offset;
  p.act_min = d->act.q.min;
  p.act_max = d->act.q.max;
  p.f_min = d->act.f.min;
  p.f_max = d->act.f.max;
  p.bias_dtype = d->bias_dtype;
  p.bias_sums = NULL;
  switch (d->dtype) {
    case MF_INT8:
      p.bias_sums = (int32_t *)mf_scratch(ctx);
      conv_compute_bias_sums(&p, (const int8_t *)filter->data, (const int32_t *)bias_data);
      conv_eval_int8(&p, (const int8_t *)input->data, (const int8_t *)filter->data,
                     (const int32_t *)bias_data, (int8_t *)output->data);
      break;
    case MF_INT16:
      conv_eval_int16(&p, (const int16_t *)input->data, (const int8_t *)filter->data, bias_data,
                      (int16_t *)output->data);
      break;
    default:
      conv_eval_float(&p, (const float *)input->data, (const float *)filter->data,
                      (const float *)bias_data, (float *)output->data);
      break;
  }
  return MF_OK;
}

const mf_op_registration mf_op_conv_2d = {
    3, 8, "CONV_2D", NULL, conv_prepare, conv_invoke, NULL,
};
