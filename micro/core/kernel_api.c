/* The accessors of mf_kernel.h. Model reads are bounds-checked again. */
#include <stdarg.h>
#include <string.h>

#include "mf_core.h"
#include "mf_kernel.h"
#include "mf_log.h"

static const mf_model *model_of(const mf_kernel_ctx *ctx) { return ctx->interp->model; }

static uint32_t io_count(const mf_kernel_ctx *ctx, uint32_t vec) {
  return vec != 0u ? mf_rd_u32(model_of(ctx)->data + vec) : 0u;
}

/* Tensor index of entry i of an io vector, -1 when absent. */
static int32_t io_index(const mf_kernel_ctx *ctx, uint32_t vec, uint32_t i) {
  if (i >= io_count(ctx, vec)) return -1;
  int32_t index = mf_fb_i32_at(model_of(ctx), vec, i);
  return (uint32_t)index < ctx->interp->tensor_count ? index : -1;
}

uint32_t mf_num_inputs(const mf_kernel_ctx *ctx) { return io_count(ctx, ctx->node->inputs); }

uint32_t mf_num_outputs(const mf_kernel_ctx *ctx) { return io_count(ctx, ctx->node->outputs); }

mf_tensor *mf_input(const mf_kernel_ctx *ctx, uint32_t i) {
  int32_t index = io_index(ctx, ctx->node->inputs, i);
  return index >= 0 ? &ctx->interp->tensors[index] : NULL;
}

mf_tensor *mf_output(const mf_kernel_ctx *ctx, uint32_t i) {
  int32_t index = io_index(ctx, ctx->node->outputs, i);
  return index >= 0 ? &ctx->interp->tensors[index] : NULL;
}

static mf_status quant_of(const mf_kernel_ctx *ctx, uint32_t vec, uint32_t i, mf_quant *quant) {
  int32_t index = io_index(ctx, vec, i);
  memset(quant, 0, sizeof *quant);
  if (index < 0) return MF_ERR_INVALID_ARG;
  mf_model_tensor_quant(model_of(ctx), (uint32_t)index, quant);
  return MF_OK;
}

mf_status mf_input_quant(const mf_kernel_ctx *ctx, uint32_t i, mf_quant *quant) {
  return quant_of(ctx, ctx->node->inputs, i, quant);
}

mf_status mf_output_quant(const mf_kernel_ctx *ctx, uint32_t i, mf_quant *quant) {
  return quant_of(ctx, ctx->node->outputs, i, quant);
}

uint32_t mf_op_version(const mf_kernel_ctx *ctx) {
  const mf_model *m = model_of(ctx);
  uint32_t version;
  const char *custom;
  mf_model_op_code(m, mf_fb_u32(m, ctx->node->op, MF_F_OP_OPCODE, 0), &version, &custom);
  return version;
}

/* The builtin options table, 0 when absent. */
static uint32_t options(const mf_kernel_ctx *ctx) {
  uint32_t table = mf_fb_ref(model_of(ctx), ctx->node->op, MF_F_OP_OPTIONS);
  return table > MF_FIELD_BAD ? table : 0u;
}

uint8_t mf_options_type(const mf_kernel_ctx *ctx) {
  return mf_fb_u8(model_of(ctx), ctx->node->op, MF_F_OP_OPTIONS_TYPE, 0);
}

uint8_t mf_option_u8(const mf_kernel_ctx *ctx, uint32_t field, uint8_t dflt) {
  uint32_t table = options(ctx);
  return table != 0u ? mf_fb_u8(model_of(ctx), table, field, dflt) : dflt;
}

int32_t mf_option_i32(const mf_kernel_ctx *ctx, uint32_t field, int32_t dflt) {
  uint32_t table = options(ctx);
  return table != 0u ? (int32_t)mf_fb_u32(model_of(ctx), table, field, (uint32_t)dflt) : dflt;
}

float mf_option_f32(const mf_kernel_ctx *ctx, uint32_t field, float dflt) {
  uint32_t bits;
  memcpy(&bits, &dflt, sizeof bits);
  uint32_t table = options(ctx);
  if (table != 0u) bits = mf_fb_u32(model_of(ctx), table, field, bits);
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

uint32_t mf_option_i32_vector(const mf_kernel_ctx *ctx, uint32_t field, const int32_t **data) {
  uint32_t table = options(ctx), len = 0;
  uint32_t vec = table != 0u ? mf_fb_vector(model_of(ctx), table, field, 4, &len) : 0u;
  if (vec <= MF_FIELD_BAD) len = 0;
  if (data != NULL) *data = len != 0u ? (const int32_t *)(const void *)(model_of(ctx)->data + vec + 4u) : NULL;
  return len;
}

const uint8_t *mf_custom_options(const mf_kernel_ctx *ctx, size_t *size) {
  uint32_t len;
  uint32_t vec = mf_fb_vector(model_of(ctx), ctx->node->op, MF_F_OP_CUSTOM_OPTIONS, 1, &len);
  if (vec <= MF_FIELD_BAD) len = 0;
  if (size != NULL) *size = len;
  return len != 0u ? model_of(ctx)->data + vec + 4u : NULL;
}

void *mf_alloc_persistent(mf_kernel_ctx *ctx, size_t bytes) {
  if (ctx->interp->state != MF_STATE_PREPARING) return NULL;
  return mf_interp_alloc_tail(ctx->interp, bytes, MF_ARENA_ALIGN);
}

void *mf_op_data(const mf_kernel_ctx *ctx) { return ctx->node->op_data; }

void mf_set_op_data(mf_kernel_ctx *ctx, void *data) { ctx->node->op_data = data; }

mf_status mf_request_scratch(mf_kernel_ctx *ctx, size_t bytes) {
  if (ctx->interp->state != MF_STATE_PREPARING) return mf_kernel_error(ctx, "called outside prepare");
  if (bytes > MF_MAX_TENSOR_BYTES) return mf_kernel_error(ctx, "scratch of %zu bytes is too large", bytes);
  ctx->node->scratch_bytes = (uint32_t)bytes;
  return MF_OK;
}

void *mf_scratch(const mf_kernel_ctx *ctx) {
  const mf_node *node = ctx->node;
  return node->scratch_bytes != 0u ? ctx->interp->base + node->scratch_offset : NULL;
}

mf_status mf_set_output_dims(mf_kernel_ctx *ctx, uint32_t i, uint32_t ndims, const int32_t *dims) {
  mf_tensor *t = mf_output(ctx, i);
  if (ctx->interp->state != MF_STATE_PREPARING) return mf_kernel_error(ctx, "called outside prepare");
  size_t bytes = t != NULL ? mf_dtype_size((mf_dtype)t->dtype) : 0u;
  int bad = t == NULL || (t->flags & (MF_TENSOR_CONSTANT | MF_TENSOR_VARIABLE)) != 0u ||
            ndims > MF_MAX_DIMS || (ndims > 0u && dims == NULL);
  for (uint32_t d = 0; !bad && d < ndims; d++) {
    bad = dims[d] < 0 || (dims[d] != 0 && bytes > MF_MAX_TENSOR_BYTES / (uint32_t)dims[d]);
    bytes *= (uint32_t)dims[d];
  }
  if (bad) return mf_kernel_error(ctx, "output %u: cannot set this shape", i);
  if (t->ndims == ndims && (ndims == 0u || memcmp(t->dims, dims, ndims * sizeof *dims) == 0))
    return MF_OK;
  int32_t *copy = (int32_t *)(uintptr_t)t->dims;
  if ((t->flags & MF_TENSOR_DIMS_OWNED) == 0u || t->ndims < ndims) {
    copy = mf_interp_alloc_tail(ctx->interp, ndims * sizeof *dims, 4u);
    if (copy == NULL) {
      ctx->interp->needed_kind = MF_NEED_ESTIMATE;
      return MF_ERR_ARENA_TOO_SMALL;
    }
  }
  if (ndims > 0u) memcpy(copy, dims, ndims * sizeof *dims);
  t->dims = copy;
  t->ndims = (uint8_t)ndims;
  t->flags |= MF_TENSOR_DIMS_OWNED;
  return MF_OK;
}

mf_status mf_kernel_error(mf_kernel_ctx *ctx, const char *fmt, ...) {
  mf_interpreter *it = ctx->interp;
  const char *name = ctx->node->reg != NULL ? ctx->node->reg->name : "";
  size_t len = mf_format(it->error, sizeof it->error, "node %u %s: ", ctx->node_index, name);
  va_list args;
  va_start(args, fmt);
  mf_vformat(it->error + len, sizeof it->error - len, fmt != NULL ? fmt : "error", args);
  va_end(args);
  mf_log("%s", it->error);
  return MF_ERR_KERNEL;
}
