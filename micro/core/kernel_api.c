/* The accessors of mf_kernel.h. Model reads are bounds-checked again. */
#include <stdarg.h>
#include <string.h>

#include "mf_core.h"
#include "mf_kernel.h"
#include "mf_log.h"

static const mf_model *model_of(const mf_kernel_ctx *ctx) { return ctx->interp->model; }

/* Inputs (which = 0) or outputs (1) of the node. */
static uint32_t io_count(const mf_kernel_ctx *ctx, uint32_t which) {
  uint32_t vec = ctx->node->io[which];
  return vec != 0u ? mf_rd_u32(model_of(ctx)->data + vec) : 0u;
}

/* Tensor index of entry i, -1 when absent. */
static int32_t io_index(const mf_kernel_ctx *ctx, uint32_t which, uint32_t i) {
  return i < io_count(ctx, which) ? mf_fb_i32_at(model_of(ctx), ctx->node->io[which], i) : -1;
}

MF_NOINLINE static mf_tensor *io_tensor(const mf_kernel_ctx *ctx, uint32_t which, uint32_t i) {
  int32_t index = io_index(ctx, which, i);
  return index >= 0 ? &ctx->interp->tensors[index] : NULL;
}

uint32_t mf_num_inputs(const mf_kernel_ctx *ctx) { return io_count(ctx, 0); }

uint32_t mf_num_outputs(const mf_kernel_ctx *ctx) { return io_count(ctx, 1); }

mf_tensor *mf_input(const mf_kernel_ctx *ctx, uint32_t i) { return io_tensor(ctx, 0, i); }

mf_tensor *mf_output(const mf_kernel_ctx *ctx, uint32_t i) { return io_tensor(ctx, 1, i); }

static mf_status quant_of(const mf_kernel_ctx *ctx, uint32_t which, uint32_t i, mf_quant *quant) {
  int32_t index = io_index(ctx, which, i);
  memset(quant, 0, sizeof *quant);
  if (index < 0) return MF_ERR_INVALID_ARG;
  mf_model_tensor_quant(model_of(ctx), (uint32_t)index, quant);
  return MF_OK;
}

mf_status mf_input_quant(const mf_kernel_ctx *ctx, uint32_t i, mf_quant *quant) {
  return quant_of(ctx, 0, i, quant);
}

mf_status mf_output_quant(const mf_kernel_ctx *ctx, uint32_t i, mf_quant *quant) {
  return quant_of(ctx, 1, i, quant);
}

uint32_t mf_op_version(const mf_kernel_ctx *ctx) {
  const mf_model *m = model_of(ctx);
  uint32_t version;
  const char *custom;
  mf_model_op_code(m, mf_fb_u32(m, ctx->node->op, MF_F_OP_OPCODE, 0), &version, &custom);
  return version;
}

/* The builtin options table (absent or malformed: the reads give defaults). */
static uint32_t options(const mf_kernel_ctx *ctx) {
  return mf_fb_ref(model_of(ctx), ctx->node->op, MF_F_OP_OPTIONS);
}

uint8_t mf_options_type(const mf_kernel_ctx *ctx) {
  return mf_fb_u8(model_of(ctx), ctx->node->op, MF_F_OP_OPTIONS_TYPE, 0);
}

uint8_t mf_option_u8(const mf_kernel_ctx *ctx, uint32_t field, uint8_t dflt) {
  return mf_fb_u8(model_of(ctx), options(ctx), field, dflt);
}

int32_t mf_option_i32(const mf_kernel_ctx *ctx, uint32_t field, int32_t dflt) {
  return (int32_t)mf_fb_u32(model_of(ctx), options(ctx), field, (uint32_t)dflt);
}

float mf_option_f32(const mf_kernel_ctx *ctx, uint32_t field, float dflt) {
  uint32_t bits;
  memcpy(&bits, &dflt, sizeof bits);
  bits = mf_fb_u32(model_of(ctx), options(ctx), field, bits);
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

/* A vector field of `elem` bytes: its elements and length (NULL, 0 when
 * absent or malformed). */
MF_NOINLINE static const uint8_t *vector_of(const mf_kernel_ctx *ctx, uint32_t table, uint32_t field,
                                uint32_t elem, uint32_t *len) {
  uint32_t vec = mf_fb_vector(model_of(ctx), table, field, elem, len);
  return *len != 0u ? model_of(ctx)->data + vec + 4u : NULL;
}

uint32_t mf_option_i32_vector(const mf_kernel_ctx *ctx, uint32_t field, const int32_t **data) {
  uint32_t len;
  const uint8_t *elements = vector_of(ctx, options(ctx), field, 4, &len);
  if (data != NULL) *data = (const int32_t *)(const void *)elements;
  return len;
}

const uint8_t *mf_custom_options(const mf_kernel_ctx *ctx, size_t *size) {
  uint32_t len;
  const uint8_t *bytes = vector_of(ctx, ctx->node->op, MF_F_OP_CUSTOM_OPTIONS, 1, &len);
  if (size != NULL) *size = len;
  return bytes;
}

void *mf_alloc_persistent(mf_kernel_ctx *ctx, size_t bytes) {
  if (ctx->interp->state < MF_STATE_INITIALIZING) return NULL;
  return mf_interp_alloc_tail(ctx->interp, bytes, MF_ARENA_ALIGN);
}

void *mf_op_data(const mf_kernel_ctx *ctx) { return ctx->node->op_data; }

void mf_set_op_data(mf_kernel_ctx *ctx, void *data) { ctx->node->op_data = data; }

mf_status mf_request_scratch(mf_kernel_ctx *ctx, size_t bytes) {
  if (ctx->interp->state < MF_STATE_INITIALIZING) return mf_kernel_error(ctx, "called outside prepare");
  if (bytes > MF_MAX_TENSOR_BYTES) return mf_kernel_error(ctx, "scratch of %zu bytes is too large", bytes);
  ctx->node->scratch_bytes = (uint32_t)bytes;
  return MF_OK;
}

void *mf_scratch(const mf_kernel_ctx *ctx) { return ctx->node->scratch_bytes != 0u ? ctx->node->scratch : NULL; }

void mf_request_alias(mf_kernel_ctx *ctx, uint32_t output, uint32_t input) {
  int32_t in = io_index(ctx, 0, input), out = io_index(ctx, 1, output);
  if (ctx->interp->state == MF_STATE_PREPARING && in >= 0 && out >= 0)
    mf_plan_alias(ctx->interp, ctx->node_index, (uint32_t)in, (uint32_t)out);
}

mf_status mf_set_output_dims(mf_kernel_ctx *ctx, uint32_t i, uint32_t ndims, const int32_t *dims) {
  mf_tensor *t = mf_output(ctx, i);
  if (ctx->interp->state < MF_STATE_INITIALIZING || t == NULL ||
      (t->flags & (MF_TENSOR_CONSTANT | MF_TENSOR_VARIABLE)) != 0u || (ndims > 0u && dims == NULL) ||
      mf_shape_bytes(dims, ndims, (uint32_t)mf_dtype_size((mf_dtype)t->dtype)) == MF_BAD_SHAPE)
    return mf_kernel_error(ctx, "output %u: cannot set this shape (in prepare only)", i);
  if (t->ndims == ndims && (ndims == 0u || memcmp(t->dims, dims, ndims * sizeof *dims) == 0))
    return MF_OK;
  int32_t *copy = mf_interp_alloc_tail(ctx->interp, ndims * sizeof *dims, 4u);
  if (copy == NULL) {
    ctx->interp->needed_kind = MF_NEED_ESTIMATE;
    return MF_ERR_ARENA_TOO_SMALL;
  }
  if (ndims > 0u) memcpy(copy, dims, ndims * sizeof *dims);
  t->dims = copy;
  t->ndims = (uint8_t)ndims;
  /* a new shape ends an alias requested before it */
  t->flags = (uint16_t)((t->flags | MF_TENSOR_DIMS_OWNED) & ~MF_TENSOR_ALIAS);
  return MF_OK;
}

mf_status mf_kernel_error(mf_kernel_ctx *ctx, const char *fmt, ...) {
  mf_interpreter *it = ctx->interp;
  size_t len = mf_format(it->error, sizeof it->error, "node %u %s: ", ctx->node_index, ctx->node->reg->name);
  va_list args;
  va_start(args, fmt);
  mf_vformat(it->error + len, sizeof it->error - len, fmt != NULL ? fmt : "error", args);
  va_end(args);
  mf_log("%s", it->error);
  return MF_ERR_KERNEL;
}
