/* EXPAND_DIMS: inserts a size-1 dimension at a constant axis. */
#include <string.h>

#include "kernel_util.h"
#include "mf_ops.h"

static mf_status expand_dims_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 2, 2, 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  if (in->dtype != out->dtype || !mf_dtype_is_plain((mf_dtype)in->dtype)) {
    return mf_kernel_error(ctx, "%s input, %s output", mf_dtype_name((mf_dtype)in->dtype),
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  const int32_t *axis_data;
  uint32_t naxis;
  status = mf_const_i32(ctx, mf_input(ctx, 1), "axis", &axis_data, &naxis);
  if (status != MF_OK) return status;
  if (naxis != 1 || mf_input(ctx, 1)->ndims > 1) {
    return mf_kernel_error(ctx, "axis must hold one value");
  }
  const uint32_t rank = in->ndims;
  if (rank + 1 > MF_MAX_RANK) return mf_kernel_error(ctx, "output rank above %d", MF_MAX_RANK);
  uint32_t axis;
  if (!mf_resolve_axis(axis_data[0], rank + 1, &axis)) {
    return mf_kernel_error(ctx, "axis %d out of range", (int)axis_data[0]);
  }
  int32_t want[MF_MAX_RANK];
  for (uint32_t i = 0, j = 0; i <= rank; ++i) want[i] = i == axis ? 1 : in->dims[j++];
  status = mf_expect_shape(ctx, out, "output", rank + 1, want);
  /* The output may share the input's memory (the invoke then copies nothing). */
  if (status == MF_OK) mf_request_alias(ctx, 0, 0);
  return status;
}

static mf_status expand_dims_invoke(mf_kernel_ctx *ctx) {
  const mf_tensor *in = mf_input(ctx, 0);
  mf_tensor *out = mf_output(ctx, 0);
  const size_t bytes = mf_tensor_bytes(in);
  if (bytes > 0 && out->data != in->data) memcpy(out->data, in->data, bytes);
  return MF_OK;
}

const mf_op_registration mf_op_expand_dims = {70, 2, "EXPAND_DIMS", NULL, expand_dims_prepare,
                                              expand_dims_invoke, NULL};
