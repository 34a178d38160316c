/* MUL with numpy broadcasting and a fused activation: float32, int32, and
 * int8/int16 (int16 needs zero points of 0): the product of the offset
 * inputs is rescaled by in1_scale * in2_scale / out_scale. */
#include "kernel_util.h"
#include "mf_ops.h"
#include "quant_util.h"

typedef struct mul_data {
  mf_row_fn row;
  const mf_broadcast *plan; /* NULL when one row covers the output */
  uint32_t count;
  uint8_t mode;
  uint8_t esize;
  int8_t shift;
  int32_t offset1; /* -zero point of input 1 */
  int32_t offset2;
  int32_t out_offset;
  int32_t mult;
  int32_t act_min;
  int32_t act_max;
  float f_min;
  float f_max;
} mul_data;

static void mul_f32_row(const void *pa, const void *pb, void *po, uint32_t n, uint32_t mode,
                        const void *params) {
  const mul_data *d = (const mul_data *)params;
  const float *a = (const float *)pa;
  const float *b = (const float *)pb;
  float *o = (float *)po;
  const float lo = d->f_min;
  const float hi = d->f_max;
  if (mode == MF_ROW_A_SCALAR) {
    const float x = a[0];
    for (uint32_t i = 0; i < n; ++i) o[i] = mf_clamp_f32(x * b[i], lo, hi);
  } else if (mode == MF_ROW_B_SCALAR) {
    const float y = b[0];
    for (uint32_t i = 0; i < n; ++i) o[i] = mf_clamp_f32(a[i] * y, lo, hi);
  } else {
    for (uint32_t i = 0; i < n; ++i) o[i] = mf_clamp_f32(a[i] * b[i], lo, hi);
  }
}

static void mul_i32_row(const void *pa, const void *pb, void *po, uint32_t n, uint32_t mode,
                        const void *params) {
  const mul_data *d = (const mul_data *)params;
  const int32_t *a = (const int32_t *)pa;
  const int32_t *b = (const int32_t *)pb;
  int32_t *o = (int32_t *)po;
  const int32_t lo = d->act_min;
  const int32_t hi = d->act_max;
  const uint32_t sa = mode == MF_ROW_A_SCALAR ? 0 : 1;
  const uint32_t sb = mode == MF_ROW_B_SCALAR ? 0 : 1;
  for (uint32_t i = 0; i < n; ++i, a += sa, b += sb) {
    o[i] = mf_clamp_i32((int32_t)((uint32_t)*a * (uint32_t)*b), lo, hi); /* wraps */
  }
}

/* offset + product * multiplier * 2^(shift - 31); the add wraps instead of
 * overflowing for extreme multipliers. */
static inline int32_t mul_rescale(int32_t product, int32_t m, int s, int32_t offset) {
  return mf_add_wrap(mf_mul_by_quantized_multiplier(product, m, s), offset);
}

#define MUL_QUANT_ROW(NAME, T)                                                           \
  static void NAME(const void *pa, const void *pb, void *po, uint32_t n, uint32_t mode,  \
                   const void *params) {                                                 \
    const mul_data *d = (const mul_data *)params;                                        \
    const T *a = (const T *)pa;                                                          \
    const T *b = (const T *)pb;                                                          \
    T *o = (T *)po;                                                                      \
    const int32_t o1 = d->offset1, o2 = d->offset2, oo = d->out_offset;                  \
    const int32_t m = d->mult, lo = d->act_min, hi = d->act_max;                         \
    const int s = d->shift;                                                              \
    if (mode == MF_ROW_A_SCALAR) {                                                       \
      const int32_t x = a[0] + o1;                                                       \
      for (uint32_t i = 0; i < n; ++i) {                                                 \
        const int32_t r = mul_rescale(x * (b[i] + o2), m, s, oo);    \
        o[i] = (T)mf_clamp_i32(r, lo, hi);                                               \
      }                                                                                  \
    } else if (mode == MF_ROW_B_SCALAR) {                                                \
      const int32_t y = b[0] + o2;                                                       \
      for (uint32_t i = 0; i < n; ++i) {                                                 \
        const int32_t r = mul_rescale((a[i] + o1) * y, m, s, oo);    \
        o[i] = (T)mf_clamp_i32(r, lo, hi);                                               \
      }                                                                                  \
    } else {                                                                             \
      for (uint32_t i = 0; i < n; ++i) {                                                 \
        const int32_t r = mul_rescale((a[i] + o1) * (b[i] + o2), m, s, oo);              \
        o[i] = (T)mf_clamp_i32(r, lo, hi);                                               \
      }                                                                                  \
    }                                                                                    \
  }

MUL_QUANT_ROW(mul_i8_row, int8_t)
MUL_QUANT_ROW(mul_i16_row, int16_t)

static mf_status mul_prepare(mf_kernel_ctx *ctx) {
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
  mul_data d = {0};
  switch (dtype) {
    case MF_FLOAT32:
      d.row = mul_f32_row;
      mf_activation_range_float(activation, &d.f_min, &d.f_max);
      break;
    case MF_INT32:
      d.row = mul_i32_row;
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
      if (dtype == MF_INT16 && (z1 != 0 || z2 != 0 || zo != 0)) {
        return mf_kernel_error(ctx, "int16 needs zero points of 0");
      }
      d.row = dtype == MF_INT8 ? mul_i8_row : mul_i16_row;
      d.offset1 = -z1;
      d.offset2 = -z2;
      d.out_offset = zo;
      int32_t shift;
      const double real = (double)s1 * (double)s2 / (double)so;
      if (mf_quantize_multiplier(real, &d.mult, &shift) != MF_OK || shift > 31) {
        return mf_kernel_error(ctx, "input/output scales out of range");
      }
      d.shift = (int8_t)shift;
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

  mul_data *data = (mul_data *)mf_alloc_persistent(ctx, sizeof *data);
  status = mf_broadcast_store(ctx, &info, &d.plan);
  if (data == NULL || status != MF_OK) return MF_ERR_ARENA_TOO_SMALL;
  *data = d;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static mf_status mul_invoke(mf_kernel_ctx *ctx) {
  const mul_data *d = (const mul_data *)mf_op_data(ctx);
  const void *a = mf_input(ctx, 0)->data;
  const void *b = mf_input(ctx, 1)->data;
  void *o = mf_output(ctx, 0)->data;
  if (d->plan != NULL) mf_broadcast_run(d->plan, a, b, o, d->esize, d->row, d);
  else d->row(a, b, o, d->count, d->mode, d);
  return MF_OK;
}

const mf_op_registration mf_op_mul = {18, 7, "MUL", NULL, mul_prepare, mul_invoke, NULL};
