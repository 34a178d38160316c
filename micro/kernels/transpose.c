/* TRANSPOSE: output dim i is input dim perm[i]; a precomputed strided copy. */
#include "kernel_util.h"
#include "mf_ops.h"

static mf_status transpose_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 2, 2, 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  if (in->dtype != out->dtype || !mf_dtype_is_plain((mf_dtype)in->dtype)) {
    return mf_kernel_error(ctx, "%s input, %s output", mf_dtype_name((mf_dtype)in->dtype),
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  const int32_t *perm;
  uint32_t nperm;
  status = mf_const_i32(ctx, mf_input(ctx, 1), "perm", &perm, &nperm);
  if (status != MF_OK) return status;
  const uint32_t rank = in->ndims;
  if (rank > MF_MAX_RANK) return mf_kernel_error(ctx, "rank above %d", MF_MAX_RANK);
  if (nperm != rank) {
    return mf_kernel_error(ctx, "perm has %u entries for rank %u", (unsigned)nperm,
                           (unsigned)rank);
  }
  uint8_t seen[MF_MAX_RANK] = {0};
  int32_t want[MF_MAX_RANK];
  for (uint32_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= (int32_t)rank || seen[perm[i]]) {
      return mf_kernel_error(ctx, "perm is not a permutation of 0..%u", (unsigned)rank - 1);
    }
    seen[perm[i]] = 1;
    want[i] = in->dims[perm[i]];
  }
  status = mf_expect_shape(ctx, out, "output", rank, want);
  if (status != MF_OK) return status;

  const size_t esize = mf_dtype_size((mf_dtype)in->dtype);
  int32_t in_step[MF_MAX_RANK];
  if (!mf_strides(in, esize, in_step) && mf_tensor_elements(in) != 0) {
    return mf_kernel_error(ctx, "tensor too large");
  }
  mf_gather_info info;
  info.rank = rank;
  info.esize = (uint32_t)esize;
  info.base = 0;
  for (uint32_t d = 0; d < rank; ++d) { /* loop d walks output dim rank-1-d */
    const uint32_t i = rank - 1 - d;
    info.dims[d] = (uint32_t)want[i];
    info.step[d] = in_step[perm[i]];
  }
  status = mf_gather_optimize(ctx, &info);
  if (status != MF_OK) return status;

  const mf_gather *plan;
  status = mf_gather_store(ctx, &info, &plan);
  if (status != MF_OK) return status;
  mf_set_op_data(ctx, (void *)plan);
  return MF_OK;
}

static mf_status transpose_invoke(mf_kernel_ctx *ctx) {
  const mf_gather *plan = (const mf_gather *)mf_op_data(ctx);
  mf_gather_run(plan, mf_input(ctx, 0)->data, mf_output(ctx, 0)->data);
  return MF_OK;
}

const mf_op_registration mf_op_transpose = {39, 6, "TRANSPOSE", NULL, transpose_prepare,
                                            transpose_invoke, NULL};
