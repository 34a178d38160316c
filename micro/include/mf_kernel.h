/* The interface between the interpreter and op kernels.
 *
 * A kernel is an mf_op_registration. The interpreter calls, per node:
 *   init     once, after the model is mapped (optional)
 *   prepare  once, before memory planning: validate tensors and options,
 *            allocate op data, request a scratch buffer (optional)
 *   invoke   on every mf_interpreter_invoke()
 *   free     when the interpreter is reset (optional)
 *
 * Allocation rule: in prepare, make every request first (persistent
 * allocations, the scratch request, output dims) and check the results
 * after. When the arena is short, allocations return NULL but still record
 * their size, so the interpreter can report the exact bytes needed; return
 * MF_ERR_ARENA_TOO_SMALL then. (If an output shape cannot be stored for lack
 * of arena, the reported size is marked as an estimate.) */
#ifndef MF_KERNEL_H
#define MF_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "mf_status.h"
#include "mf_types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mf_interpreter;
struct mf_node;

typedef struct mf_kernel_ctx {
  struct mf_interpreter *interp;
  struct mf_node *node;
  uint32_t node_index;
} mf_kernel_ctx;

typedef struct mf_op_registration {
  int32_t builtin_code;  /* TFLite BuiltinOperator; MF_CUSTOM_OP for custom ops */
  uint8_t max_version;   /* versions 1..max_version are supported */
  const char *name;      /* "CONV_2D", or the custom op's code */
  mf_status (*init)(mf_kernel_ctx *ctx);
  mf_status (*prepare)(mf_kernel_ctx *ctx);
  mf_status (*invoke)(mf_kernel_ctx *ctx);
  void (*free)(mf_kernel_ctx *ctx);
} mf_op_registration;

#define MF_CUSTOM_OP 32 /* BuiltinOperator_CUSTOM */

/* Node inputs and outputs. A missing optional tensor (index -1) is NULL. */
uint32_t mf_num_inputs(const mf_kernel_ctx *ctx);
uint32_t mf_num_outputs(const mf_kernel_ctx *ctx);
mf_tensor *mf_input(const mf_kernel_ctx *ctx, uint32_t i);
mf_tensor *mf_output(const mf_kernel_ctx *ctx, uint32_t i);
/* Quantization of an input or output, read from the model (use in prepare). */
mf_status mf_input_quant(const mf_kernel_ctx *ctx, uint32_t i, mf_quant *quant);
mf_status mf_output_quant(const mf_kernel_ctx *ctx, uint32_t i, mf_quant *quant);

/* The op version from the model's OperatorCode. */
uint32_t mf_op_version(const mf_kernel_ctx *ctx);

/* Builtin options (the Operator's builtin_options table). `field` is the
 * schema field number (0 for the first field). Absent fields or an absent
 * table give `dflt`. Reads are bounds-checked against the model. */
uint8_t mf_options_type(const mf_kernel_ctx *ctx);
uint8_t mf_option_u8(const mf_kernel_ctx *ctx, uint32_t field, uint8_t dflt);
int32_t mf_option_i32(const mf_kernel_ctx *ctx, uint32_t field, int32_t dflt);
float mf_option_f32(const mf_kernel_ctx *ctx, uint32_t field, float dflt);
/* A vector of int32 in the options; returns its length and sets *data to
 * the elements (in the model, 4-byte aligned), or 0 and NULL when absent. */
uint32_t mf_option_i32_vector(const mf_kernel_ctx *ctx, uint32_t field, const int32_t **data);
/* Custom op options (raw bytes), for custom kernels. */
const uint8_t *mf_custom_options(const mf_kernel_ctx *ctx, size_t *size);

/* Memory. Persistent allocations live as long as the interpreter. */
void *mf_alloc_persistent(mf_kernel_ctx *ctx, size_t bytes);
void *mf_op_data(const mf_kernel_ctx *ctx);
void mf_set_op_data(mf_kernel_ctx *ctx, void *data);
/* One scratch buffer per node, requested in prepare, valid during invoke. */
mf_status mf_request_scratch(mf_kernel_ctx *ctx, size_t bytes);
void *mf_scratch(const mf_kernel_ctx *ctx);
/* Asks that output `output` share input `input`'s memory (in prepare, once
 * the output's shape is final). The planner grants it only when it is safe:
 * both are activations of the same dtype and size, no later node reads the
 * input and it is not a graph output (so its bytes are dead once this node
 * has run), and a graph input does not end up sharing with a graph output.
 * The kernel must then skip its copy when the two data pointers are equal. */
void mf_request_alias(mf_kernel_ctx *ctx, uint32_t output, uint32_t input);
/* Replaces an output's shape (in prepare, before planning). */
mf_status mf_set_output_dims(mf_kernel_ctx *ctx, uint32_t i, uint32_t ndims, const int32_t *dims);

/* Records "node N OPNAME: <message>" as the interpreter's error, logs it and
 * returns MF_ERR_KERNEL (a NULL fmt reads as "error"). */
mf_status mf_kernel_error(mf_kernel_ctx *ctx, const char *fmt, ...);

/* Fails the kernel with the text of the condition when it does not hold. */
#define MF_ENSURE(ctx, cond)                                   \
  do {                                                         \
    if (!(cond)) return mf_kernel_error((ctx), "%s", #cond);   \
  } while (0)

/* Fails unless a tensor is present and has the given dtype. */
#define MF_ENSURE_TYPE(ctx, tensor, type)                                          \
  do {                                                                             \
    if ((tensor) == NULL) return mf_kernel_error((ctx), "missing tensor");        \
    if ((tensor)->dtype != (type))                                                 \
      return mf_kernel_error((ctx), "%s tensor, expected %s",                     \
                             mf_dtype_name((mf_dtype)(tensor)->dtype),             \
                             mf_dtype_name(type));                                 \
  } while (0)

#ifdef __cplusplus
}
#endif

#endif
