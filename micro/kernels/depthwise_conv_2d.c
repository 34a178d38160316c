/* DEPTHWISE_CONV_2D: float32, int8 (per-tensor or per-channel weights) and
 * int16 activations with int8 weights (int64 bias). Depth multiplier,
 * strides, dilation, SAME/VALID padding.
 *
 * Layouts: input [N, H, W, C], filter [1, FH, FW, C * M], output
 * [N, OH, OW, C * M]; output channel c * M + m reads input channel c.
 * Padded taps are skipped. For int8 the input offset is folded into a
 * per-channel constant wherever the whole window lies inside the image. */
#include <stddef.h>
#include <stdint.h>

#include "kernel_util.h"
#include "mf_kernel.h"
#include "quant_util.h"

enum {
  DW_FIELD_PADDING = 0,
  DW_FIELD_STRIDE_W = 1,
  DW_FIELD_STRIDE_H = 2,
  DW_FIELD_DEPTH_MULTIPLIER = 3,
  DW_FIELD_ACTIVATION = 4,
  DW_FIELD_DILATION_W = 5,
  DW_FIELD_DILATION_H = 6
};

/* Kept for the life of the interpreter: what invoke cannot read from the
 * tensors. Bias sums live in the node's scratch buffer. */
typedef struct dw_data {
  int32_t *multipliers; /* quantized: one per output channel */
  int8_t *shifts;
  int32_t input_offset, output_offset;
  union {
    struct { int32_t min, max; } q;
    struct { float min, max; } f;
  } act;
  int16_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
  uint8_t dtype;
} dw_data;

/* Everything the loops need, assembled on the stack at each invoke. */
typedef struct dw_params {
  int32_t *bias_sums; /* int8: bias + input_offset * sum(filter of the channel) */
  const int32_t *multipliers;
  const int8_t *shifts;
  int32_t batches, in_h, in_w, in_c;
  int32_t filter_h, filter_w, multiplier;
  int32_t out_h, out_w, out_c;
  int32_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
  int32_t input_offset, output_offset;
  int32_t act_min, act_max;
  float f_min, f_max;
} dw_params;

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

static void dw_compute_bias_sums(dw_params *d, const int8_t *filter, const int32_t *bias) {
  const int32_t taps = d->filter_h * d->filter_w;
  const int32_t oc_count = d->out_c;
  for (int32_t c = 0; c < oc_count; ++c) {
    uint32_t s = 0;
    const int8_t *f = filter + c;
    for (int32_t t = 0; t < taps; ++t, f += oc_count) s += (uint32_t)(int32_t)*f;
    uint32_t v = (uint32_t)(bias != NULL ? bias[c] : 0);
    v += (uint32_t)d->input_offset * s;
    d->bias_sums[c] = (int32_t)v;
  }
}

static mf_status dw_prepare(mf_kernel_ctx *ctx) {
  const uint32_t options_type = mf_options_type(ctx);
  if (options_type != 0 && options_type != 2) { /* BuiltinOptions union type */
    return mf_kernel_error(ctx, "builtin options of type %u, expected 2", (unsigned)options_type);
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
  if (fd[0] != 1 || fd[1] <= 0 || fd[2] <= 0 || fd[3] <= 0 || id[3] <= 0) {
    return mf_kernel_error(ctx, "filter must be [1, H, W, channels] and non-empty");
  }
  if (fd[3] % id[3] != 0) {
    return mf_kernel_error(ctx, "%d filter channels are not a multiple of %d input channels",
                           (int)fd[3], (int)id[3]);
  }
  const int32_t multiplier = fd[3] / id[3];
  const int32_t option_multiplier = mf_option_i32(ctx, DW_FIELD_DEPTH_MULTIPLIER, 0);
  if (option_multiplier != multiplier) {
    return mf_kernel_error(ctx, "depth multiplier %d does not match %d filter / %d input channels",
                           (int)option_multiplier, (int)fd[3], (int)id[3]);
  }
  if (od[0] != id[0] || od[3] != fd[3]) {
    return mf_kernel_error(ctx, "output shape does not match batches and filter channels");
  }
  const uint32_t padding = mf_option_u8(ctx, DW_FIELD_PADDING, MF_PADDING_SAME);
  const int32_t stride_w = mf_option_i32(ctx, DW_FIELD_STRIDE_W, 0);
  const int32_t stride_h = mf_option_i32(ctx, DW_FIELD_STRIDE_H, 0);
  const int32_t dilation_w = mf_option_i32(ctx, DW_FIELD_DILATION_W, 1);
  const int32_t dilation_h = mf_option_i32(ctx, DW_FIELD_DILATION_H, 1);
  const uint32_t activation = mf_option_u8(ctx, DW_FIELD_ACTIVATION, MF_ACT_NONE);
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
  const mf_dtype btype =
      dtype == MF_FLOAT32 ? MF_FLOAT32 : (dtype == MF_INT8 ? MF_INT32 : MF_INT64);
  if (bias != NULL) {
    if (bias->dtype != btype) {
      return mf_kernel_error(ctx, "%s bias is not supported with %s input",
                             mf_dtype_name((mf_dtype)bias->dtype), mf_dtype_name(dtype));
    }
    if (mf_tensor_elements(bias) != (size_t)fd[3]) {
      return mf_kernel_error(ctx, "bias has %u elements, expected %d",
                             (unsigned)mf_tensor_elements(bias), (int)fd[3]);
    }
  }

  if (stride_h > INT16_MAX || stride_w > INT16_MAX || dilation_h > INT16_MAX ||
      dilation_w > INT16_MAX || ph.pad > INT16_MAX || pw.pad > INT16_MAX) {
    return mf_kernel_error(ctx, "strides, dilations and padding must be below 32768");
  }

  const int quantized = dtype != MF_FLOAT32;
  const int32_t out_c = fd[3];
  dw_data *d = (dw_data *)mf_alloc_persistent(ctx, sizeof(dw_data));
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
  if (fq.channels != 1 && (fq.channels != (uint32_t)out_c || fq.axis != 3)) {
    return mf_kernel_error(ctx, "filter has %u scales on axis %d, expected 1 or %d on axis 3",
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

/* Window of one output position: the valid taps and where they start. */
typedef struct dw_window {
  int32_t fy0, fy1, fx0, fx1;
  int full;
  size_t in_start;  /* input element offset of the first valid tap (channel 0) */
  size_t f_start;   /* filter element offset of the first valid tap (channel 0) */
} dw_window;

static inline void dw_window_at(const dw_params *d, int32_t fy0, int32_t fy1, int32_t iy0,
                                int32_t ox, dw_window *w) {
  const int32_t ix0 = ox * d->stride_w - d->pad_w;
  int32_t fx0, fx1;
  tap_range(ix0, d->in_w, d->filter_w, d->dilation_w, &fx0, &fx1);
  w->full = fy0 == 0 && fy1 == d->filter_h && fx0 == 0 && fx1 == d->filter_w;
  if (fy0 < fy1 && fx0 < fx1) {
    w->fy0 = fy0;
    w->fy1 = fy1;
    w->fx0 = fx0;
    w->fx1 = fx1;
    w->in_start = ((size_t)(iy0 + fy0 * d->dilation_h) * d->in_w +
                   (size_t)(ix0 + fx0 * d->dilation_w)) * d->in_c;
    w->f_start = ((size_t)fy0 * d->filter_w + fx0) * d->out_c;
  } else { /* no tap inside the image */
    w->fy0 = w->fy1 = w->fx0 = w->fx1 = 0;
    w->in_start = 0;
    w->f_start = 0;
  }
}

/* Adds the bias (or the bias sums inside the image), requantizes and stores
 * channels oc..oc+3. */
static inline void dw_finish4_int8(const dw_params *d, int full, const uint32_t *acc,
                                   const int32_t *bias, int32_t oc, int8_t *out) {
  for (int k = 0; k < 4; ++k) {
    const int32_t c = oc + k;
    uint32_t total = acc[k];
    if (full) {
      total += (uint32_t)d->bias_sums[c];
    } else if (bias != NULL) {
      total += (uint32_t)bias[c];
    }
    const int32_t v =
        mf_mul_by_quantized_multiplier((int32_t)total, d->multipliers[c], d->shifts[c]);
    out[k] = (int8_t)mf_clamp_i32(mf_wrap_add(v, d->output_offset), d->act_min, d->act_max);
  }
}

/* Channels oc..oc+3 (depth multiplier 1) of one output position. Inside the
 * image the input offset comes from the bias sums, at the borders it is
 * added to every tap. */
static inline void dw_block4_int8(const dw_params *d, const dw_window *w, const int8_t *x_c,
                                  const int8_t *f_c, const int32_t *bias, int32_t oc,
                                  int8_t *out) {
  const size_t x_col = (size_t)d->dilation_w * d->in_c;
  const size_t x_row = (size_t)d->dilation_h * d->in_w * d->in_c;
  const size_t f_row = (size_t)d->filter_w * d->out_c;
  const size_t f_col = (size_t)d->out_c;
  const int32_t rows = w->fy1 - w->fy0;
  const int32_t cols = w->fx1 - w->fx0;
  const int32_t xo = d->input_offset;
  uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t y = 0; y < rows; ++y, x_c += x_row, f_c += f_row) {
    const int8_t *x = x_c;
    const int8_t *f = f_c;
    if (w->full) {
      for (int32_t t = 0; t < cols; ++t, x += x_col, f += f_col) {
        a0 += (uint32_t)(x[0] * f[0]);
        a1 += (uint32_t)(x[1] * f[1]);
        a2 += (uint32_t)(x[2] * f[2]);
        a3 += (uint32_t)(x[3] * f[3]);
      }
    } else {
      for (int32_t t = 0; t < cols; ++t, x += x_col, f += f_col) {
        a0 += (uint32_t)((x[0] + xo) * f[0]);
        a1 += (uint32_t)((x[1] + xo) * f[1]);
        a2 += (uint32_t)((x[2] + xo) * f[2]);
        a3 += (uint32_t)((x[3] + xo) * f[3]);
      }
    }
  }
  const uint32_t acc[4] = {a0, a1, a2, a3};
  dw_finish4_int8(d, w->full, acc, bias, oc, out);
}

/* Outputs oc..oc+3 of one input channel (depth multiplier a multiple of 4):
 * each input tap is loaded once for four filter values. */
static inline void dw_block4_shared_int8(const dw_params *d, const dw_window *w,
                                         const int8_t *x_c, const int8_t *f_c,
                                         const int32_t *bias, int32_t oc, int8_t *out) {
  const size_t x_col = (size_t)d->dilation_w * d->in_c;
  const size_t x_row = (size_t)d->dilation_h * d->in_w * d->in_c;
  const size_t f_row = (size_t)d->filter_w * d->out_c;
  const size_t f_col = (size_t)d->out_c;
  const int32_t rows = w->fy1 - w->fy0;
  const int32_t cols = w->fx1 - w->fx0;
  const int32_t xo = w->full ? 0 : d->input_offset;
  uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t y = 0; y < rows; ++y, x_c += x_row, f_c += f_row) {
    const int8_t *x = x_c;
    const int8_t *f = f_c;
    for (int32_t t = 0; t < cols; ++t, x += x_col, f += f_col) {
      const int32_t v = *x + xo;
      a0 += (uint32_t)(v * f[0]);
      a1 += (uint32_t)(v * f[1]);
      a2 += (uint32_t)(v * f[2]);
      a3 += (uint32_t)(v * f[3]);
    }
  }
  const uint32_t acc[4] = {a0, a1, a2, a3};
  dw_finish4_int8(d, w->full, acc, bias, oc, out);
}

static void dw_eval_int8(const dw_params *d, const int8_t *input, const int8_t *filter,
                         const int32_t *bias, int8_t *out) {
  const int32_t C = d->in_c, M = d->multiplier, OC = d->out_c;
  const size_t x_col = (size_t)d->dilation_w * C;           /* next tap in a row */
  const size_t x_row = (size_t)d->dilation_h * d->in_w * C; /* next filter row */
  const size_t f_row = (size_t)d->filter_w * OC;
  const int32_t xo = d->input_offset;
  const int32_t out_off = d->output_offset;
  const int32_t lo = d->act_min, hi = d->act_max;
  for (int32_t b = 0; b < d->batches; ++b) {
    const int8_t *in_b = input + (size_t)b * d->in_h * d->in_w * C;
    for (int32_t oy = 0; oy < d->out_h; ++oy) {
      const int32_t iy0 = oy * d->stride_h - d->pad_h;
      int32_t fy0, fy1;
      tap_range(iy0, d->in_h, d->filter_h, d->dilation_h, &fy0, &fy1);
      for (int32_t ox = 0; ox < d->out_w; ++ox) {
        dw_window w;
        dw_window_at(d, fy0, fy1, iy0, ox, &w);
        const int32_t rows = w.fy1 - w.fy0;
        const int32_t cols = w.fx1 - w.fx0;
        const int8_t *x_c = in_b + w.in_start;
        const int8_t *f_c = filter + w.f_start;
        int32_t oc = 0;
        int32_t ic = 0;
        if (M == 1) { /* four adjacent channels at a time */
          for (; ic + 4 <= C; ic += 4, oc += 4, x_c += 4, f_c += 4, out += 4) {
            dw_block4_int8(d, &w, x_c, f_c, bias, oc, out);
          }
        } else if (M % 4 == 0) { /* four outputs of one input channel at a time */
          for (; ic < C; ++ic, ++x_c) {
            for (int32_t m = 0; m < M; m += 4, oc += 4, f_c += 4, out += 4) {
              dw_block4_shared_int8(d, &w, x_c, f_c, bias, oc, out);
            }
          }
        }
        for (; ic < C; ++ic, ++x_c) {
          for (int32_t m = 0; m < M; ++m, ++oc, ++f_c) {
            uint32_t acc = 0;
            uint32_t fsum = 0;
            const int8_t *xr = x_c;
            const int8_t *fr = f_c;
            if (w.full) {
              for (int32_t y = 0; y < rows; ++y, xr += x_row, fr += f_row) {
                const int8_t *x = xr;
                const int8_t *f = fr;
                for (int32_t t = 0; t < cols; ++t, x += x_col, f += OC) {
                  acc += (uint32_t)(*x * *f);
                }
              }
              acc += (uint32_t)d->bias_sums[oc];
            } else {
              for (int32_t y = 0; y < rows; ++y, xr += x_row, fr += f_row) {
                const int8_t *x = xr;
                const int8_t *f = fr;
                for (int32_t t = 0; t < cols; ++t, x += x_col, f += OC) {
                  acc += (uint32_t)(*x * *f);
                  fsum += (uint32_t)(int32_t)*f;
                }
              }
              acc += (uint32_t)xo * fsum;
              if (bias != NULL) acc += (uint32_t)bias[oc];
            }
            const int32_t scaled = mf_wrap_add(
                mf_mul_by_quantized_multiplier((int32_t)acc, d->multipliers[oc], d->shifts[oc]),
                out_off);
            *out++ = (int8_t)mf_clamp_i32(scaled, lo, hi);
          }
        }
      }
    }
  }
}

/* int16 activations: no input or output offset (zero points of 0), int64
 * accumulator and bias. */
static void dw_eval_int16(const dw_params *d, const int16_t *input, const int8_t *filter,
                          const int64_t *bias, int16_t *out) {
  const int32_t C = d->in_c, M = d->multiplier, OC = d->out_c;
  const size_t x_col = (size_t)d->dilation_w * C;
  const size_t x_row = (size_t)d->dilation_h * d->in_w * C;
  const size_t f_row = (size_t)d->filter_w * OC;
  const int32_t lo = d->act_min, hi = d->act_max;
  for (int32_t b = 0; b < d->batches; ++b) {
    const int16_t *in_b = input + (size_t)b * d->in_h * d->in_w * C;
    for (int32_t oy = 0; oy < d->out_h; ++oy) {
      const int32_t iy0 = oy * d->stride_h - d->pad_h;
      int32_t fy0, fy1;
      tap_range(iy0, d->in_h, d->filter_h, d->dilation_h, &fy0, &fy1);
      for (int32_t ox = 0; ox < d->out_w; ++ox) {
        dw_window w;
        dw_window_at(d, fy0, fy1, iy0, ox, &w);
        const int32_t rows = w.fy1 - w.fy0;
        const int32_t cols = w.fx1 - w.fx0;
        const int16_t *x_c = in_b + w.in_start;
        const int8_t *f_c = filter + w.f_start;
        int32_t oc = 0;
        for (int32_t ic = 0; ic < C; ++ic, ++x_c) {
          for (int32_t m = 0; m < M; ++m, ++oc, ++f_c) {
            int64_t acc = 0;
            const int16_t *xr = x_c;
            const int8_t *fr = f_c;
            for (int32_t y = 0; y < rows; ++y, xr += x_row, fr += f_row) {
              const int16_t *x = xr;
              const int8_t *f = fr;
              for (int32_t t = 0; t < cols; ++t, x += x_col, f += OC) acc += *x * *f;
            }
            if (bias != NULL) acc += bias[oc];
            const int32_t scaled =
                mf_mul_by_quantized_multiplier_i64(acc, d->multipliers[oc], d->shifts[oc]);
            *out++ = (int16_t)mf_clamp_i32(scaled, lo, hi);
          }
        }
      }
    }
  }
}

static void dw_eval_float(const dw_params *d, const float *input, const float *filter,
                          const float *bias, float *out) {
  const int32_t C = d->in_c, M = d->multiplier, OC = d->out_c;
  const size_t x_col = (size_t)d->dilation_w * C;
  const size_t x_row = (size_t)d->dilation_h * d->in_w * C;
  const size_t f_row = (size_t)d->filter_w * OC;
  const float lo = d->f_min, hi = d->f_max;
  for (int32_t b = 0; b < d->batches; ++b) {
    const float *in_b = input + (size_t)b * d->in_h * d->in_w * C;
    for (int32_t oy = 0; oy < d->out_h; ++oy) {
      const int32_t iy0 = oy * d->stride_h - d->pad_h;
      int32_t fy0, fy1;
      tap_range(iy0, d->in_h, d->filter_h, d->dilation_h, &fy0, &fy1);
      for (int32_t ox = 0; ox < d->out_w; ++ox) {
        dw_window w;
        dw_window_at(d, fy0, fy1, iy0, ox, &w);
        const int32_t rows = w.fy1 - w.fy0;
        const int32_t cols = w.fx1 - w.fx0;
        const float *x_c = in_b + w.in_start;
        const float *f_c = filter + w.f_start;
        int32_t oc = 0;
        for (int32_t ic = 0; ic < C; ++ic, ++x_c) {
          for (int32_t m = 0; m < M; ++m, ++oc, ++f_c) {
            float total = 0.0f; /* the reference's order: rows, then columns */
            const float *xr = x_c;
            const float *fr = f_c;
            for (int32_t y = 0; y < rows; ++y, xr += x_row, fr += f_row) {
              const float *x = xr;
              const float *f = fr;
              for (int32_t t = 0; t < cols; ++t, x += x_col, f += OC) total += *x * *f;
            }
            *out++ = mf_clamp_f32(total + (bias != NULL ? bias[oc] : 0.0f), lo, hi);
          }
        }
      }
    }
  }
}

static mf_status dw_invoke(mf_kernel_ctx *ctx) {
  const dw_data *d = (const dw_data *)mf_op_data(ctx);
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *filter = mf_input(ctx, 1);
  const mf_tensor *bias = mf_num_inputs(ctx) == 3 ? mf_input(ctx, 2) : NULL;
  mf_tensor *output = mf_output(ctx, 0);
  const void *bias_data = bias != NULL ? bias->data : NULL;
  dw_params p;
  p.multipliers = d->multipliers;
  p.shifts = d->shifts;
  p.batches = input->dims[0];
  p.in_h = input->dims[1];
  p.in_w = input->dims[2];
  p.in_c = input->dims[3];
  p.filter_h = filter->dims[1];
  p.filter_w = filter->dims[2];
  p.out_c = filter->dims[3];
  p.multiplier = p.out_c / p.in_c;
  p.out_h = output->dims[1];
  p.out_w = output->dims[2];
  p.stride_h = d->stride_h;
  p.stride_w = d->stride_w;
  p.dilation_h = d->dilation_h;
  p.dilation_w = d->dilation_w;
  p.pad_h = d->pad_h;
  p.pad_w = d->pad_w;
  p.input_offset = d->input_offset;
  p.output_offset = d->output_offset;
  p.act_min = d->act.q.min;
  p.act_max = d->act.q.max;
  p.f_min = d->act.f.min;
  p.f_max = d->act.f.max;
  p.bias_sums = NULL;
  switch (d->dtype) {
    case MF_INT8:
      p.bias_sums = (int32_t *)mf_scratch(ctx);
      dw_compute_bias_sums(&p, (const int8_t *)filter->data, (const int32_t *)bias_data);
      dw_eval_int8(&p, (const int8_t *)input->data, (const int8_t *)filter->data,
                   (const int32_t *)bias_data, (int8_t *)output->data);
      break;
    case MF_INT16:
      dw_eval_int16(&p, (const int16_t *)input->data, (const int8_t *)filter->data,
                    (const int64_t *)bias_data, (int16_t *)output->data);
      break;
    default:
      dw_eval_float(&p, (const float *)input->data, (const float *)filter->data,
                    (const float *)bias_data, (float *)output->data);
      break;
  }
  return MF_OK;
}

const mf_op_registration mf_op_depthwise_conv_2d = {
    4, 8, "DEPTHWISE_CONV_2D", NULL, dw_prepare, dw_invoke, NULL,
};
