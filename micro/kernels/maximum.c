/* MAXIMUM: elementwise max with numpy broadcasting, on raw values (as
 * TFLite Micro: no requantization). float32, int8, int16, int32, int64. */
#include "kernel_util.h"
#include "mf_ops.h"

#define MAX_OF(x, y) ((x) > (y) ? (x) : (y))

MF_RAW_BINARY_ROW(maximum_f32_row, float, MAX_OF)
MF_RAW_BINARY_ROW(maximum_i8_row, int8_t, MAX_OF)
MF_RAW_BINARY_ROW(maximum_i16_row, int16_t, MAX_OF)
MF_RAW_BINARY_ROW(maximum_i32_row, int32_t, MAX_OF)
MF_RAW_BINARY_ROW(maximum_i64_row, int64_t, MAX_OF)

static const mf_raw_binary_rows maximum_rows = {maximum_f32_row, maximum_i8_row, maximum_i16_row,
                                                maximum_i32_row, maximum_i64_row};

static mf_status maximum_prepare(mf_kernel_ctx *ctx) {
  return mf_raw_binary_prepare(ctx, &maximum_rows);
}

const mf_op_registration mf_op_maximum = {55, 4, "MAXIMUM", NULL, maximum_prepare,
                                          mf_raw_binary_invoke, NULL};
