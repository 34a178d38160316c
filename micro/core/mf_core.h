/* Private to micro/core: flatbuffer reads shared by the verifier, the
 * interpreter and the kernel accessors. Kernels do not include this. */
#ifndef MF_CORE_H
#define MF_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mf_interpreter.h"
#include "mf_model.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "microforge reads TFLite flatbuffers in place and needs a little-endian target"
#endif

/* Keeps a helper shared by several small callers out of line (gcc and clang
 * otherwise copy it into each, which costs code size). */
#if defined(__GNUC__)
#define MF_NOINLINE __attribute__((noinline))
#else
#define MF_NOINLINE
#endif

/* Limits the verifier enforces. */
#define MF_MAX_DIMS 8u
#define MF_MAX_COUNT 0xFFFEu               /* tensors, operators, opcodes per model */
#define MF_MAX_TENSOR_BYTES 0x40000000u    /* 1 GiB: sums of a few stay in 32 bits */

/* Field position results below this value mean "absent"; MF_FIELD_BAD
 * marks a malformed table or field. Real positions are >= 12. */
#define MF_FIELD_BAD 1u

/* Internal tensor flags (above the public MF_TENSOR_* bits). */
#define MF_TENSOR_INPUT 0x100u    /* a graph input */
#define MF_TENSOR_ALIAS 0x400u    /* shares its group root's buffer; data holds the root
                                     index until the plan is done */

/* Schema field numbers. */
enum {
  MF_F_MODEL_VERSION = 0, MF_F_MODEL_OPCODES = 1, MF_F_MODEL_SUBGRAPHS = 2,
  MF_F_MODEL_BUFFERS = 4, MF_F_MODEL_METADATA = 6,
  MF_F_OPCODE_DEPRECATED = 0, MF_F_OPCODE_CUSTOM = 1, MF_F_OPCODE_VERSION = 2,
  MF_F_OPCODE_BUILTIN = 3,
  MF_F_SUBGRAPH_TENSORS = 0, MF_F_SUBGRAPH_INPUTS = 1, MF_F_SUBGRAPH_OUTPUTS = 2,
  MF_F_SUBGRAPH_OPERATORS = 3,
  MF_F_TENSOR_SHAPE = 0, MF_F_TENSOR_TYPE = 1, MF_F_TENSOR_BUFFER = 2, MF_F_TENSOR_NAME = 3,
  MF_F_TENSOR_QUANT = 4, MF_F_TENSOR_VARIABLE = 5, MF_F_TENSOR_SPARSITY = 6,
  MF_F_QUANT_SCALE = 2, MF_F_QUANT_ZERO_POINT = 3, MF_F_QUANT_DIMENSION = 6,
  MF_F_OP_OPCODE = 0, MF_F_OP_INPUTS = 1, MF_F_OP_OUTPUTS = 2, MF_F_OP_OPTIONS_TYPE = 3,
  MF_F_OP_OPTIONS = 4, MF_F_OP_CUSTOM_OPTIONS = 5, MF_F_OP_OPTIONS2_TYPE = 11,
  MF_F_OP_OPTIONS2 = 12,
  MF_F_BUFFER_DATA = 0, MF_F_BUFFER_OFFSET = 1, MF_F_BUFFER_SIZE = 2,
  MF_F_METADATA_NAME = 0, MF_F_METADATA_BUFFER = 1
};

static inline uint32_t mf_rd_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline uint16_t mf_rd_u16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Position of `field` (of `width` bytes) of the table at `table`: 0 when
 * absent, MF_FIELD_BAD when the table or the field is out of bounds. */
uint32_t mf_fb_field(const mf_model *m, uint32_t table, uint32_t field, uint32_t width);
/* Scalar fields; `dflt` when absent or malformed. */
uint32_t mf_fb_u32(const mf_model *m, uint32_t table, uint32_t field, uint32_t dflt);
uint8_t mf_fb_u8(const mf_model *m, uint32_t table, uint32_t field, uint8_t dflt);
/* Target of an offset field (a table, vector or string): 0 when absent,
 * MF_FIELD_BAD when out of bounds or misaligned. */
uint32_t mf_fb_ref(const mf_model *m, uint32_t table, uint32_t field);
/* A vector field: its position (the length word) and length; elements of
 * `elem` bytes are in bounds. 0 when absent, MF_FIELD_BAD when malformed. */
uint32_t mf_fb_vector(const mf_model *m, uint32_t table, uint32_t field, uint32_t elem,
                      uint32_t *len);
/* Element i of a verified vector of tables, 0 when malformed. */
uint32_t mf_fb_table_at(const mf_model *m, uint32_t vec, uint32_t i);
/* Element i of an int32 vector. */
static inline int32_t mf_fb_i32_at(const mf_model *m, uint32_t vec, uint32_t i) {
  return (int32_t)mf_rd_u32(m->data + vec + 4u + 4u * i);
}

/* Tensor table `i` of subgraph 0 (verified). */
static inline uint32_t mf_model_tensor(const mf_model *m, uint32_t i) {
  return mf_fb_table_at(m, m->vec[MF_VEC_TENSORS], i);
}
/* Constant data of a buffer (either form); NULL when empty. *size is the
 * byte count, UINT32_MAX when the offset/size form points outside the model. */
const uint8_t *mf_model_buffer(const mf_model *m, uint32_t buffer, uint32_t *size);
/* The OperatorCode's effective builtin code, version and custom name. */
int32_t mf_model_op_code(const mf_model *m, uint32_t opcode, uint32_t *version,
                         const char **custom_name);
/* Tensor `i` as the interpreter keeps it: dims and dtype from the model,
 * constant data, flags (constant, variable, graph input). */
void mf_model_tensor_load(const mf_model *m, uint32_t i, mf_tensor *tensor);
/* Quantization of tensor `i` (verified at map time); 0 when the scale and
 * zero point counts differ (then it reads as not quantized). */
int mf_model_tensor_quant(const mf_model *m, uint32_t i, mf_quant *quant);
/* Name of tensor `i`, "" when absent. */
const char *mf_model_tensor_name(const mf_model *m, uint32_t i);

/* Interpreter internals shared with the planner and the kernel API. */
/* MF_STATE_INITIALIZING and MF_STATE_PREPARING (from it on): kernels may
 * allocate; aliases are requested in prepare only, once shapes are final. */
enum { MF_STATE_BOUND, MF_STATE_READY, MF_STATE_FAILED, MF_STATE_INITIALIZING, MF_STATE_PREPARING };
#define MF_ARENA_ALIGN 8u
#define MF_BASE_ALIGN (sizeof(void *) > 4u ? (uint32_t)sizeof(void *) : 4u)

/* Bytes of a shape of `elem`-byte elements; MF_BAD_SHAPE when a dim is
 * negative, the rank is above MF_MAX_DIMS or the bytes pass
 * MF_MAX_TENSOR_BYTES. */
#define MF_BAD_SHAPE 0xFFFFFFFFu
uint32_t mf_shape_bytes(const int32_t *dims, uint32_t ndims, uint32_t elem);
/* Buffer alignment for a dtype in the planned area. */
uint32_t mf_dtype_align(uint8_t dtype);
/* Name of an op for messages: the registration's, else the name table's
 * (MF_OP_NAMES), else NULL. */
const char *mf_op_name(int32_t builtin_code);
/* The core's error texts: code, status, text. */
#define MF_CORE_ERRORS(X) \
  X(E_MODEL_NULL, MF_ERR_MODEL_INVALID, "model data is NULL") \
  X(E_MODEL_ALIGN, MF_ERR_INVALID_ARG, "model data must be 4-byte aligned") \
  X(E_MODEL_SIZE, MF_ERR_MODEL_INVALID, "model size %u is out of range") \
  X(E_IDENTIFIER, MF_ERR_MODEL_INVALID, "file identifier is not TFL3") \
  X(E_TABLE, MF_ERR_MODEL_INVALID, "%s %u: table out of bounds") \
  X(E_FIELD, MF_ERR_MODEL_INVALID, "%s %u: field %u out of bounds") \
  X(E_INDEX, MF_ERR_MODEL_INVALID, "%s %u: %s %u out of range") \
  X(E_COUNT, MF_ERR_MODEL_INVALID, "%s %u: %u entries, at most 65534 supported") \
  X(E_TENSOR_INDEX, MF_ERR_MODEL_INVALID, "%s %u: %s %u is tensor %d, out of range") \
  X(E_INPUT_CONSTANT, MF_ERR_MODEL_INVALID, "graph input %u (tensor %d) is a constant") \
  X(E_DTYPE, MF_ERR_MODEL_INVALID, "tensor %u: dtype %s (%u) not supported") \
  X(E_SHAPE, MF_ERR_MODEL_INVALID, "tensor %u: shape has a negative dim, rank > 8 or over 1 GiB") \
  X(E_SPARSITY, MF_ERR_MODEL_INVALID, "tensor %u: sparsity not supported") \
  X(E_BUFFER_BOUNDS, MF_ERR_MODEL_INVALID, "buffer %u: offset/size out of bounds") \
  X(E_BUFFER_SIZE, MF_ERR_MODEL_INVALID, "tensor %u: buffer %u holds %u bytes, shape needs %u") \
  X(E_BUFFER_ALIGN, MF_ERR_MODEL_INVALID, "tensor %u: data misaligned for %s") \
  X(E_ZERO_POINTS, MF_ERR_MODEL_INVALID, "tensor %u: scale and zero point counts differ") \
  X(E_SCALES, MF_ERR_MODEL_INVALID, "tensor %u: %u scales do not match dim %u") \
  X(E_READ_EARLY, MF_ERR_MODEL_INVALID, "node %u: input %u (tensor %d) is read before it is written") \
  X(E_WRITE_TWICE, MF_ERR_MODEL_INVALID, "node %u: output %u (tensor %d) is read-only or written twice") \
  X(E_OFFLINE_PLAN, MF_ERR_MODEL_INVALID, "metadata %u: bad OfflineMemoryAllocation") \
  X(E_VERSION, MF_ERR_MODEL_INVALID, "schema version %u, expected 3") \
  X(E_NO_SUBGRAPH, MF_ERR_MODEL_INVALID, "model has no subgraph") \
  X(E_OPCODE, MF_ERR_MODEL_INVALID, "opcode %u: code %d version %d is invalid") \
  X(E_NOT_MAPPED, MF_ERR_INVALID_ARG, "model is not mapped") \
  X(E_NO_RESOLVER, MF_ERR_INVALID_ARG, "resolver is NULL") \
  X(E_NO_ARENA, MF_ERR_INVALID_ARG, "arena is NULL") \
  X(E_OP_NUMBER, MF_ERR_OP_UNSUPPORTED, "node %u: op #%d is not registered") \
  X(E_OP_NAME, MF_ERR_OP_UNSUPPORTED, "node %u: op %s is not registered") \
  X(E_OP_VERSION, MF_ERR_OP_UNSUPPORTED, "node %u: op %s version %u is not supported (max %u)") \
  X(E_NODE_FAILED, MF_ERR_KERNEL, "node %u %s: %s failed (%s)") \
  X(E_ARENA, MF_ERR_ARENA_TOO_SMALL, "arena too small: %s%zu bytes needed, %zu given%s") \
  X(E_NOT_INITIALISED, MF_ERR_STATE, "interpreter is not initialised") \
  X(E_NOT_READY, MF_ERR_STATE, "%s before a successful allocate") \
  X(E_OFFLINE_OFFSET, MF_ERR_MODEL_INVALID, "tensor %u: offline offset %d is misaligned or too large") \
  X(E_TOO_LARGE, MF_ERR_MODEL_INVALID, "activations need more than 2 GiB")
enum {
#define MF_ERROR_CODE(code, status, text) code,
  MF_CORE_ERRORS(MF_ERROR_CODE)
#undef MF_ERROR_CODE
};
/* Formats error `code` with its arguments into `error` (MF_ERROR_LEN bytes)
 * and returns its status. With MF_STRIP_LOGS the texts and the arguments are
 * dropped at compile time and the text is the status name. */
mf_status mf_error(char *error, uint32_t code, ...);
#ifdef MF_STRIP_LOGS
#define mf_error(error, code, ...) (mf_error)((error), (code))
#endif
/* Records error `code` in the interpreter and returns its status. */
#define mf_interp_fail(it, ...) mf_error((it)->error, __VA_ARGS__)
/* Persistent (tail) allocation with the counting rule of mf_kernel.h. */
void *mf_interp_alloc_tail(mf_interpreter *it, size_t bytes, uint32_t align);
/* Plans activations and scratch; sets it->head. */
mf_status mf_plan(mf_interpreter *it);
/* Makes tensor `out` (written by `node`) an alias of tensor `in` when that is safe: both
 * planned activations of the same dtype and size, `in` read by no later node
 * and not a graph output, no graph input sharing with a graph output, no
 * offline plan. The planner then places the group as one buffer. */
void mf_plan_alias(mf_interpreter *it, uint32_t node, uint32_t in, uint32_t out);

#endif
