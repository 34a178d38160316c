/* SQUEEZE: drops size-1 dimensions (all of them, or the listed ones). */
#include <string.h>

#include "kernel_util.h"
#include "mf_ops.h"

static mf_status squeeze_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 1, 1, 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  if (in->dtype != out->dtype || !mf_dtype_is_plain((mf_dtype)in->dtype)) {
    return mf_kernel_error(ctx, "%s input, %s output", mf_dtype_name((mf_dtype)in->dtype),
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  const uint32_t rank = in->ndims;
  if (rank > MF_MAX_RANK) return mf_kernel_error(ctx, "input rank above %d", MF_MAX_RANK);
  const int32_t *axes = NULL;
  const uint32_t naxes = mf_option_i32_vector(ctx, 0, &axes);
  uint8_t drop[MF_MAX_RANK] = {0};
  if (naxes == 0) {
    for (uint32_t i = 0; i < rank; ++i) drop[i] = in->dims[i] == 1;
  } else {
    for (uint32_t k = 0; k < naxes; ++k) {
      uint32_t axis;
      if (!mf_resolve_axis(axes[k], rank, &axis) || in->dims[axis] != 1) {
        return mf_kernel_error(ctx, "cannot squeeze dim %d", (int)axes[k]);
      }
      drop[axis] = 1;
    }
  }
  int32_t want[MF_MAX_RANK];
  uint32_t n = 0;
  for (uint32_t i = 0; i < rank; ++i) {
    if (!drop[i]) want[n++] = in->dims[i];
  }
  status = mf_expect_shape(ctx, out, "output", n, want);
  /* The output may share the input's memory (the invoke then copies nothing). */
  if (status == MF_OK) mf_request_alias(ctx, 0, 0);
  return status;
}

static mf_status squeeze_invoke(mf_kernel_ctx *ctx) {
  const mf_tensor *in = mf_input(ctx, 0);
  mf_tensor *out = mf_output(ctx, 0);
  const size_t bytes = mf_tensor_bytes(in);
  if (bytes > 0 && out->data != in->data) memcpy(out->data, in->data, bytes);
  return MF_OK;
}

const mf_op_registration mf_op_squeeze = {43, 2, "SQUEEZE", NULL, squeeze_prepare,
                                          squeeze_invoke, NULL};
