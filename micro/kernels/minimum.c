/* MINIMUM: elementwise min with numpy broadcasting, on raw values (as
 * TFLite Micro: no requantization). float32, int8, int16, int32, int64. */
#include "kernel_util.h"
#include "mf_ops.h"

#define MIN_OF(x, y) ((x) < (y) ? (x) : (y))

MF_RAW_BINARY_ROW(minimum_f32_row, float, MIN_OF)
MF_RAW_BINARY_ROW(minimum_i8_row, int8_t, MIN_OF)
MF_RAW_BINARY_ROW(minimum_i16_row, int16_t, MIN_OF)
MF_RAW_BINARY_ROW(minimum_i32_row, int32_t, MIN_OF)
MF_RAW_BINARY_ROW(minimum_i64_row, int64_t, MIN_OF)

static const mf_raw_binary_rows minimum_rows = {minimum_f32_row, minimum_i8_row, minimum_i16_row,
                                                minimum_i32_row, minimum_i64_row};

static mf_status minimum_prepare(mf_kernel_ctx *ctx) {
  return mf_raw_binary_prepare(ctx, &minimum_rows);
}

const mf_op_registration mf_op_minimum = {57, 4, "MINIMUM", NULL, minimum_prepare,
                                          mf_raw_binary_invoke, NULL};
