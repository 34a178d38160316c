/* MEAN over constant axes, with or without keep_dims: float32, int8, int16.
 * Each output sums its reduced sub-box in input order (so float sums match
 * TFLite's order exactly). Integer means follow TFLite Micro: the 1/count
 * factor is folded into the output multiplier, then one rescale per output. */
#include "kernel_util.h"
#include "mf_ops.h"
#include "quant_util.h"

typedef struct mean_data {
  uint8_t dtype;
  uint8_t reserved;
  uint8_t outer_rank;  /* kept loops, innermost first, >= 1 */
  uint8_t inner_rank;  /* reduced loops, innermost first, >= 1 */
  uint32_t count;      /* reduced elements per output */
  uint32_t outputs;
  uint32_t zp_count;   /* input zero point x count, mod 2^32 */
  int32_t out_zp;
  int32_t mult;
  int32_t shift;
  /* followed by outer dims[], outer inc[], inner dims[], inner inc[] (in elements) */
} mean_data;

/* Fills dims/inc (innermost first) for the loops of one group, given the
 * loops outermost first with element strides. inc[0] is the step of loop 0;
 * inc[d] for d >= 1 is the move when loop d advances after its inner loops
 * wrapped, counting loop 0 as stopped on its last element (`last0`) or one
 * step past it. Returns the number of loops (at least 1). */
static uint32_t make_loops(const uint32_t *size, const int64_t *stride, uint32_t n, int last0,
                           uint32_t *dims, int32_t *inc) {
  if (n == 0) {
    dims[0] = 1;
    inc[0] = 0;
    return 1;
  }
  int64_t back = 0;
  for (uint32_t d = 0; d < n; ++d) {
    const uint32_t k = n - 1 - d; /* innermost first */
    dims[d] = size[k];
    inc[d] = (int32_t)(d == 0 ? stride[k] : stride[k] - back);
    if (d > 0 || last0) back += stride[k] * (int64_t)(size[k] - 1);
  }
  return n;
}

static mf_status mean_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 2, 2, 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  const mf_dtype dtype = (mf_dtype)in->dtype;
  if (out->dtype != dtype) {
    return mf_kernel_error(ctx, "%s input, %s output", mf_dtype_name(dtype),
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  if (dtype != MF_FLOAT32 && dtype != MF_INT8 && dtype != MF_INT16) {
    return mf_kernel_error(ctx, "%s not supported", mf_dtype_name(dtype));
  }
  const uint32_t rank = in->ndims;
  if (rank > MF_MAX_RANK) return mf_kernel_error(ctx, "rank above %d", MF_MAX_RANK);
  const int32_t *axes;
  uint32_t naxes;
  status = mf_const_i32(ctx, mf_input(ctx, 1), "axis", &axes, &naxes);
  if (status != MF_OK) return status;
  uint8_t reduced[MF_MAX_RANK] = {0};
  for (uint32_t k = 0; k < naxes && rank > 0; ++k) {
    uint32_t axis;
    if (!mf_resolve_axis(axes[k], rank, &axis)) {
      return mf_kernel_error(ctx, "axis %d out of range", (int)axes[k]);
    }
    reduced[axis] = 1;
  }
  const int keep_dims = mf_option_u8(ctx, 0, 0) != 0;
  int32_t want[MF_MAX_RANK];
  uint32_t nwant = 0;
  for (uint32_t i = 0; i < rank; ++i) {
    if (!reduced[i]) want[nwant++] = in->dims[i];
    else if (keep_dims) want[nwant++] = 1;
  }
  status = mf_expect_shape(ctx, out, "output", nwant, want);
  if (status != MF_OK) return status;

  /* Split the dims into runs of kept and reduced ones (unit dims dropped);
   * neighbours in a run are contiguous, so each run is one loop. */
  uint32_t ksize[MF_MAX_RANK], rsize[MF_MAX_RANK];
  int64_t kstride[MF_MAX_RANK], rstride[MF_MAX_RANK];
  uint32_t nk = 0, nr = 0;
  int last = -1; /* 0 kept, 1 reduced */
  int32_t strides[MF_MAX_RANK];
  if (!mf_strides(in, 1, strides) && mf_tensor_elements(in) != 0) {
    return mf_kernel_error(ctx, "tensor too large");
  }
  uint64_t count = 1;
  for (uint32_t i = 0; i < rank; ++i) {
    const uint32_t size = (uint32_t)in->dims[i];
    if (reduced[i]) count *= size;
    if (size == 1) continue;
    const int kind = reduced[i];
    if (kind == last) { /* same run: fold into the previous loop */
      if (kind) {
        rsize[nr - 1] *= size;
        rstride[nr - 1] = strides[i];
      } else {
        ksize[nk - 1] *= size;
        kstride[nk - 1] = strides[i];
      }
    } else if (kind) {
      rsize[nr] = size;
      rstride[nr++] = strides[i];
    } else {
      ksize[nk] = size;
      kstride[nk++] = strides[i];
    }
    last = kind;
  }

  mean_data d = {0};
  d.dtype = (uint8_t)dtype;
  d.count = (uint32_t)count;
  d.outputs = (uint32_t)mf_tensor_elements(out);
  if (dtype != MF_FLOAT32) {
    float in_scale, out_scale;
    int32_t in_zp;
    if ((status = mf_tensor_qparams(ctx, 0, 0, &in_scale, &in_zp)) != MF_OK ||
        (status = mf_tensor_qparams(ctx, 1, 0, &out_scale, &d.out_zp)) != MF_OK) {
      return status;
    }
    d.zp_count = (uint32_t)in_zp * d.count;
    if (mf_quantize_multiplier((double)in_scale / (double)out_scale, &d.mult, &d.shift) !=
            MF_OK ||
        d.shift > 31) {
      return mf_kernel_error(ctx, "input/output scales out of range");
    }
    if (count > 0) { /* fold 1/count into the multiplier, as TFLite does */
      int log2 = 0;
      while ((count >> (log2 + 1)) != 0) ++log2;
      int s = log2 < 32 ? log2 : 32;
      if (s > 31 + d.shift) s = 31 + d.shift;
      d.mult = (int32_t)(((int64_t)d.mult << s) / (int64_t)count);
      d.shift -= s;
    }
  }

  uint32_t dims_k[MF_MAX_RANK], dims_r[MF_MAX_RANK];
  int32_t inc_k[MF_MAX_RANK], inc_r[MF_MAX_RANK];
  d.outer_rank = (uint8_t)make_loops(ksize, kstride, nk, 1, dims_k, inc_k);
  d.inner_rank = (uint8_t)make_loops(rsize, rstride, nr, 0, dims_r, inc_r);
  const size_t words = 2u * (d.outer_rank + d.inner_rank);
  mean_data *data = (mean_data *)mf_alloc_persistent(ctx, sizeof d + words * sizeof(int32_t));
  if (data == NULL) return MF_ERR_ARENA_TOO_SMALL;
  *data = d;
  uint32_t *w = (uint32_t *)(data + 1);
  for (uint32_t i = 0; i < d.outer_rank; ++i) w[i] = dims_k[i];
  w += d.outer_rank;
  for (uint32_t i = 0; i < d.outer_rank; ++i) w[i] = (uint32_t)inc_k[i];
  w += d.outer_rank;
  for (uint32_t i = 0; i < d.inner_rank; ++i) w[i] = dims_r[i];
  w += d.inner_rank;
  for (uint32_t i = 0; i < d.inner_rank; ++i) w[i] = (uint32_t)inc_r[i];
  mf_set_op_data(ctx, data);
  return MF_OK;
}

/* Walks every output (outer loops); SUM is evaluated at p for each one. */
#define MEAN_WALK(T, ACC, ZERO, ADD, STORE)                                              \
  do {                                                                                  \
    const T *p = (const T *)in->data;                                                   \
    T *o = (T *)out->data;                                                              \
    uint32_t oidx[MF_MAX_RANK] = {0};                                                   \
    for (uint32_t k = 0; k < outputs; ++k) {                                            \
      ACC acc = ZERO;                                                                   \
      const T *q = p;                                                                   \
      uint32_t iidx[MF_MAX_RANK] = {0};                                                 \
      for (;;) {                                                                        \
        for (uint32_t j = 0; j < n0; ++j, q += step0) acc = ADD(acc, *q);               \
        uint32_t r = 1;                                                                 \
        for (; r < inner_rank; ++r) {                                                   \
          if (++iidx[r] < idims[r]) {                                                   \
            q += iinc[r] - (int32_t)n0 * step0;                                         \
            break;                                                                      \
          }                                                                             \
          iidx[r] = 0;                                                                  \
        }                                                                               \
        if (r >= inner_rank) break;                                                     \
      }                                                                                 \
      o[k] = STORE(acc);                                                                \
      for (uint32_t r = 0; r < outer_rank; ++r) {                                       \
        if (++oidx[r] < odims[r]) {                                                     \
          p += oinc[r];                                                                 \
          break;                                                                        \
        }                                                                               \
        oidx[r] = 0;                                                                    \
      }                                                                                 \
    }                                                                                   \
  } while (0)

#define ADD_F32(acc, x) ((acc) + (x))
#define ADD_INT(acc, x) ((acc) + (uint32_t)(int32_t)(x))

static mf_status mean_invoke(mf_kernel_ctx *ctx) {
  const mean_data *d = (const mean_data *)mf_op_data(ctx);
  const mf_tensor *in = mf_input(ctx, 0);
  mf_tensor *out = mf_output(ctx, 0);
  const uint32_t outputs = d->outputs;
  const uint32_t outer_rank = d->outer_rank;
  const uint32_t inner_rank = d->inner_rank;
  const uint32_t *odims = (const uint32_t *)(d + 1);
  const int32_t *oinc = (const int32_t *)(odims + outer_rank);
  const uint32_t *idims = (const uint32_t *)(oinc + outer_rank);
  const int32_t *iinc = (const int32_t *)(idims + inner_rank);
  const uint32_t n0 = idims[0];
  const int32_t step0 = iinc[0];
  if (d->count == 0) { /* empty reduction: zeros, as TFLite */
    mf_fill(out->data, "\0\0\0\0", mf_dtype_size((mf_dtype)d->dtype), outputs);
    return MF_OK;
  }
  if (d->dtype == MF_FLOAT32) {
    const float n = (float)d->count;
#define STORE_F32(acc) ((acc) / n)
    MEAN_WALK(float, float, 0.0f, ADD_F32, STORE_F32);
#undef STORE_F32
    return MF_OK;
  }
  const uint32_t zp_count = d->zp_count;
  const int32_t out_zp = d->out_zp, mult = d->mult;
  const int shift = (int)d->shift;
  const int32_t qmin = d->dtype == MF_INT8 ? INT8_MIN : INT16_MIN;
  const int32_t qmax = d->dtype == MF_INT8 ? INT8_MAX : INT16_MAX;
#define STORE_Q(acc)                                                                  \
  (mf_clamp_i32(                                                                      \
      mf_add_wrap(mf_mul_by_quantized_multiplier((int32_t)((acc) - zp_count), mult, shift), \
                  out_zp),                                                            \
      qmin, qmax))
  if (d->dtype == MF_INT8) MEAN_WALK(int8_t, uint32_t, 0u, ADD_INT, (int8_t)STORE_Q);
  else MEAN_WALK(int16_t, uint32_t, 0u, ADD_INT, (int16_t)STORE_Q);
#undef STORE_Q
  return MF_OK;
}

const mf_op_registration mf_op_mean = {40, 3, "MEAN", NULL, mean_prepare, mean_invoke, NULL};
