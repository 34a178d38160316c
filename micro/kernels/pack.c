/* PACK: stacks N same-shaped inputs along a new axis. */
#include <string.h>

#include "kernel_util.h"
#include "mf_ops.h"

typedef struct pack_data {
  uint32_t outer;       /* product of the input dims before the axis */
  uint32_t inner_bytes; /* bytes of one input per outer index */
} pack_data;

static mf_status pack_prepare(mf_kernel_ctx *ctx) {
  const uint32_t n = mf_num_inputs(ctx);
  mf_status status = mf_check_io(ctx, 1, n > 0 ? n : 1, 1);
  if (status != MF_OK) return status;
  const int32_t count = mf_option_i32(ctx, 0, (int32_t)n);
  if (count != (int32_t)n) {
    return mf_kernel_error(ctx, "values_count %d, %u inputs", (int)count, (unsigned)n);
  }
  const mf_tensor *first = mf_input(ctx, 0);
  const mf_tensor *out = mf_output(ctx, 0);
  const uint32_t rank = first->ndims;
  if (rank + 1 > MF_MAX_RANK) return mf_kernel_error(ctx, "output rank above %d", MF_MAX_RANK);
  if (first->dtype != out->dtype || !mf_dtype_is_plain((mf_dtype)out->dtype)) {
    return mf_kernel_error(ctx, "%s input, %s output", mf_dtype_name((mf_dtype)first->dtype),
                           mf_dtype_name((mf_dtype)out->dtype));
  }
  for (uint32_t i = 1; i < n; ++i) {
    const mf_tensor *in = mf_input(ctx, i);
    if (in->dtype != first->dtype || !mf_same_shape(in, first)) {
      return mf_kernel_error(ctx, "input %u differs from input 0 in dtype or shape", (unsigned)i);
    }
  }
  uint32_t axis;
  const int32_t axis_option = mf_option_i32(ctx, 1, 0);
  if (!mf_resolve_axis(axis_option, rank + 1, &axis)) {
    return mf_kernel_error(ctx, "axis %d out of range", (int)axis_option);
  }
  int32_t want[MF_MAX_RANK];
  for (uint32_t i = 0, j = 0; i <= rank; ++i) want[i] = i == axis ? (int32_t)n : first->dims[j++];
  status = mf_expect_shape(ctx, out, "output", rank + 1, want);
  if (status != MF_OK) return status;
  pack_data *data = (pack_data *)mf_alloc_persistent(ctx, sizeof *data);
  if (data == NULL) return MF_ERR_ARENA_TOO_SMALL;
  data->outer = (uint32_t)mf_dims_product(first->dims, 0, axis);
  data->inner_bytes = (uint32_t)(mf_dims_product(first->dims, axis, rank) *
                                 mf_dtype_size((mf_dtype)out->dtype));
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static mf_status pack_invoke(mf_kernel_ctx *ctx) {
  const pack_data *data = (const pack_data *)mf_op_data(ctx);
  const uint32_t n = mf_num_inputs(ctx);
  const uint32_t copy = data->inner_bytes;
  const size_t out_row = (size_t)copy * n;
  if (copy == 0 || data->outer == 0) return MF_OK;
  uint8_t *out = (uint8_t *)mf_output(ctx, 0)->data;
  for (uint32_t i = 0; i < n; ++i, out += copy) {
    const uint8_t *src = (const uint8_t *)mf_input(ctx, i)->data;
    uint8_t *dst = out;
    for (uint32_t k = 0; k < data->outer; ++k, src += copy, dst += out_row) memcpy(dst, src, copy);
  }
  return MF_OK;
}

const mf_op_registration mf_op_pack = {83, 4, "PACK", NULL, pack_prepare, pack_invoke, NULL};
