/* RESHAPE: the output keeps the input's elements in order under a new shape. */
#include <string.h>

#include "kernel_util.h"
#include "mf_ops.h"

static mf_status reshape_prepare(mf_kernel_ctx *ctx) {
  mf_status status = mf_check_io(ctx, 1, 2, 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  if (in->dtype != out->dtype || !mf_dtype_is_plain((mf_dtype)in->dtype)) {
    return mf_kernel_error(ctx, "%s input, %s output", mf_dtype_name((mf_dtype)in->dtype),
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  const size_t in_count = mf_tensor_elements(in);
  /* Old converters wrote a scalar output as shape [0]. */
  if (mf_num_inputs(ctx) == 1 && out->ndims == 1 && out->dims[0] == 0 && in_count == 1) {
    const int32_t none = 0;
    return mf_set_output_dims(ctx, 0, 0, &none);
  }
  /* One dimension may be -1: it takes whatever the others leave. */
  int32_t dims[MF_MAX_RANK];
  int stretch = -1;
  size_t known = 1;
  if (out->ndims > MF_MAX_RANK) return mf_kernel_error(ctx, "output rank above %d", MF_MAX_RANK);
  for (uint32_t i = 0; i < out->ndims; ++i) {
    dims[i] = out->dims[i];
    if (dims[i] == -1 && stretch < 0) {
      stretch = (int)i;
    } else if (dims[i] < 0) {
      return mf_kernel_error(ctx, "output dim %u is %d", (unsigned)i, (int)dims[i]);
    } else {
      known *= (size_t)dims[i];
    }
  }
  if (stretch >= 0) {
    if (known == 0 || in_count % known != 0) {
      return mf_kernel_error(ctx, "cannot infer the -1 output dim");
    }
    dims[stretch] = (int32_t)(in_count / known);
    known = in_count;
  }
  if (known != in_count) {
    return mf_kernel_error(ctx, "%u input elements, %u output elements", (unsigned)in_count,
                           (unsigned)known);
  }
  if (stretch >= 0) status = mf_set_output_dims(ctx, 0, out->ndims, dims);
  /* The output may share the input's memory (the invoke then copies nothing). */
  if (status == MF_OK) mf_request_alias(ctx, 0, 0);
  return status;
}

static mf_status reshape_invoke(mf_kernel_ctx *ctx) {
  const mf_tensor *in = mf_input(ctx, 0);
  mf_tensor *out = mf_output(ctx, 0);
  const size_t bytes = mf_tensor_bytes(in);
  if (bytes > 0 && out->data != in->data) memcpy(out->data, in->data, bytes);
  return MF_OK;
}

const mf_op_registration mf_op_reshape = {22, 2, "RESHAPE", NULL, reshape_prepare,
                                          reshape_invoke, NULL};
