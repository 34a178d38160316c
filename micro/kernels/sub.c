/* SUB (input 0 minus input 1) with numpy broadcasting and a fused activation.
 * float32, int32, and int8/int16 with TFLite's general rescaling: both
 * inputs shifted left (20 bits for int8, 15 for int16), scaled to twice the
 * larger input scale, subtracted, then scaled to the output. */
#include "kernel_util.h"
#include "mf_ops.h"
#include "quant_util.h"

typedef struct sub_data {
  mf_row_fn row;
  const mf_broadcast *plan; /* NULL when one row covers the output */
  uint32_t count;
  uint8_t mode;
  uint8_t esize;
  uint8_t left_shift;
  int8_t shift1;
  int8_t shift2;
  int8_t out_shift;
  int32_t offset1; /* -zero point of input 1 */
  int32_t offset2;
  int32_t out_offset;
  int32_t mult1;
  int32_t mult2;
  int32_t out_mult;
  int32_t act_min;
  int32_t act_max;
  float f_min;
  float f_max;
} sub_data;

static void sub_f32_row(const void *pa, const void *pb, void *po, uint32_t n, uint32_t mode,
                        const void *params) {
  const sub_data *d = (const sub_data *)params;
  const float *a = (const float *)pa;
  const float *b = (const float *)pb;
  float *o = (float *)po;
  const float lo = d->f_min;
  const float hi = d->f_max;
  if (mode == MF_ROW_A_SCALAR) {
    const float x = a[0];
    for (uint32_t i = 0; i < n; ++i) o[i] = mf_clamp_f32(x - b[i], lo, hi);
  } else if (mode == MF_ROW_B_SCALAR) {
    const float y = b[0];
    for (uint32_t i = 0; i < n; ++i) o[i] = mf_clamp_f32(a[i] - y, lo, hi);
  } else {
    for (uint32_t i = 0; i < n; ++i) o[i] = mf_clamp_f32(a[i] - b[i], lo, hi);
  }
}

static void sub_i32_row(const void *pa, const void *pb, void *po, uint32_t n, uint32_t mode,
                        const void *params) {
  const sub_data *d = (const sub_data *)params;
  const int32_t *a = (const int32_t *)pa;
  const int32_t *b = (const int32_t *)pb;
  int32_t *o = (int32_t *)po;
  const int32_t lo = d->act_min;
  const int32_t hi = d->act_max;
  const uint32_t sa = mode == MF_ROW_A_SCALAR ? 0 : 1;
  const uint32_t sb = mode == MF_ROW_B_SCALAR ? 0 : 1;
  for (uint32_t i = 0; i < n; ++i, a += sa, b += sb) {
    o[i] = mf_clamp_i32((int32_t)((uint32_t)*a - (uint32_t)*b), lo, hi); /* wraps */
  }
}

/* One input value scaled onto the shared sum scale. */
static inline int32_t sub_scale_in(int32_t x, int32_t offset, int left_shift, int32_t mult,
                                   int shift) {
  return mf_mul_by_quantized_multiplier_smaller_than_one(mf_shift_left(x + offset, left_shift),
                                                         mult, shift);
}

#define SUB_QUANT_ROW(NAME, T)                                                             \
  static void NAME(const void *pa, const void *pb, void *po, uint32_t n, uint32_t mode,    \
                   const void *params) {                                                   \
    const sub_data *d = (const sub_data *)params;                                          \
    const T *a = (const T *)pa;                                                            \
    const T *b = (const T *)pb;                                                            \
    T *o = (T *)po;                                                                        \
    const int ls = d->left_shift;                                                          \
    const int32_t o1 = d->offset1, m1 = d->mult1;                                          \
    const int32_t o2 = d->offset2, m2 = d->mult2;                                          \
    const int s1 = d->shift1, s2 = d->shift2, so = d->out_shift;                           \
    const int32_t mo = d->out_mult, oo = d->out_offset;                                    \
    const int32_t lo = d->act_min, hi = d->act_max;                                        \
    if (mode == MF_ROW_A_SCALAR) {                                                         \
      const int32_t x = sub_scale_in(a[0], o1, ls, m1, s1);                                \
      for (uint32_t i = 0; i < n; ++i) {                                                   \
        const int32_t y = sub_scale_in(b[i], o2, ls, m2, s2);                              \
        const int32_t r =                                                                  \
            mf_mul_by_quantized_multiplier_smaller_than_one(x - y, mo, so) + oo;           \
        o[i] = (T)mf_clamp_i32(r, lo, hi);                                                 \
      }                                                                                    \
    } else if (mode == MF_ROW_B_SCALAR) {                                                  \
      const int32_t y = sub_scale_in(b[0], o2, ls, m2, s2);                                \
      for (uint32_t i = 0; i < n; ++i) {                                                   \
        const int32_t x = sub_scale_in(a[i], o1, ls, m1, s1);                              \
        const int32_t r =                                                                  \
            mf_mul_by_quantized_multiplier_smaller_than_one(x - y, mo, so) + oo;           \
        o[i] = (T)mf_clamp_i32(r, lo, hi);                                                 \
      }                                                                                    \
    } else {                                                                               \
      for (uint32_t i = 0; i < n; ++i) {                                                   \
        const int32_t x = sub_scale_in(a[i], o1, ls, m1, s1);                              \
        const int32_t y = sub_scale_in(b[i], o2, ls, m2, s2);                              \
        const int32_t r =                                                                  \
            mf_mul_by_quantized_multiplier_smaller_than_one(x - y, mo, so) + oo;           \
        o[i] = (T)mf_clamp_i32(r, lo, hi);                                                 \
      }                                                                                    \
    }                                                                                      \
  }

SUB_QUANT_ROW(sub_i8_row, int8_t)
SUB_QUANT_ROW(sub_i16_row, int16_t)

/* Quantizes a multiplier that must be below one (shift <= 0). */
static int below_one(double real, int32_t *mult, int8_t *shift) {
  int32_t s;
  if (!(real > 0.0 && real < 1.0) || mf_quantize_multiplier(real, mult, &s) != MF_OK || s > 0) {
    return 0;
  }
  *shift = (int8_t)s;
  return 1;
}

static mf_status sub_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 2, 2, 1);
  if (status != MF_OK) return status;
  const mf_tensor *a = mf_input(ctx, 0);
  const mf_tensor *b = mf_input(ctx, 1);
  const mf_tensor *out = mf_output(ctx, 0);
  const mf_dtype dtype = (mf_dtype)out->dtype;
  if (a->dtype != dtype || b->dtype != dtype) {
    return mf_kernel_error(ctx, "inputs %s and %s, output %s", mf_dtype_name((mf_dtype)a->dtype),
                           mf_dtype_name((mf_dtype)b->dtype), mf_dtype_name(dtype));
  }
  const uint32_t activation = mf_option_u8(ctx, 0, MF_ACT_NONE);
  if (!mf_activation_valid(activation)) {
    return mf_kernel_error(ctx, "fused activation %u not supported", (unsigned)activation);
  }
  sub_data d = {0};
  switch (dtype) {
    case MF_FLOAT32:
      d.row = sub_f32_row;
      mf_activation_range_float(activation, &d.f_min, &d.f_max);
      break;
    case MF_INT32:
      d.row = sub_i32_row;
      if (mf_activation_range_quantized(activation, MF_INT32, 1.0f, 0, &d.act_min, &d.act_max) !=
          MF_OK) {
        return mf_kernel_error(ctx, "activation range out of range");
      }
      break;
    case MF_INT8:
    case MF_INT16: {
      float s1, s2, so;
      int32_t z1, z2, zo;
      if ((status = mf_tensor_qparams(ctx, 0, 0, &s1, &z1)) != MF_OK ||
          (status = mf_tensor_qparams(ctx, 0, 1, &s2, &z2)) != MF_OK ||
          (status = mf_tensor_qparams(ctx, 1, 0, &so, &zo)) != MF_OK) {
        return status;
      }
      d.row = dtype == MF_INT8 ? sub_i8_row : sub_i16_row;
      d.left_shift = dtype == MF_INT8 ? 20 : 15;
      d.offset1 = -z1;
      d.offset2 = -z2;
      d.out_offset = zo;
      const double twice_max = 2.0 * (double)(s1 > s2 ? s1 : s2);
      const double out_real = twice_max / ((double)(1 << d.left_shift) * (double)so);
      if (!below_one((double)s1 / twice_max, &d.mult1, &d.shift1) ||
          !below_one((double)s2 / twice_max, &d.mult2, &d.shift2) ||
          !below_one(out_real, &d.out_mult, &d.out_shift)) {
        return mf_kernel_error(ctx, "input/output scales out of range");
      }
      if (mf_activation_range_quantized(activation, dtype, so, zo, &d.act_min, &d.act_max) !=
          MF_OK) {
        return mf_kernel_error(ctx, "activation range out of range");
      }
    } break;
    default:
      return mf_kernel_error(ctx, "%s not supported", mf_dtype_name(dtype));
  }
  d.esize = (uint8_t)mf_dtype_size(dtype);
  mf_broadcast_info info;
  status = mf_broadcast_analyze(ctx, a, b, out, d.esize, &info);
  if (status != MF_OK) return status;
  d.count = info.count;
  d.mode = (uint8_t)info.mode;

  sub_data *data = (sub_data *)mf_alloc_persistent(ctx, sizeof *data);
  status = mf_broadcast_store(ctx, &info, &d.plan);
  if (data == NULL || status != MF_OK) return MF_ERR_ARENA_TOO_SMALL;
  *data = d;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static mf_status sub_invoke(mf_kernel_ctx *ctx) {
  const sub_data *d = (const sub_data *)mf_op_data(ctx);
  const void *a = mf_input(ctx, 0)->data;
  const void *b = mf_input(ctx, 1)->data;
  void *o = mf_output(ctx, 0)->data;
  if (d->plan != NULL) mf_broadcast_run(d->plan, a, b, o, d->esize, d->row, d);
  else d->row(a, b, o, d->count, d->mode, d);
  return MF_OK;
}

const mf_op_registration mf_op_sub = {41, 5, "SUB", NULL, sub_prepare, sub_invoke, NULL};
