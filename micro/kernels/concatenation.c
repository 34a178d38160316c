/* CONCATENATION: joins the inputs along one axis (a copy per input row).
 * As in TFLite Micro, int8 inputs are copied without requantization. */
#include <string.h>

#include "kernel_util.h"
#include "mf_ops.h"
#include "quant_util.h"

typedef struct concat_data {
  uint32_t axis;
  uint32_t outer;       /* product of the dims before the axis */
  uint32_t inner_bytes; /* bytes of one index along the axis */
  uint32_t out_row;     /* output bytes per outer index */
} concat_data;

static mf_status concat_prepare(mf_kernel_ctx *ctx) {
  const uint32_t n = mf_num_inputs(ctx);
  mf_status status = mf_check_io(ctx, 1, n > 0 ? n : 1, 1);
  if (status != MF_OK) return status;
  const mf_tensor *out = mf_output(ctx, 0);
  const uint32_t rank = out->ndims;
  if (!mf_dtype_is_plain((mf_dtype)out->dtype)) {
    return mf_kernel_error(ctx, "%s not supported", mf_dtype_name((mf_dtype)out->dtype));
  }
  if (rank == 0 || rank > MF_MAX_RANK) {
    return mf_kernel_error(ctx, "output rank %u not in 1..%d", (unsigned)rank, MF_MAX_RANK);
  }
  const uint8_t activation = mf_option_u8(ctx, 1, MF_ACT_NONE);
  if (activation != MF_ACT_NONE) {
    return mf_kernel_error(ctx, "fused activation %u not supported", (unsigned)activation);
  }
  uint32_t axis;
  const int32_t axis_option = mf_option_i32(ctx, 0, 0);
  if (!mf_resolve_axis(axis_option, rank, &axis)) {
    return mf_kernel_error(ctx, "axis %d out of range", (int)axis_option);
  }
  int64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const mf_tensor *in = mf_input(ctx, i);
    if (in->dtype != out->dtype) {
      return mf_kernel_error(ctx, "input %u is %s, output %s", (unsigned)i,
                             mf_dtype_name((mf_dtype)in->dtype),
                             mf_dtype_name((mf_dtype)out->dtype));
    }
    if (in->ndims != rank) {
      return mf_kernel_error(ctx, "input %u has rank %u, output %u", (unsigned)i,
                             (unsigned)in->ndims, (unsigned)rank);
    }
    for (uint32_t d = 0; d < rank; ++d) {
      if (d != axis && in->dims[d] != out->dims[d]) {
        return mf_kernel_error(ctx, "input %u dim %u is %d, output %d", (unsigned)i, (unsigned)d,
                               (int)in->dims[d], (int)out->dims[d]);
      }
    }
    total += in->dims[axis];
  }
  if (total != out->dims[axis]) {
    return mf_kernel_error(ctx, "inputs sum to %d along axis %u, output has %d", (int)total,
                           (unsigned)axis, (int)out->dims[axis]);
  }
  concat_data *data = (concat_data *)mf_alloc_persistent(ctx, sizeof *data);
  if (data == NULL) return MF_ERR_ARENA_TOO_SMALL;
  data->axis = axis;
  data->outer = (uint32_t)mf_dims_product(out->dims, 0, axis);
  data->inner_bytes = (uint32_t)(mf_dims_product(out->dims, axis + 1, rank) *
                                 mf_dtype_size((mf_dtype)out->dtype));
  data->out_row = (uint32_t)out->dims[axis] * data->inner_bytes;
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static mf_status concat_invoke(mf_kernel_ctx *ctx) {
  const concat_data *data = (const concat_data *)mf_op_data(ctx);
  uint8_t *out = (uint8_t *)mf_output(ctx, 0)->data;
  const uint32_t n = mf_num_inputs(ctx);
  const uint32_t outer = data->outer;
  const uint32_t out_row = data->out_row;
  for (uint32_t i = 0; i < n; ++i) {
    const mf_tensor *in = mf_input(ctx, i);
    const uint32_t copy = (uint32_t)in->dims[data->axis] * data->inner_bytes;
    if (copy == 0) continue;
    const uint8_t *src = (const uint8_t *)in->data;
    uint8_t *dst = out;
    for (uint32_t k = 0; k < outer; ++k, src += copy, dst += out_row) memcpy(dst, src, copy);
    out += copy;
  }
  return MF_OK;
}

const mf_op_registration mf_op_concatenation = {2, 4, "CONCATENATION", NULL, concat_prepare,
                                                concat_invoke, NULL};
