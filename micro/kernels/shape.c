/* SHAPE: writes the input's dimensions as an int32 (or int64) vector. */
#include <string.h>

#include "kernel_util.h"
#include "mf_ops.h"

static mf_status shape_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 1, 1, 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  if (out->dtype != MF_INT32 && out->dtype != MF_INT64) {
    return mf_kernel_error(ctx, "%s output, expected int32 or int64",
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  const int32_t want = (int32_t)in->ndims;
  return mf_expect_shape(ctx, out, "output", 1, &want);
}

static mf_status shape_invoke(mf_kernel_ctx *ctx) {
  const mf_tensor *in = mf_input(ctx, 0);
  mf_tensor *out = mf_output(ctx, 0);
  if (out->dtype == MF_INT32) {
    int32_t *o = (int32_t *)out->data;
    for (uint32_t i = 0; i < in->ndims; ++i) o[i] = in->dims[i];
  } else {
    int64_t *o = (int64_t *)out->data;
    for (uint32_t i = 0; i < in->ndims; ++i) o[i] = in->dims[i];
  }
  return MF_OK;
}

const mf_op_registration mf_op_shape = {77, 1, "SHAPE", NULL, shape_prepare, shape_invoke, NULL};
