/* STRIDED_SLICE with constant begin/end/strides, begin/end/shrink masks.
 * Index resolution follows TFLite Micro: negative indices count from the
 * end, then clamp to [0, size] (stride > 0) or [-1, size - 1] (stride < 0),
 * then the masks select the whole range. */
#include "kernel_util.h"
#include "mf_ops.h"

static int32_t clamp_index(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

static mf_status strided_slice_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 4, 4, 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  if (in->dtype != out->dtype || !mf_dtype_is_plain((mf_dtype)in->dtype)) {
    return mf_kernel_error(ctx, "%s input, %s output", mf_dtype_name((mf_dtype)in->dtype),
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  const uint32_t rank = in->ndims;
  if (rank > MF_MAX_RANK) return mf_kernel_error(ctx, "rank above %d", MF_MAX_RANK);
  const int32_t *begin;
  const int32_t *end;
  const int32_t *strides;
  uint32_t nb;
  uint32_t ne;
  uint32_t ns;
  if ((status = mf_const_i32(ctx, mf_input(ctx, 1), "begin", &begin, &nb)) != MF_OK ||
      (status = mf_const_i32(ctx, mf_input(ctx, 2), "end", &end, &ne)) != MF_OK ||
      (status = mf_const_i32(ctx, mf_input(ctx, 3), "strides", &strides, &ns)) != MF_OK) {
    return status;
  }
  if (nb != rank || ne != rank || ns != rank) {
    return mf_kernel_error(ctx, "begin/end/strides need %u values", (unsigned)rank);
  }
  const uint32_t begin_mask = (uint32_t)mf_option_i32(ctx, 0, 0);
  const uint32_t end_mask = (uint32_t)mf_option_i32(ctx, 1, 0);
  const int32_t ellipsis_mask = mf_option_i32(ctx, 2, 0);
  const int32_t new_axis_mask = mf_option_i32(ctx, 3, 0);
  const uint32_t shrink_mask = (uint32_t)mf_option_i32(ctx, 4, 0);
  if (ellipsis_mask != 0 || new_axis_mask != 0 || mf_option_u8(ctx, 5, 0) != 0) {
    return mf_kernel_error(ctx, "ellipsis_mask, new_axis_mask and offset are not supported");
  }

  const size_t esize = mf_dtype_size((mf_dtype)in->dtype);
  int32_t in_step[MF_MAX_RANK];
  if (!mf_strides(in, esize, in_step) && mf_tensor_elements(in) != 0) {
    return mf_kernel_error(ctx, "tensor too large");
  }

  mf_gather_info info;
  info.rank = rank;
  info.esize = (uint32_t)esize;
  int64_t base = 0;
  int empty = 0;
  int32_t want[MF_MAX_RANK];
  uint32_t nwant = 0;
  for (uint32_t d = 0; d < rank; ++d) {
    const int32_t size = in->dims[d];
    const int32_t stride = strides[d];
    if (stride == 0) return mf_kernel_error(ctx, "stride of dim %u is 0", (unsigned)d);
    const int shrink = (shrink_mask >> d) & 1u;
    int32_t start = begin[d];
    if (start < 0) start += size;
    start = stride > 0 ? clamp_index(start, 0, size) : clamp_index(start, -1, size - 1);
    if ((begin_mask >> d) & 1u) start = stride > 0 ? 0 : size - 1;
    int64_t count;
    if (shrink) {
      if (start < 0 || start >= size || stride < 0) {
        return mf_kernel_error(ctx, "cannot shrink dim %u at index %d", (unsigned)d,
                               (int)begin[d]);
      }
      count = 1;
    } else {
      int32_t stop = end[d];
      if (stop < 0) stop += size;
      stop = stride > 0 ? clamp_index(stop, 0, size) : clamp_index(stop, -1, size - 1);
      if ((end_mask >> d) & 1u) stop = stride > 0 ? size : -1;
      const int64_t span = stride > 0 ? (int64_t)stop - start : (int64_t)start - stop;
      const int64_t step = stride > 0 ? stride : -(int64_t)stride;
      count = span > 0 ? (span + step - 1) / step : 0;
      want[nwant++] = (int32_t)count;
    }
    if (count == 0) empty = 1;
    base += (int64_t)start * in_step[d];
    const uint32_t loop = rank - 1 - d; /* gather loops run innermost first */
    info.dims[loop] = (uint32_t)count;
    info.step[loop] = (int32_t)((int64_t)stride * in_step[d]);
  }
  status = mf_expect_shape(ctx, out, "output", nwant, want);
  if (status != MF_OK) return status;
  info.base = empty ? 0 : (int32_t)base;
  if (rank == 0) { /* a scalar copies itself */
    info.rank = 1;
    info.dims[0] = 1;
    info.step[0] = (int32_t)esize;
  }
  status = mf_gather_optimize(ctx, &info);
  if (status != MF_OK) return status;
  const mf_gather *plan;
  status = mf_gather_store(ctx, &info, &plan);
  if (status != MF_OK) return status;
  mf_set_op_data(ctx, (void *)plan);
  return MF_OK;
}

static mf_status strided_slice_invoke(mf_kernel_ctx *ctx) {
  const mf_gather *plan = (const mf_gather *)mf_op_data(ctx);
  mf_gather_run(plan, mf_input(ctx, 0)->data, mf_output(ctx, 0)->data);
  return MF_OK;
}

const mf_op_registration mf_op_strided_slice = {45, 8, "STRIDED_SLICE", NULL,
                                                strided_slice_prepare, strided_slice_invoke,
                                                NULL};
