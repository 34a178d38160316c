/* MINIMUM: elementwise min with numpy broadcasting, on raw values (as
 * TFLite Micro: no requantization). float32, int8, int16, int32, int64. */
#include "kernel_util.h"
#include "mf_ops.h"

typedef struct minimum_data {
  mf_row_fn row;
  const mf_broadcast *plan; /* NULL when one row covers the output */
  uint32_t count;
  uint8_t mode;
  uint8_t esize;
} minimum_data;

#define MIN_OF(x, y) ((x) < (y) ? (x) : (y))

#define MINIMUM_ROW(NAME, T)                                                            \
  static void NAME(const void *pa, const void *pb, void *po, uint32_t n, uint32_t mode, \
                   const void *params) {                                                \
    (void)params;                                                                       \
    const T *a = (const T *)pa;                                                         \
    const T *b = (const T *)pb;                                                         \
    T *o = (T *)po;                                                                     \
    if (mode == MF_ROW_A_SCALAR) {                                                      \
      const T x = a[0];                                                                 \
      for (uint32_t i = 0; i < n; ++i) o[i] = MIN_OF(x, b[i]);                          \
    } else if (mode == MF_ROW_B_SCALAR) {                                               \
      const T y = b[0];                                                                 \
      for (uint32_t i = 0; i < n; ++i) o[i] = MIN_OF(a[i], y);                          \
    } else {                                                                            \
      for (uint32_t i = 0; i < n; ++i) o[i] = MIN_OF(a[i], b[i]);                       \
    }                                                                                   \
  }

MINIMUM_ROW(minimum_f32_row, float)
MINIMUM_ROW(minimum_i8_row, int8_t)
MINIMUM_ROW(minimum_i16_row, int16_t)
MINIMUM_ROW(minimum_i32_row, int32_t)
MINIMUM_ROW(minimum_i64_row, int64_t)

static mf_status minimum_prepare(mf_kernel_ctx *ctx) {
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
  minimum_data d = {0};
  switch (dtype) {
    case MF_FLOAT32: d.row = minimum_f32_row; break;
    case MF_INT8: d.row = minimum_i8_row; break;
    case MF_INT16: d.row = minimum_i16_row; break;
    case MF_INT32: d.row = minimum_i32_row; break;
    case MF_INT64: d.row = minimum_i64_row; break;
    default: return mf_kernel_error(ctx, "%s not supported", mf_dtype_name(dtype));
  }
  d.esize = (uint8_t)mf_dtype_size(dtype);
  mf_broadcast_info info;
  status = mf_broadcast_analyze(ctx, a, b, out, d.esize, &info);
  if (status != MF_OK) return status;
  d.count = info.count;
  d.mode = (uint8_t)info.mode;
  minimum_data *data = (minimum_data *)mf_alloc_persistent(ctx, sizeof *data);
  status = mf_broadcast_store(ctx, &info, &d.plan);
  if (data == NULL || status != MF_OK) return MF_ERR_ARENA_TOO_SMALL;
  *data = d;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static mf_status minimum_invoke(mf_kernel_ctx *ctx) {
  const minimum_data *d = (const minimum_data *)mf_op_data(ctx);
  const void *a = mf_input(ctx, 0)->data;
  const void *b = mf_input(ctx, 1)->data;
  void *o = mf_output(ctx, 0)->data;
  if (d->plan != NULL) mf_broadcast_run(d->plan, a, b, o, d->esize, d->row, d);
  else d->row(a, b, o, d->count, d->mode, d);
  return MF_OK;
}

const mf_op_registration mf_op_minimum = {57, 4, "MINIMUM", NULL, minimum_prepare,
                                          minimum_invoke, NULL};
