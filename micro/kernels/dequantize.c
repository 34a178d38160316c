/* DEQUANTIZE: int8, int16 and uint8 (per-tensor) to float32:
 * scale * (value - zero_point). */
#include <stddef.h>
#include <stdint.h>

#include "mf_kernel.h"
#include "quant_util.h"

typedef struct dequantize_data {
  uint32_t count;
  float scale;
  int32_t zero_point;
  uint8_t dtype;
} dequantize_data;

static mf_status dequantize_prepare(mf_kernel_ctx *ctx) {
  if (mf_num_inputs(ctx) != 1 || mf_num_outputs(ctx) != 1) {
    return mf_kernel_error(ctx, "needs 1 input and 1 output");
  }
  const mf_tensor *input = mf_input(ctx, 0);
  const mf_tensor *output = mf_output(ctx, 0);
  if (input == NULL || output == NULL) return mf_kernel_error(ctx, "missing input or output");
  const mf_dtype dtype = (mf_dtype)input->dtype;
  if (dtype != MF_INT8 && dtype != MF_INT16 && dtype != MF_UINT8) {
    return mf_kernel_error(ctx, "%s input is not supported", mf_dtype_name(dtype));
  }
  if (output->dtype != MF_FLOAT32) {
    return mf_kernel_error(ctx, "output %s, expected float32",
                           mf_dtype_name((mf_dtype)output->dtype));
  }
  if (mf_tensor_elements(output) != mf_tensor_elements(input)) {
    return mf_kernel_error(ctx, "output and input sizes differ");
  }
  mf_quant iq;
  if (mf_input_quant(ctx, 0, &iq) != MF_OK || iq.channels != 1) {
    return mf_kernel_error(ctx, "input needs per-tensor quantization");
  }
  if (iq.zero_point < -65536 || iq.zero_point > 65535) {
    return mf_kernel_error(ctx, "zero point %d out of range", (int)iq.zero_point);
  }
  dequantize_data *d = (dequantize_data *)mf_alloc_persistent(ctx, sizeof(dequantize_data));
  if (d == NULL) return MF_ERR_ARENA_TOO_SMALL;
  d->count = (uint32_t)mf_tensor_elements(input);
  d->scale = iq.scale;
  d->zero_point = iq.zero_point;
  d->dtype = (uint8_t)dtype;
  mf_set_op_data(ctx, d);
  return MF_OK;
}

static mf_status dequantize_invoke(mf_kernel_ctx *ctx) {
  const dequantize_data *d = (const dequantize_data *)mf_op_data(ctx);
  const void *in = mf_input(ctx, 0)->data;
  float *out = (float *)mf_output(ctx, 0)->data;
  const float scale = d->scale;
  const int32_t zp = d->zero_point;
  const uint32_t n = d->count;
  switch (d->dtype) {
    case MF_INT8: {
      const int8_t *x = (const int8_t *)in;
      for (uint32_t i = 0; i < n; ++i) out[i] = scale * (float)(x[i] - zp);
      break;
    }
    case MF_UINT8: {
      const uint8_t *x = (const uint8_t *)in;
      for (uint32_t i = 0; i < n; ++i) out[i] = scale * (float)(x[i] - zp);
      break;
    }
    default: {
      const int16_t *x = (const int16_t *)in;
      for (uint32_t i = 0; i < n; ++i) out[i] = scale * (float)(x[i] - zp);
      break;
    }
  }
  return MF_OK;
}

const mf_op_registration mf_op_dequantize = {
    6, 6, "DEQUANTIZE", NULL, dequantize_prepare, dequantize_invoke, NULL,
};
