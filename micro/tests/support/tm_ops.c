/* The MF_TEST kernel (see tm_ops.h). */
#include "tm_ops.h"

#include <string.h>

typedef struct tm_op_data {
  uint32_t flags;
  uint32_t scratch;
} tm_op_data;

static uint32_t word(const mf_kernel_ctx *ctx, uint32_t i) {
  size_t size;
  const uint8_t *options = mf_custom_options(ctx, &size);
  uint32_t value = 0;
  if (options != NULL && size >= 4u * (i + 1u)) memcpy(&value, options + 4u * i, 4);
  return value;
}

static mf_status test_init(mf_kernel_ctx *ctx) {
  if (word(ctx, 2) & TM_FLAG_COPY_INIT) mf_request_alias(ctx, 0, 0);
  return MF_OK;
}

static mf_status test_prepare(mf_kernel_ctx *ctx) {
  uint32_t flags = word(ctx, 2);
  if (flags & TM_FLAG_LIE_ARENA) return MF_ERR_ARENA_TOO_SMALL;
  if (flags & TM_FLAG_FAIL_PREPARE) return mf_kernel_error(ctx, "asked to fail in prepare (%d)", 7);
  for (uint32_t i = 0; i < mf_num_outputs(ctx); i++) MF_ENSURE_TYPE(ctx, mf_output(ctx, i), MF_INT8);
  for (uint32_t i = 0; i < mf_num_inputs(ctx); i++) {
    const mf_tensor *in = mf_input(ctx, i);
    if (in != NULL) MF_ENSURE_TYPE(ctx, in, MF_INT8);
  }
  if (flags & TM_FLAG_COPY) mf_request_alias(ctx, 0, 0);
  /* The mf_kernel.h rule: make every request first, check after. */
  mf_status dims_status = MF_OK, scratch_status = MF_OK;
  if (flags & TM_FLAG_SET_DIMS) {
    int32_t dims[2] = {1, (int32_t)word(ctx, 3)};
    dims_status = mf_set_output_dims(ctx, 0, 2, dims);
  }
  tm_op_data *data = mf_alloc_persistent(ctx, sizeof(tm_op_data));
  uint32_t extra_bytes = word(ctx, 1);
  void *extra = extra_bytes != 0u ? mf_alloc_persistent(ctx, extra_bytes) : NULL;
  if (word(ctx, 0) != 0u) scratch_status = mf_request_scratch(ctx, word(ctx, 0));
  if (data == NULL || (extra_bytes != 0u && extra == NULL)) return MF_ERR_ARENA_TOO_SMALL;
  if (dims_status != MF_OK) return dims_status;
  if (scratch_status != MF_OK) return scratch_status;
  data->flags = flags;
  data->scratch = word(ctx, 0);
  mf_set_op_data(ctx, data);
  return MF_OK;
}

static mf_status test_invoke(mf_kernel_ctx *ctx) {
  const tm_op_data *data = mf_op_data(ctx);
  if (data->flags & TM_FLAG_FAIL_INVOKE) return mf_kernel_error(ctx, "asked to fail in invoke");
  if (data->scratch != 0u) {
    uint8_t *scratch = mf_scratch(ctx);
    MF_ENSURE(ctx, scratch != NULL);
    memset(scratch, 0xA5, data->scratch);
  }
  if (data->flags & (TM_FLAG_COPY | TM_FLAG_COPY_INIT)) {
    const mf_tensor *in = mf_input(ctx, 0);
    mf_tensor *out = mf_output(ctx, 0);
    size_t n = mf_tensor_elements(out), len = mf_tensor_elements(in);
    for (size_t e = 0; out->data != in->data && e < n; e++)
      ((int8_t *)out->data)[e] = ((const int8_t *)in->data)[e % len];
    return MF_OK;
  }
  for (uint32_t o = 0; o < mf_num_outputs(ctx); o++) {
    mf_tensor *out = mf_output(ctx, o);
    size_t n = mf_tensor_elements(out);
    int8_t *dst = out->data;
    for (size_t e = 0; e < n; e++) {
      uint32_t sum = 1;
      for (uint32_t i = 0; i < mf_num_inputs(ctx); i++) {
        const mf_tensor *in = mf_input(ctx, i);
        size_t len = in != NULL ? mf_tensor_elements(in) : 0u;
        if (len != 0u) sum += (uint32_t)((const int8_t *)in->data)[e % len];
      }
      dst[e] = (int8_t)(uint8_t)sum;
    }
  }
  return MF_OK;
}

const mf_op_registration tm_op_test = {MF_CUSTOM_OP, 3, "MF_TEST", test_init, test_prepare, test_invoke, NULL};
const mf_op_registration tm_op_test_conv = {3, 2, "CONV_2D", NULL, test_prepare, test_invoke, NULL};
