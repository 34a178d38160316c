/* AVERAGE_POOL_2D: float32, int8 and int16 (input and output share their
 * quantization). Windows are clipped to the image; the average divides by
 * the number of taps inside it, rounding half away from zero for integers. */
#include <stddef.h>
#include <stdint.h>

#include "kernel_util.h"
#include "mf_kernel.h"
#include "quant_util.h"

enum {
  POOL_FIELD_PADDING = 0,
  POOL_FIELD_STRIDE_W = 1,
  POOL_FIELD_STRIDE_H = 2,
  POOL_FIELD_FILTER_W = 3,
  POOL_FIELD_FILTER_H = 4,
  POOL_FIELD_ACTIVATION = 5
};

/* Kept for the life of the interpreter; shapes are read from the tensors. */
typedef struct avg_pool_data {
  int16_t filter_h, filter_w, stride_h, stride_w, pad_h, pad_w;
  union {
    struct { int32_t min, max; } q;
    struct { float min, max; } f;
  } act;
  uint8_t dtype;
} avg_pool_data;

/* What the loops need, assembled on the stack at each invoke. */
typedef struct avg_pool_params {
  int32_t batches, in_h, in_w, channels;
  int32_t filter_h, filter_w, out_h, out_w;
  int32_t stride_h, stride_w, pad_h, pad_w;
  int32_t act_min, act_max;
  float f_min, f_max;
} avg_pool_params;

static mf_status avg_pool_prepare(mf_kernel_ctx *ctx) {
  const uint32_t options_type = mf_options_type(ctx);
  if (options_type != 0 && options_type != 5) { /* BuiltinOptions union type */
    return mf_kernel_error(ctx, "builtin options of type %u, expected 5", (unsigned)options_type);
  }
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
  if (input->ndims != 4 || output->ndims != 4) {
    return mf_kernel_error(ctx, "input and output must be 4-D");
  }
  const int32_t *id = input->dims;
  const int32_t *od = output->dims;
  const uint32_t padding = mf_option_u8(ctx, POOL_FIELD_PADDING, MF_PADDING_SAME);
  const int32_t stride_w = mf_option_i32(ctx, POOL_FIELD_STRIDE_W, 0);
  const int32_t stride_h = mf_option_i32(ctx, POOL_FIELD_STRIDE_H, 0);
  const int32_t filter_w = mf_option_i32(ctx, POOL_FIELD_FILTER_W, 0);
  const int32_t filter_h = mf_option_i32(ctx, POOL_FIELD_FILTER_H, 0);
  const uint32_t activation = mf_option_u8(ctx, POOL_FIELD_ACTIVATION, MF_ACT_NONE);
  mf_padding_dim ph;
  mf_padding_dim pw;
  if (mf_compute_padding(padding, id[1], filter_h, stride_h, 1, &ph) != MF_OK ||
      mf_compute_padding(padding, id[2], filter_w, stride_w, 1, &pw) != MF_OK) {
    return mf_kernel_error(ctx, "invalid geometry (padding %u, filter %dx%d, strides %d,%d)",
                           (unsigned)padding, (int)filter_h, (int)filter_w, (int)stride_h,
                           (int)stride_w);
  }
  if (od[0] != id[0] || od[1] != ph.out || od[2] != pw.out || od[3] != id[3]) {
    return mf_kernel_error(ctx, "output is [%d,%d,%d,%d], expected [%d,%d,%d,%d]", (int)od[0],
                           (int)od[1], (int)od[2], (int)od[3], (int)id[0], (int)ph.out,
                           (int)pw.out, (int)id[3]);
  }
  if (filter_h > INT16_MAX || filter_w > INT16_MAX || stride_h > INT16_MAX ||
      stride_w > INT16_MAX || ph.pad > INT16_MAX || pw.pad > INT16_MAX) {
    return mf_kernel_error(ctx, "filter, strides and padding must be below 32768");
  }
  avg_pool_data *d = (avg_pool_data *)mf_alloc_persistent(ctx, sizeof(avg_pool_data));
  if (d == NULL) return MF_ERR_ARENA_TOO_SMALL;
  d->filter_h = (int16_t)filter_h;
  d->filter_w = (int16_t)filter_w;
  d->stride_h = (int16_t)stride_h;
  d->stride_w = (int16_t)stride_w;
  d->pad_h = (int16_t)ph.pad;
  d->pad_w = (int16_t)pw.pad;
  d->dtype = (uint8_t)dtype;
  mf_set_op_data(ctx, d);
  if (dtype == MF_FLOAT32) {
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
  double diff = (double)iq.scale - (double)oq.scale;
  if (diff < 0) diff = -diff;
  if (!(diff <= 1.0e-6) || iq.zero_point != oq.zero_point) {
    return mf_kernel_error(ctx, "input and output quantization must be the same");
  }
  if (mf_activation_range_quantized(activation, dtype, oq.scale, oq.zero_point, &d->act.q.min,
                                    &d->act.q.max) != MF_OK) {
    return mf_kernel_error(ctx, "cannot compute the activation range (activation %u)",
                           (unsigned)activation);
  }
  return MF_OK;
}

/* One pooling loop for each element type: ACC is the accumulator type and
 * FINISH turns (sum, count) into the stored value. */
#define AVG_POOL_LOOP(T, ACC, FINISH)                                                      \
  const int32_t C = d->channels, W = d->in_w;                                              \
  for (int32_t b = 0; b < d->batches; ++b) {                                               \
    const T *in_b = in + (size_t)b * d->in_h * W * C;                                      \
    for (int32_t oy = 0; oy < d->out_h; ++oy) {                                            \
      const int32_t iy0 = oy * d->stride_h - d->pad_h;                                     \
      const int32_t y0 = iy0 < 0 ? 0 : iy0;                                                \
      const int32_t y1 = iy0 + d->filter_h < d->in_h ? iy0 + d->filter_h : d->in_h;        \
      for (int32_t ox = 0; ox < d->out_w; ++ox) {                                          \
        const int32_t ix0 = ox * d->stride_w - d->pad_w;                                   \
        const int32_t x0 = ix0 < 0 ? 0 : ix0;                                              \
        const int32_t x1 = ix0 + d->filter_w < W ? ix0 + d->filter_w : W;                  \
        const int32_t count = (y1 - y0) * (x1 - x0);                                       \
        const T *window = in_b + ((size_t)y0 * W + (size_t)x0) * C;                        \
        const size_t row_skip = (size_t)(W - (x1 - x0)) * C;                               \
        for (int32_t c = 0; c < C; ++c) {                                                  \
          ACC sum = 0;                                                                     \
          const T *p = window + c;                                                         \
          for (int32_t y = y0; y < y1; ++y, p += row_skip) {                               \
            for (int32_t x = x0; x < x1; ++x, p += C) sum += *p;                           \
          }                                                                                \
          *out++ = FINISH;                                                                 \
        }                                                                                  \
      }                                                                                    \
    }                                                                                      \
  }

static inline int32_t rounded_average(int32_t sum, int32_t count) {
  if (count <= 0) return 0; /* not reached: prepare ensures non-empty windows */
  return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

static void avg_pool_int8(const avg_pool_params *d, const int8_t *in, int8_t *out) {
  const int32_t lo = d->act_min, hi = d->act_max;
  AVG_POOL_LOOP(int8_t, int32_t,
                (int8_t)mf_clamp_i32(rounded_average(sum, count), lo, hi))
}

static void avg_pool_int16(const avg_pool_params *d, const int16_t *in, int16_t *out) {
  const int32_t lo = d->act_min, hi = d->act_max;
  AVG_POOL_LOOP(int16_t, int32_t,
                (int16_t)mf_clamp_i32(rounded_average(sum, count), lo, hi))
}

static void avg_pool_float(const avg_pool_params *d, const float *in, float *out) {
  const float lo = d->f_min, hi = d->f_max;
  AVG_POOL_LOOP(float, float, mf_clamp_f32(sum / (float)count, lo, hi))
}

static mf_status avg_pool_invoke(mf_kernel_ctx *ctx) {
  const avg_pool_data *d = (const avg_pool_data *)mf_op_data(ctx);
  const mf_tensor *input = mf_input(ctx, 0);
  mf_tensor *output = mf_output(ctx, 0);
  avg_pool_params p;
  p.batches = input->dims[0];
  p.in_h = input->dims[1];
  p.in_w = input->dims[2];
  p.channels = input->dims[3];
  p.out_h = output->dims[1];
  p.out_w = output->dims[2];
  p.filter_h = d->filter_h;
  p.filter_w = d->filter_w;
  p.stride_h = d->stride_h;
  p.stride_w = d->stride_w;
  p.pad_h = d->pad_h;
  p.pad_w = d->pad_w;
  p.act_min = d->act.q.min;
  p.act_max = d->act.q.max;
  p.f_min = d->act.f.min;
  p.f_max = d->act.f.max;
  switch (d->dtype) {
    case MF_INT8:
      avg_pool_int8(&p, (const int8_t *)input->data, (int8_t *)output->data);
      break;
    case MF_INT16:
      avg_pool_int16(&p, (const int16_t *)input->data, (int16_t *)output->data);
      break;
    default:
      avg_pool_float(&p, (const float *)input->data, (float *)output->data);
      break;
  }
  return MF_OK;
}

const mf_op_registration mf_op_average_pool_2d = {
    1, 3, "AVERAGE_POOL_2D", NULL, avg_pool_prepare, avg_pool_invoke, NULL,
};
