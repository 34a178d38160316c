/* Shape, broadcasting, strided-copy and padding helpers shared by kernels.
 *
 * Conventions: "steps" and "increments" are in bytes; loop dimensions are
 * listed innermost first. Everything that needs a division or a shape walk
 * happens in prepare; the run functions only add precomputed increments. */
#ifndef MF_KERNEL_UTIL_H
#define MF_KERNEL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "mf_kernel.h"
#include "mf_status.h"
#include "mf_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Highest tensor rank the shape helpers accept. */
#define MF_MAX_RANK 8

/* ---- Node and tensor checks (they record the error text) ---- */

/* Fails unless the node has min_inputs..max_inputs inputs and `outputs`
 * outputs, and every required input and output is present. */
mf_status mf_check_io(mf_kernel_ctx *ctx, uint32_t min_inputs, uint32_t max_inputs,
                      uint32_t outputs);

/* 1 when both tensors have the same rank and dims. */
int mf_same_shape(const mf_tensor *a, const mf_tensor *b);

/* Fails with "<what> shape [..], expected [..]" unless `t` has these dims. */
mf_status mf_expect_shape(mf_kernel_ctx *ctx, const mf_tensor *t, const char *what,
                          uint32_t ndims, const int32_t *dims);

/* Product of dims[from..to). */
size_t mf_dims_product(const int32_t *dims, uint32_t from, uint32_t to);

/* Row-major strides of t's dims in units of `unit` bytes (1 for bytes of
 * int8, or 1 with unit = 1 for element strides). Returns 1 when filled; 0
 * when t is empty (strides all 0) or when its size in units exceeds INT32_MAX.
 * Safe for empty tensors whose other dims are huge. */
int mf_strides(const mf_tensor *t, size_t unit, int32_t *strides);

/* Maps an axis in [-rank, rank) to [0, rank); 0 when out of range. */
int mf_resolve_axis(int32_t axis, uint32_t rank, uint32_t *resolved);

/* The element data of a constant int32 tensor (an operand such as a shape,
 * axis or permutation). Fails unless `t` is constant and int32. */
mf_status mf_const_i32(mf_kernel_ctx *ctx, const mf_tensor *t, const char *what,
                       const int32_t **data, uint32_t *count);

/* Per-tensor quantization of input (is_output 0) or output `index`: fails
 * unless it has exactly one positive, finite scale. */
mf_status mf_tensor_qparams(mf_kernel_ctx *ctx, int is_output, uint32_t index, float *scale,
                            int32_t *zero_point);

/* 1 for the dtypes stored as plain 1, 2, 4 or 8 byte elements that copying
 * kernels move unchanged (int8/16/32/64, uint8/16/32/64, float16/32/64, bool). */
int mf_dtype_is_plain(mf_dtype dtype);

/* a + b with two's complement wrap-around instead of undefined overflow. */
static inline int32_t mf_add_wrap(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* Fills `count` elements of `esize` bytes (1, 2, 4 or 8) with *value. */
void mf_fill(void *dst, const void *value, size_t esize, size_t count);

/* ---- Broadcasting binary ops ----
 * An op computes rows: `n` outputs from `a` and `b`, where in mode
 * MF_ROW_A_SCALAR a[0] is used for every output, in MF_ROW_B_SCALAR b[0],
 * and in MF_ROW_BOTH both advance. */
enum { MF_ROW_BOTH = 0, MF_ROW_A_SCALAR = 1, MF_ROW_B_SCALAR = 2 };

typedef void (*mf_row_fn)(const void *a, const void *b, void *out, uint32_t n, uint32_t mode,
                          const void *params);

/* The result of analysing a broadcast in prepare (a stack object). */
typedef struct mf_broadcast_info {
  uint32_t rank;   /* fused loops, >= 1 */
  uint32_t mode;   /* row mode of the innermost loop */
  uint32_t count;  /* output elements */
  uint32_t dims[MF_MAX_RANK];
  int32_t a_inc[MF_MAX_RANK]; /* pointer increments when loop d (>= 1) advances */
  int32_t b_inc[MF_MAX_RANK];
} mf_broadcast_info;

/* A stored plan for shapes that need more than one row loop. */
typedef struct mf_broadcast {
  uint16_t rank;
  uint16_t mode;
  /* followed by dims[rank], a_inc[rank], b_inc[rank] (32-bit each) */
} mf_broadcast;

/* Validates that `out` has the broadcast shape of `a` and `b` (numpy rules,
 * rank <= MF_MAX_RANK) and fuses the loops. `esize` is the input element size. */
mf_status mf_broadcast_analyze(mf_kernel_ctx *ctx, const mf_tensor *a, const mf_tensor *b,
                               const mf_tensor *out, size_t esize, mf_broadcast_info *info);

/* Allocates and stores the plan when info->rank > 1; *plan is NULL when one
 * row covers the whole output. MF_ERR_ARENA_TOO_SMALL when the arena is short. */
mf_status mf_broadcast_store(mf_kernel_ctx *ctx, const mf_broadcast_info *info,
                             const mf_broadcast **plan);

/* Runs `row` over every row of a stored plan. */
void mf_broadcast_run(const mf_broadcast *plan, const void *a, const void *b, void *out,
                      size_t out_esize, mf_row_fn row, const void *params);

/* ---- Same-dtype binary ops on raw values (MAXIMUM, MINIMUM) ----
 * One row function per dtype; NULL marks a dtype the op does not take. */
typedef struct mf_raw_binary_rows {
  mf_row_fn f32, i8, i16, i32, i64;
} mf_raw_binary_rows;

/* Checks two inputs and one output of one dtype, plans the broadcast and
 * stores the row function for invoke. */
mf_status mf_raw_binary_prepare(mf_kernel_ctx *ctx, const mf_raw_binary_rows *rows);
mf_status mf_raw_binary_invoke(mf_kernel_ctx *ctx);

/* Defines a row function applying EXPR(x, y) elementwise to elements of T. */
#define MF_RAW_BINARY_ROW(NAME, T, EXPR)                                                \
  static void NAME(const void *pa, const void *pb, void *po, uint32_t n, uint32_t mode, \
                   const void *params) {                                                \
    (void)params;                                                                       \
    const T *a = (const T *)pa;                                                         \
    const T *b = (const T *)pb;                                                         \
    T *o = (T *)po;                                                                     \
    if (mode == MF_ROW_A_SCALAR) {                                                      \
      const T x = a[0];                                                                 \
      for (uint32_t i = 0; i < n; ++i) o[i] = EXPR(x, b[i]);                            \
    } else if (mode == MF_ROW_B_SCALAR) {                                               \
      const T y = b[0];                                                                 \
      for (uint32_t i = 0; i < n; ++i) o[i] = EXPR(a[i], y);                            \
    } else {                                                                            \
      for (uint32_t i = 0; i < n; ++i) o[i] = EXPR(a[i], b[i]);                         \
    }                                                                                   \
  }

/* ---- Strided copies (transpose, slices) ----
 * A gather reads dims[0] x dims[1] x ... elements of `esize` bytes from
 * src + base, stepping step[d] bytes along loop d, and writes them densely. */
typedef struct mf_gather_info {
  uint32_t rank;
  uint32_t esize;
  int32_t base;
  uint32_t dims[MF_MAX_RANK];
  int32_t step[MF_MAX_RANK];
} mf_gather_info;

typedef struct mf_gather {
  uint16_t rank;
  uint16_t esize;
  int32_t base;
  uint32_t row_bytes; /* dims[0] * esize when loop 0 is contiguous, else 0 */
  /* followed by dims[rank], step0, inc[rank] (32-bit each) */
} mf_gather;

/* Drops unit loops and fuses contiguous ones. Fails when a byte offset could
 * exceed int32 range. */
mf_status mf_gather_optimize(mf_kernel_ctx *ctx, mf_gather_info *info);
mf_status mf_gather_store(mf_kernel_ctx *ctx, const mf_gather_info *info, const mf_gather **plan);
void mf_gather_run(const mf_gather *plan, const void *src, void *dst);

/* ---- Padded copies (PAD, PADV2) ----
 * dims, before and after are in elements, outermost dimension first. */
typedef struct mf_pad_info {
  uint32_t rank;
  uint32_t esize;
  uint32_t dims[MF_MAX_RANK]; /* input dims */
  uint32_t before[MF_MAX_RANK];
  uint32_t after[MF_MAX_RANK];
} mf_pad_info;

typedef struct mf_pad {
  uint16_t rank;
  uint16_t esize;
  /* followed by dims[rank], before[rank], after[rank], block[rank] (32-bit):
   * block[d] is the output elements of one index along dim d */
} mf_pad;

/* Merges unpadded inner dims and stores the plan. */
mf_status mf_pad_store(mf_kernel_ctx *ctx, const mf_pad_info *info, const mf_pad **plan);
/* Writes the padded copy of src to dst, padding with *value (esize bytes). */
void mf_pad_run(const mf_pad *plan, const void *src, void *dst, const void *value);

/* The whole PAD / PADV2 node: input, int32 paddings [rank, 2] (constant),
 * optional scalar constant_values. Without constant_values int8 and uint8
 * pad with the output zero point, other dtypes with 0 (as TFLite Micro). */
mf_status mf_pad_node_prepare(mf_kernel_ctx *ctx);
mf_status mf_pad_node_invoke(mf_kernel_ctx *ctx);

/* ---- Convolution and pooling geometry ---- */

typedef struct mf_padding_dim {
  int32_t out;    /* output size */
  int32_t pad;    /* padding before the first element */
  int32_t offset; /* 1 when the total padding is odd (the extra goes after) */
} mf_padding_dim;

/* TFLite's output size and padding for one spatial dimension with
 * MF_PADDING_SAME or MF_PADDING_VALID. MF_ERR_INVALID_ARG for a non-positive
 * stride, dilation or filter, a negative input, an unknown padding, an empty
 * output, or values whose arithmetic would overflow. */
mf_status mf_compute_padding(uint32_t padding, int32_t in_size, int32_t filter_size,
                             int32_t stride, int32_t dilation, mf_padding_dim *result);

#ifdef __cplusplus
}
#endif

#endif
