/* UNPACK: splits the input along an axis into rank-1-lower outputs. */
#include <string.h>

#include "kernel_util.h"
#include "mf_ops.h"

typedef struct unpack_data {
  uint32_t outer;       /* product of the dims before the axis */
  uint32_t inner_bytes; /* bytes of one output per outer index */
  uint32_t in_row;      /* input bytes per outer index */
} unpack_data;

static mf_status unpack_prepare(mf_kernel_ctx *ctx) {
  const uint32_t n = mf_num_outputs(ctx);
  mf_status status = mf_check_io(ctx, 1, 1, n > 0 ? n : 1);
  if (status != MF_OK) return status;
  const mf_tensor *in = mf_input(ctx, 0);
  const uint32_t rank = in->ndims;
  if (rank == 0 || rank > MF_MAX_RANK) {
    return mf_kernel_error(ctx, "input rank %u not in 1..%d", (unsigned)rank, MF_MAX_RANK);
  }
  if (!mf_dtype_is_plain((mf_dtype)in->dtype)) {
    return mf_kernel_error(ctx, "%s not supported", mf_dtype_name((mf_dtype)in->dtype));
  }
  uint32_t axis;
  const int32_t axis_option = mf_option_i32(ctx, 1, 0);
  if (!mf_resolve_axis(axis_option, rank, &axis)) {
    return mf_kernel_error(ctx, "axis %d out of range", (int)axis_option);
  }
  const int32_t num = mf_option_i32(ctx, 0, in->dims[axis]);
  if (num != in->dims[axis] || num != (int32_t)n) {
    return mf_kernel_error(ctx, "num %d, %u outputs, axis dim %d", (int)num, (unsigned)n,
                           (int)in->dims[axis]);
  }
  int32_t want[MF_MAX_RANK];
  for (uint32_t i = 0, j = 0; i < rank; ++i) {
    if (i != axis) want[j++] = in->dims[i];
  }
  for (uint32_t k = 0; k < n; ++k) {
    const mf_tensor *out = mf_output(ctx, k);
    if (out->dtype != in->dtype) {
      return mf_kernel_error(ctx, "output %u is %s, input %s", (unsigned)k,
                             mf_dtype_name((mf_dtype)out->dtype),
                             mf_dtype_name((mf_dtype)in->dtype));
    }
    status = mf_expect_shape(ctx, out, "output", rank - 1, want);
    if (status != MF_OK) return status;
  }
  unpack_data *data = (unpack_data *)mf_alloc_persistent(ctx, sizeof *data);
  if (data == NULL) return MF_ERR_ARENA_TOO_SMALL;
  data->outer = (uint32_t)mf_dims_product(in->dims, 0, axis);
  data->inner_bytes = (uint32_t)(mf_dims_product(in->dims, axis + 1, rank) *
                                 mf_dtype_size((mf_dtype)in->dtype));
  data->in_row = data->inner_bytes * (uint32_t)n;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static mf_status unpack_invoke(mf_kernel_ctx *ctx) {
  const unpack_data *data = (const unpack_data *)mf_op_data(ctx);
  const uint32_t n = mf_num_outputs(ctx);
  const uint32_t copy = data->inner_bytes;
  if (copy == 0 || data->outer == 0) return MF_OK;
  const uint8_t *in = (const uint8_t *)mf_input(ctx, 0)->data;
  for (uint32_t i = 0; i < n; ++i, in += copy) {
    uint8_t *dst = (uint8_t *)mf_output(ctx, i)->data;
    const uint8_t *src = in;
    for (uint32_t k = 0; k < data->outer; ++k, src += data->in_row, dst += copy) {
      memcpy(dst, src, copy);
    }
  }
  return MF_OK;
}

const mf_op_registration mf_op_unpack = {88, 4, "UNPACK", NULL, unpack_prepare, unpack_invoke,
                                         NULL};
