/* Shape, broadcasting, strided-copy and padding helpers shared by kernels. */
#include "kernel_util.h"

#include <string.h>

#include "mf_log.h"
#include "quant_util.h"

mf_status mf_check_io(mf_kernel_ctx *ctx, uint32_t min_inputs, uint32_t max_inputs,
                      uint32_t outputs) {
  const uint32_t n_in = mf_num_inputs(ctx);
  const uint32_t n_out = mf_num_outputs(ctx);
  if (n_in < min_inputs || n_in > max_inputs) {
    if (min_inputs == max_inputs) {
      return mf_kernel_error(ctx, "%u inputs, expected %u", (unsigned)n_in, (unsigned)min_inputs);
    }
    return mf_kernel_error(ctx, "%u inputs, expected %u to %u", (unsigned)n_in,
                           (unsigned)min_inputs, (unsigned)max_inputs);
  }
  if (n_out != outputs) {
    return mf_kernel_error(ctx, "%u outputs, expected %u", (unsigned)n_out, (unsigned)outputs);
  }
  for (uint32_t i = 0; i < n_in; ++i) {
    if (mf_input(ctx, i) == NULL) return mf_kernel_error(ctx, "input %u is missing", (unsigned)i);
  }
  for (uint32_t i = 0; i < n_out; ++i) {
    if (mf_output(ctx, i) == NULL) {
      return mf_kernel_error(ctx, "output %u is missing", (unsigned)i);
    }
  }
  return MF_OK;
}

int mf_same_shape(const mf_tensor *a, const mf_tensor *b) {
  if (a->ndims != b->ndims) return 0;
  for (uint32_t i = 0; i < a->ndims; ++i) {
    if (a->dims[i] != b->dims[i]) return 0;
  }
  return 1;
}

/* Writes "[d0,d1,...]" into buf, truncating quietly. */
static void format_dims(char *buf, size_t size, uint32_t ndims, const int32_t *dims) {
  size_t used = mf_format(buf, size, "[");
  for (uint32_t i = 0; i < ndims && used + 1 < size; ++i) {
    used += mf_format(buf + used, size - used, i ? ",%d" : "%d", (int)dims[i]);
  }
  if (used + 1 < size) mf_format(buf + used, size - used, "]");
}

mf_status mf_expect_shape(mf_kernel_ctx *ctx, const mf_tensor *t, const char *what,
                          uint32_t ndims, const int32_t *dims) {
  int same = t->ndims == ndims;
  for (uint32_t i = 0; same && i < ndims; ++i) same = t->dims[i] == dims[i];
  if (same) return MF_OK;
  char have[40];
  char want[40];
  format_dims(have, sizeof have, t->ndims, t->dims);
  format_dims(want, sizeof want, ndims, dims);
  return mf_kernel_error(ctx, "%s shape %s, expected %s", what, have, want);
}

size_t mf_dims_product(const int32_t *dims, uint32_t from, uint32_t to) {
  size_t product = 1;
  for (uint32_t i = from; i < to; ++i) product *= (size_t)dims[i];
  return product;
}

int mf_strides(const mf_tensor *t, size_t unit, int32_t *strides) {
  const uint32_t rank = t->ndims;
  int empty = 0;
  for (uint32_t i = 0; i < rank; ++i) {
    strides[i] = 0;
    if (t->dims[i] <= 0) empty = 1;
  }
  if (empty) return 0;
  int64_t acc = (int64_t)unit;
  for (uint32_t k = rank; k-- > 0;) {
    if (acc > INT32_MAX) return 0;
    strides[k] = (int32_t)acc;
    acc *= t->dims[k];
  }
  return acc <= INT32_MAX;
}

int mf_resolve_axis(int32_t axis, uint32_t rank, uint32_t *resolved) {
  const int64_t a = axis < 0 ? (int64_t)axis + (int64_t)rank : (int64_t)axis;
  if (a < 0 || a >= (int64_t)rank) return 0;
  *resolved = (uint32_t)a;
  return 1;
}

mf_status mf_const_i32(mf_kernel_ctx *ctx, const mf_tensor *t, const char *what,
                       const int32_t **data, uint32_t *count) {
  if (t == NULL) return mf_kernel_error(ctx, "%s tensor is missing", what);
  if (t->dtype != MF_INT32) {
    return mf_kernel_error(ctx, "%s tensor is %s, expected int32", what,
                           mf_dtype_name((mf_dtype)t->dtype));
  }
  if (!(t->flags & MF_TENSOR_CONSTANT)) {
    return mf_kernel_error(ctx, "%s tensor must be constant", what);
  }
  const size_t n = mf_tensor_elements(t);
  if (n > 0 && t->data == NULL) return mf_kernel_error(ctx, "%s tensor has no data", what);
  *data = (const int32_t *)t->data;
  *count = (uint32_t)n;
  return MF_OK;
}

mf_status mf_tensor_qparams(mf_kernel_ctx *ctx, int is_output, uint32_t index, float *scale,
                            int32_t *zero_point) {
  const char *kind = is_output ? "output" : "input";
  const mf_tensor *t = is_output ? mf_output(ctx, index) : mf_input(ctx, index);
  mf_quant q;
  mf_status status = is_output ? mf_output_quant(ctx, index, &q) : mf_input_quant(ctx, index, &q);
  if (t == NULL || status != MF_OK) {
    return mf_kernel_error(ctx, "%s %u: no quantization", kind, (unsigned)index);
  }
  if (q.channels != 1) {
    return mf_kernel_error(ctx, "%s %u: needs per-tensor quantization (%u scales)", kind,
                           (unsigned)index, (unsigned)q.channels);
  }
  if (!(q.scale > 0.0f) || !mf_isfinite((double)q.scale)) {
    return mf_kernel_error(ctx, "%s %u: scale must be positive and finite", kind, (unsigned)index);
  }
  int32_t lo = INT32_MIN;
  int32_t hi = INT32_MAX;
  switch ((mf_dtype)t->dtype) {
    case MF_INT8: lo = INT8_MIN; hi = INT8_MAX; break;
    case MF_UINT8: lo = 0; hi = UINT8_MAX; break;
    case MF_INT16: lo = INT16_MIN; hi = INT16_MAX; break;
    default: break;
  }
  if (q.zero_point < lo || q.zero_point > hi) {
    return mf_kernel_error(ctx, "%s %u: zero point %d out of range", kind, (unsigned)index,
                           (int)q.zero_point);
  }
  *scale = q.scale;
  *zero_point = q.zero_point;
  return MF_OK;
}

int mf_dtype_is_plain(mf_dtype dtype) {
  switch (dtype) {
    case MF_FLOAT32:
    case MF_FLOAT16:
    case MF_INT32:
    case MF_UINT8:
    case MF_INT64:
    case MF_BOOL:
    case MF_INT16:
    case MF_INT8:
    case MF_FLOAT64:
    case MF_UINT64:
    case MF_UINT32:
    case MF_UINT16:
      return 1;
    default:
      return 0;
  }
}

void mf_fill(void *dst, const void *value, size_t esize, size_t count) {
  if (count == 0) return;
  uint8_t *d = (uint8_t *)dst;
  switch (esize) {
    case 1:
      memset(d, *(const uint8_t *)value, count);
      break;
    case 2: {
      uint16_t v;
      memcpy(&v, value, 2);
      for (size_t i = 0; i < count; ++i, d += 2) memcpy(d, &v, 2);
    } break;
    case 4: {
      uint32_t v;
      memcpy(&v, value, 4);
      for (size_t i = 0; i < count; ++i, d += 4) memcpy(d, &v, 4);
    } break;
    default: {
      uint64_t v;
      memcpy(&v, value, 8);
      for (size_t i = 0; i < count; ++i, d += 8) memcpy(d, &v, 8);
    } break;
  }
}

/* ---- Broadcasting ---- */

mf_status mf_broadcast_analyze(mf_kernel_ctx *ctx, const mf_tensor *a, const mf_tensor *b,
                               const mf_tensor *out, size_t esize, mf_broadcast_info *info) {
  const uint32_t ra = a->ndims;
  const uint32_t rb = b->ndims;
  const uint32_t rank = ra > rb ? ra : rb;
  if (rank > MF_MAX_RANK) {
    return mf_kernel_error(ctx, "rank %u above %d", (unsigned)rank, MF_MAX_RANK);
  }
  int32_t da[MF_MAX_RANK];
  int32_t db[MF_MAX_RANK];
  int32_t want[MF_MAX_RANK] = {0};
  for (uint32_t i = 0; i < rank; ++i) {
    da[i] = i < rank - ra ? 1 : a->dims[i - (rank - ra)];
    db[i] = i < rank - rb ? 1 : b->dims[i - (rank - rb)];
    if (da[i] != db[i] && da[i] != 1 && db[i] != 1) {
      char sa[40];
      char sb[40];
      format_dims(sa, sizeof sa, ra, a->dims);
      format_dims(sb, sizeof sb, rb, b->dims);
      return mf_kernel_error(ctx, "shapes %s and %s do not broadcast", sa, sb);
    }
    want[i] = da[i] == 1 ? db[i] : da[i];
  }
  mf_status status = mf_expect_shape(ctx, out, "output", rank, want);
  if (status != MF_OK) return status;

  /* Fuse loops, innermost first; strides in elements. */
  uint32_t n = 0;
  uint64_t a_acc = 1;
  uint64_t b_acc = 1;
  uint64_t count = 1;
  uint64_t a_stride[MF_MAX_RANK];
  uint64_t b_stride[MF_MAX_RANK];
  for (uint32_t k = rank; k-- > 0;) {
    const uint32_t d = (uint32_t)want[k];
    count *= d;
    if (d == 1) continue;
    const uint64_t as = da[k] == 1 ? 0 : a_acc;
    const uint64_t bs = db[k] == 1 ? 0 : b_acc;
    if (n > 0 &&
        (a_stride[n - 1] == 0 ? as == 0 : as == a_stride[n - 1] * info->dims[n - 1]) &&
        (b_stride[n - 1] == 0 ? bs == 0 : bs == b_stride[n - 1] * info->dims[n - 1])) {
      info->dims[n - 1] *= d;
    } else {
      a_stride[n] = as;
      b_stride[n] = bs;
      info->dims[n] = d;
      ++n;
    }
    a_acc *= (uint64_t)da[k];
    b_acc *= (uint64_t)db[k];
  }
  if (count != 0 &&
      (a_acc * esize > INT32_MAX || b_acc * esize > INT32_MAX || count > INT32_MAX)) {
    return mf_kernel_error(ctx, "tensor too large");
  }
  info->count = (uint32_t)count;
  if (n == 0 || count == 0) { /* one element, or nothing to compute */
    info->rank = 1;
    info->mode = MF_ROW_BOTH;
    info->dims[0] = (uint32_t)count;
    info->a_inc[0] = 0;
    info->b_inc[0] = 0;
    return MF_OK;
  }
  info->rank = n;
  info->mode = a_stride[0] == 0   ? MF_ROW_A_SCALAR
               : b_stride[0] == 0 ? MF_ROW_B_SCALAR
                                  : MF_ROW_BOTH;
  int64_t a_back = 0;
  int64_t b_back = 0;
  info->a_inc[0] = 0;
  info->b_inc[0] = 0;
  for (uint32_t d = 1; d < n; ++d) {
    const int64_t as = (int64_t)(a_stride[d] * esize);
    const int64_t bs = (int64_t)(b_stride[d] * esize);
    info->a_inc[d] = (int32_t)(as - a_back);
    info->b_inc[d] = (int32_t)(bs - b_back);
    a_back += as * (int64_t)(info->dims[d] - 1);
    b_back += bs * (int64_t)(info->dims[d] - 1);
  }
  return MF_OK;
}

mf_status mf_broadcast_store(mf_kernel_ctx *ctx, const mf_broadcast_info *info,
                             const mf_broadcast **plan) {
  *plan = NULL;
  if (info->rank <= 1) return MF_OK;
  const uint32_t rank = info->rank;
  mf_broadcast *p =
      (mf_broadcast *)mf_alloc_persistent(ctx, sizeof(mf_broadcast) + 3u * rank * sizeof(int32_t));
  if (p == NULL) return MF_ERR_ARENA_TOO_SMALL;
  p->rank = (uint16_t)rank;
  p->mode = (uint16_t)info->mode;
  uint32_t *dims = (uint32_t *)(p + 1);
  int32_t *a_inc = (int32_t *)(dims + rank);
  int32_t *b_inc = a_inc + rank;
  for (uint32_t d = 0; d < rank; ++d) {
    dims[d] = info->dims[d];
    a_inc[d] = info->a_inc[d];
    b_inc[d] = info->b_inc[d];
  }
  *plan = p;
  return MF_OK;
}

void mf_broadcast_run(const mf_broadcast *plan, const void *a, const void *b, void *out,
                      size_t out_esize, mf_row_fn row, const void *params) {
  const uint32_t rank = plan->rank;
  const uint32_t mode = plan->mode;
  const uint32_t *dims = (const uint32_t *)(plan + 1);
  const int32_t *a_inc = (const int32_t *)(dims + rank);
  const int32_t *b_inc = a_inc + rank;
  const uint32_t n0 = dims[0];
  const size_t row_bytes = (size_t)n0 * out_esize;
  const uint8_t *pa = (const uint8_t *)a;
  const uint8_t *pb = (const uint8_t *)b;
  uint8_t *po = (uint8_t *)out;
  uint32_t idx[MF_MAX_RANK];
  for (uint32_t d = 1; d < rank; ++d) idx[d] = 0;
  for (;;) {
    row(pa, pb, po, n0, mode, params);
    po += row_bytes;
    uint32_t d = 1;
    for (; d < rank; ++d) {
      if (++idx[d] < dims[d]) {
        pa += a_inc[d];
        pb += b_inc[d];
        break;
      }
      idx[d] = 0;
    }
    if (d == rank) return;
  }
}

/* ---- Strided copies ---- */

mf_status mf_gather_optimize(mf_kernel_ctx *ctx, mf_gather_info *info) {
  for (uint32_t d = 0; d < info->rank; ++d) {
    if (info->dims[d] == 0) { /* nothing to copy */
      info->rank = 1;
      info->dims[0] = 0;
      info->step[0] = (int32_t)info->esize;
      return MF_OK;
    }
  }
  uint32_t n = 0;
  int64_t lo = info->base;
  int64_t hi = info->base;
  for (uint32_t d = 0; d < info->rank; ++d) {
    const uint32_t size = info->dims[d];
    const int32_t step = info->step[d];
    if (size == 1) continue;
    const int64_t span = (int64_t)step * (int64_t)(size - 1);
    if (span < 0) lo += span;
    else hi += span;
    if (n > 0 && step == info->step[n - 1] * (int64_t)info->dims[n - 1]) {
      info->dims[n - 1] *= size;
    } else {
      info->dims[n] = size;
      info->step[n] = step;
      ++n;
    }
  }
  if (lo < 0 || hi + (int64_t)info->esize > INT32_MAX) {
    return mf_kernel_error(ctx, "copy offsets out of range");
  }
  if (n == 0) {
    info->dims[0] = 1;
    info->step[0] = (int32_t)info->esize;
    n = 1;
  }
  info->rank = n;
  return MF_OK;
}

mf_status mf_gather_store(mf_kernel_ctx *ctx, const mf_gather_info *info, const mf_gather **plan) {
  const uint32_t rank = info->rank;
  mf_gather *p = (mf_gather *)mf_alloc_persistent(
      ctx, sizeof(mf_gather) + (2u * rank + 1u) * sizeof(int32_t));
  *plan = p;
  if (p == NULL) return MF_ERR_ARENA_TOO_SMALL;
  p->rank = (uint16_t)rank;
  p->esize = (uint16_t)info->esize;
  p->base = info->base;
  p->row_bytes = info->step[0] == (int32_t)info->esize ? info->dims[0] * info->esize : 0;
  uint32_t *dims = (uint32_t *)(p + 1);
  int32_t *step0 = (int32_t *)(dims + rank);
  int32_t *inc = step0 + 1;
  int64_t back = 0;
  for (uint32_t d = 0; d < rank; ++d) {
    dims[d] = info->dims[d];
    inc[d] = 0;
    if (d >= 1) {
      inc[d] = (int32_t)(info->step[d] - back);
      back += (int64_t)info->step[d] * (int64_t)(info->dims[d] - 1);
    }
  }
  *step0 = info->step[0];
  return MF_OK;
}

/* Copies n elements of `esize` bytes from src (stepping `step` bytes) to dst. */
static void strided_row(uint8_t *dst, const uint8_t *src, uint32_t n, int32_t step,
                        uint32_t esize) {
  switch (esize) {
    case 1:
      for (uint32_t i = 0; i < n; ++i, src += step) *dst++ = *src;
      break;
    case 2:
      for (uint32_t i = 0; i < n; ++i, src += step, dst += 2) memcpy(dst, src, 2);
      break;
    case 4:
      for (uint32_t i = 0; i < n; ++i, src += step, dst += 4) memcpy(dst, src, 4);
      break;
    default:
      for (uint32_t i = 0; i < n; ++i, src += step, dst += 8) memcpy(dst, src, 8);
      break;
  }
}

void mf_gather_run(const mf_gather *plan, const void *src, void *dst) {
  const uint32_t rank = plan->rank;
  const uint32_t esize = plan->esize;
  const uint32_t *dims = (const uint32_t *)(plan + 1);
  const int32_t step0 = *(const int32_t *)(dims + rank);
  const int32_t *inc = (const int32_t *)(dims + rank) + 1;
  const uint32_t n0 = dims[0];
  if (n0 == 0) return; /* empty output */
  const uint32_t row_bytes = plan->row_bytes;
  const size_t out_row = (size_t)n0 * esize;
  const uint8_t *s = (const uint8_t *)src + plan->base;
  uint8_t *o = (uint8_t *)dst;
  uint32_t idx[MF_MAX_RANK];
  for (uint32_t d = 1; d < rank; ++d) idx[d] = 0;
  for (;;) {
    if (row_bytes) memcpy(o, s, row_bytes);
    else strided_row(o, s, n0, step0, esize);
    o += out_row;
    uint32_t d = 1;
    for (; d < rank; ++d) {
      if (++idx[d] < dims[d]) {
        s += inc[d];
        break;
      }
      idx[d] = 0;
    }
    if (d == rank) return;
  }
}

/* ---- Padded copies ---- */

mf_status mf_pad_store(mf_kernel_ctx *ctx, const mf_pad_info *info, const mf_pad **plan) {
  uint32_t dims[MF_MAX_RANK];
  uint32_t before[MF_MAX_RANK];
  uint32_t after[MF_MAX_RANK];
  uint32_t rank = 0;
  for (uint32_t d = 0; d < info->rank; ++d) { /* unit dims without padding change nothing */
    if (info->dims[d] == 1 && info->before[d] == 0 && info->after[d] == 0) continue;
    dims[rank] = info->dims[d];
    before[rank] = info->before[d];
    after[rank] = info->after[d];
    ++rank;
  }
  if (rank == 0) {
    dims[0] = 1;
    before[0] = 0;
    after[0] = 0;
    rank = 1;
  }
  /* An unpadded innermost dim joins the next one out: its rows are whole. */
  while (rank > 1 && before[rank - 1] == 0 && after[rank - 1] == 0) {
    const uint32_t n = dims[rank - 1];
    dims[rank - 2] *= n;
    before[rank - 2] *= n;
    after[rank - 2] *= n;
    --rank;
  }
  mf_pad *p = (mf_pad *)mf_alloc_persistent(ctx, sizeof(mf_pad) + 4u * rank * sizeof(uint32_t));
  *plan = p;
  if (p == NULL) return MF_ERR_ARENA_TOO_SMALL;
  p->rank = (uint16_t)rank;
  p->esize = (uint16_t)info->esize;
  uint32_t *out = (uint32_t *)(p + 1);
  uint32_t block = 1;
  for (uint32_t d = rank; d-- > 0;) {
    out[d] = dims[d];
    out[rank + d] = before[d];
    out[2 * rank + d] = after[d];
    out[3 * rank + d] = block;
    block *= before[d] + dims[d] + after[d];
  }
  return MF_OK;
}

/* Pads dimension d and everything inside it; returns the next source byte. */
static const uint8_t *pad_level(const mf_pad *plan, uint32_t d, const uint8_t *src,
                                uint8_t **dst_io, const void *value) {
  const uint32_t rank = plan->rank;
  const size_t esize = plan->esize;
  const uint32_t *dims = (const uint32_t *)(plan + 1);
  const uint32_t *before = dims + rank;
  const uint32_t *after = before + rank;
  const uint32_t *block = after + rank;
  uint8_t *dst = *dst_io;
  const size_t lead = (size_t)before[d] * block[d];
  mf_fill(dst, value, esize, lead);
  dst += lead * esize;
  if (d + 1 == rank) {
    const size_t bytes = (size_t)dims[d] * esize;
    if (bytes > 0) {
      memcpy(dst, src, bytes);
      src += bytes;
      dst += bytes;
    }
  } else {
    for (uint32_t i = 0; i < dims[d]; ++i) src = pad_level(plan, d + 1, src, &dst, value);
  }
  const size_t trail = (size_t)after[d] * block[d];
  mf_fill(dst, value, esize, trail);
  *dst_io = dst + trail * esize;
  return src;
}

void mf_pad_run(const mf_pad *plan, const void *src, void *dst, const void *value) {
  uint8_t *o = (uint8_t *)dst;
  pad_level(plan, 0, (const uint8_t *)src, &o, value);
}

typedef struct pad_node_data {
  const mf_pad *plan;
  uint8_t value[8]; /* pad value when there is no constant_values input */
} pad_node_data;

mf_status mf_pad_node_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 2, 3, 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  const mf_dtype dtype = (mf_dtype)in->dtype;
  if (in->dtype != out->dtype || !mf_dtype_is_plain(dtype)) {
    return mf_kernel_error(ctx, "%s input, %s output", mf_dtype_name(dtype),
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  const uint32_t rank = in->ndims;
  if (rank > MF_MAX_RANK) return mf_kernel_error(ctx, "rank above %d", MF_MAX_RANK);
  const int32_t *pads;
  uint32_t npads;
  status = mf_const_i32(ctx, mf_input(ctx, 1), "paddings", &pads, &npads);
  if (status != MF_OK) return status;
  if (npads != 2 * rank) {
    return mf_kernel_error(ctx, "%u paddings for rank %u", (unsigned)npads, (unsigned)rank);
  }
  mf_pad_info info;
  info.rank = rank;
  info.esize = (uint32_t)mf_dtype_size(dtype);
  int32_t want[MF_MAX_RANK];
  for (uint32_t d = 0; d < rank; ++d) {
    const int32_t lo = pads[2 * d];
    const int32_t hi = pads[2 * d + 1];
    if (lo < 0 || hi < 0 || (int64_t)in->dims[d] + lo + hi > INT32_MAX) {
      return mf_kernel_error(ctx, "paddings %d,%d of dim %u not supported", (int)lo, (int)hi,
                             (unsigned)d);
    }
    info.dims[d] = (uint32_t)in->dims[d];
    info.before[d] = (uint32_t)lo;
    info.after[d] = (uint32_t)hi;
    want[d] = in->dims[d] + lo + hi;
  }
  status = mf_expect_shape(ctx, out, "output", rank, want);
  if (status != MF_OK) return status;

  mf_quant out_q;
  if (mf_output_quant(ctx, 0, &out_q) != MF_OK) out_q.channels = 0;
  const int32_t out_zp = out_q.channels ? out_q.zero_point : 0;
  uint8_t value[8] = {0};
  if (mf_num_inputs(ctx) == 3) {
    const mf_tensor *cv = mf_input(ctx, 2);
    if (cv->dtype != in->dtype || mf_tensor_elements(cv) != 1) {
      return mf_kernel_error(ctx, "constant_values must be one %s", mf_dtype_name(dtype));
    }
    if (dtype == MF_INT8 || dtype == MF_UINT8) {
      mf_quant cv_q;
      if (mf_input_quant(ctx, 2, &cv_q) != MF_OK) cv_q.channels = 0;
      const int32_t cv_zp = cv_q.channels ? cv_q.zero_point : 0;
      const float cv_scale = cv_q.channels ? cv_q.scale : 0.0f;
      const float out_scale = out_q.channels ? out_q.scale : 0.0f;
      if (cv_zp != out_zp || cv_scale != out_scale) {
        return mf_kernel_error(ctx, "constant_values quantization differs from the output");
      }
    }
  } else if (dtype == MF_INT8 || dtype == MF_UINT8) {
    const int32_t lo = dtype == MF_INT8 ? INT8_MIN : 0;
    const int32_t hi = dtype == MF_INT8 ? INT8_MAX : UINT8_MAX;
    if (out_zp < lo || out_zp > hi) {
      return mf_kernel_error(ctx, "output zero point %d out of range", (int)out_zp);
    }
    value[0] = (uint8_t)out_zp;
  }
  pad_node_data *data = (pad_node_data *)mf_alloc_persistent(ctx, sizeof *data);
  const mf_pad *plan = NULL; /* an empty output needs no plan */
  status = mf_tensor_elements(out) == 0 ? MF_OK : mf_pad_store(ctx, &info, &plan);
  if (data == NULL || status != MF_OK) return MF_ERR_ARENA_TOO_SMALL;
  data->plan = plan;
  memcpy(data->value, value, sizeof value);
  mf_set_op_data(ctx, data);
  return MF_OK;
}

mf_status mf_pad_node_invoke(mf_kernel_ctx *ctx) {
  const pad_node_data *data = (const pad_node_data *)mf_op_data(ctx);
  if (data->plan == NULL) return MF_OK;
  const void *value = data->value;
  if (mf_num_inputs(ctx) == 3) value = mf_input(ctx, 2)->data;
  mf_pad_run(data->plan, mf_input(ctx, 0)->data, mf_output(ctx, 0)->data, value);
  return MF_OK;
}

/* ---- Convolution geometry ---- */

mf_status mf_compute_padding(uint32_t padding, int32_t in_size, int32_t filter_size,
                             int32_t stride, int32_t dilation, mf_padding_dim *result) {
  if (stride <= 0 || dilation <= 0 || filter_size <= 0 || in_size < 0) {
    return MF_ERR_INVALID_ARG;
  }
  const int64_t effective = (int64_t)(filter_size - 1) * dilation + 1;
  int64_t out;
  if (padding == MF_PADDING_SAME) {
    out = ((int64_t)in_size + stride - 1) / stride;
  } else if (padding == MF_PADDING_VALID) {
    out = ((int64_t)in_size + stride - effective) / stride;
  } else {
    return MF_ERR_INVALID_ARG;
  }
  if (out <= 0 || effective > INT32_MAX) return MF_ERR_INVALID_ARG;
  int64_t total = (out - 1) * stride + effective - in_size;
  if (total < 0) total = 0;
  if (total > INT32_MAX) return MF_ERR_INVALID_ARG;
  result->out = (int32_t)out;
  result->pad = (int32_t)(total / 2);
  result->offset = (int32_t)(total % 2);
  return MF_OK;
}

typedef struct raw_binary_data {
  mf_row_fn row;
  const mf_broadcast *plan; /* NULL when one row covers the output */
  uint32_t count;
  uint8_t mode;
  uint8_t esize;
} raw_binary_data;

mf_status mf_raw_binary_prepare(mf_kernel_ctx *ctx, const mf_raw_binary_rows *rows) {
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
  raw_binary_data d = {0};
  switch (dtype) {
    case MF_FLOAT32: d.row = rows->f32; break;
    case MF_INT8: d.row = rows->i8; break;
    case MF_INT16: d.row = rows->i16; break;
    case MF_INT32: d.row = rows->i32; break;
    case MF_INT64: d.row = rows->i64; break;
    default: break;
  }
  if (d.row == NULL) return mf_kernel_error(ctx, "%s not supported", mf_dtype_name(dtype));
  d.esize = (uint8_t)mf_dtype_size(dtype);
  mf_broadcast_info info;
  status = mf_broadcast_analyze(ctx, a, b, out, d.esize, &info);
  if (status != MF_OK) return status;
  d.count = info.count;
  d.mode = (uint8_t)info.mode;
  raw_binary_data *data = (raw_binary_data *)mf_alloc_persistent(ctx, sizeof *data);
  status = mf_broadcast_store(ctx, &info, &d.plan);
  if (data == NULL || status != MF_OK) return MF_ERR_ARENA_TOO_SMALL;
  *data = d;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

mf_status mf_raw_binary_invoke(mf_kernel_ctx *ctx) {
  const raw_binary_data *d = (const raw_binary_data *)mf_op_data(ctx);
  const void *a = mf_input(ctx, 0)->data;
  const void *b = mf_input(ctx, 1)->data;
  void *o = mf_output(ctx, 0)->data;
  if (d->plan != NULL) mf_broadcast_run(d->plan, a, b, o, d->esize, d->row, d);
  else d->row(a, b, o, d->count, d->mode, d);
  return MF_OK;
}
