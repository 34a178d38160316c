/* SPLIT: cuts the input into num_splits equal parts along a constant axis. */
#include <string.h>

#include "kernel_util.h"
#include "mf_ops.h"

typedef struct split_data {
  uint32_t outer;       /* product of the dims before the axis */
  uint32_t chunk_bytes; /* bytes of one output per outer index */
  uint32_t in_row;      /* input bytes per outer index */
} split_data;

static mf_status split_prepare(mf_kernel_ctx *ctx) {
  const uint32_t n = mf_num_outputs(ctx);
  mf_status status = mf_check_io(ctx, 2, 2, n > 0 ? n : 1);
  if (status != MF_OK) return status;
  const int32_t num_splits = mf_option_i32(ctx, 0, (int32_t)n);
  if (num_splits != (int32_t)n) {
    return mf_kernel_error(ctx, "num_splits %d, %u outputs", (int)num_splits, (unsigned)n);
  }
  const int32_t *axis_data;
  uint32_t naxis;
  status = mf_const_i32(ctx, mf_input(ctx, 0), "axis", &axis_data, &naxis);
  if (status != MF_OK) return status;
  if (naxis != 1) return mf_kernel_error(ctx, "axis must hold one value");
  const mf_tensor *in = mf_input(ctx, 1);
  const uint32_t rank = in->ndims;
  if (rank == 0 || rank > MF_MAX_RANK) {
    return mf_kernel_error(ctx, "input rank %u not in 1..%d", (unsigned)rank, MF_MAX_RANK);
  }
  if (!mf_dtype_is_plain((mf_dtype)in->dtype)) {
    return mf_kernel_error(ctx, "%s not supported", mf_dtype_name((mf_dtype)in->dtype));
  }
  uint32_t axis;
  if (!mf_resolve_axis(axis_data[0], rank, &axis)) {
    return mf_kernel_error(ctx, "axis %d out of range", (int)axis_data[0]);
  }
  if (in->dims[axis] % (int32_t)n != 0) {
    return mf_kernel_error(ctx, "dim %d does not split in %u", (int)in->dims[axis], (unsigned)n);
  }
  int32_t want[MF_MAX_RANK];
  for (uint32_t i = 0; i < rank; ++i) want[i] = in->dims[i];
  want[axis] = in->dims[axis] / (int32_t)n;
  for (uint32_t k = 0; k < n; ++k) {
    const mf_tensor *out = mf_output(ctx, k);
    if (out->dtype != in->dtype) {
      return mf_kernel_error(ctx, "output %u is %s, input %s", (unsigned)k,
                             mf_dtype_name((mf_dtype)out->dtype),
                             mf_dtype_name((mf_dtype)in->dtype));
    }
    status = mf_expect_shape(ctx, out, "output", rank, want);
    if (status != MF_OK) return status;
  }
  split_data *data = (split_data *)mf_alloc_persistent(ctx, sizeof *data);
  if (data == NULL) return MF_ERR_ARENA_TOO_SMALL;
  const size_t inner = mf_dims_product(in->dims, axis + 1, rank) *
                       mf_dtype_size((mf_dtype)in->dtype);
  data->outer = (uint32_t)mf_dims_product(in->dims, 0, axis);
  data->chunk_bytes = (uint32_t)(inner * (size_t)want[axis]);
  data->in_row = (uint32_t)(inner * (size_t)in->dims[axis]);
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static mf_status split_invoke(mf_kernel_ctx *ctx) {
  const split_data *data = (const split_data *)mf_op_data(ctx);
  const uint32_t n = mf_num_outputs(ctx);
  const uint32_t copy = data->chunk_bytes;
  if (copy == 0 || data->outer == 0) return MF_OK;
  const uint8_t *in = (const uint8_t *)mf_input(ctx, 1)->data;
  for (uint32_t i = 0; i < n; ++i, in += copy) {
    uint8_t *dst = (uint8_t *)mf_output(ctx, i)->data;
    const uint8_t *src = in;
    for (uint32_t k = 0; k < data->outer; ++k, src += data->in_row, dst += copy) {
      memcpy(dst, src, copy);
    }
  }
  return MF_OK;
}

const mf_op_registration mf_op_split = {49, 4, "SPLIT", NULL, split_prepare, split_invoke, NULL};
