/* The interpreter: binds a mapped model, a resolver and one arena.
 *
 * Arena layout: persistent data (tensor and node tables, op data, variable
 * tensors, rewritten dims) grows down from the 8-aligned end ("tail");
 * planned activations and per-node scratch sit at the 8-aligned start
 * ("head"). Allocations past the end return NULL but are still counted, so a
 * too-small arena yields the exact size that would succeed. */
#include <stdarg.h>
#include <string.h>

#include "mf_core.h"
#include "mf_log.h"
#include "mf_ops.h"
#include "mf_platform.h"

const char *mf_op_name(int32_t builtin_code) {
#ifdef MF_OP_NAMES
  switch (builtin_code) {
#define MF_OP_CASE(sym, code, name) \
  case code:                        \
    return name;
    MF_FOR_EACH_OP(MF_OP_CASE)
#undef MF_OP_CASE
    default:
      break;
  }
#endif
  (void)builtin_code;
  return NULL;
}

static size_t align_up(size_t n, size_t align) { return (n + align - 1u) & ~(align - 1u); }

void *mf_interp_alloc_tail(mf_interpreter *it, size_t bytes, uint32_t align) {
  size_t tail = align_up(it->tail + bytes, align);
  if (tail < it->tail || bytes > MF_MAX_TENSOR_BYTES) tail = (size_t)-1 - 7u; /* saturate */
  it->tail = tail;
  return tail <= it->usable ? it->base + it->usable - tail : NULL;
}

/* Total arena bytes for the current head and tail, from the caller's start. */
static size_t arena_total(const mf_interpreter *it) {
  size_t skew = it->base != NULL ? (size_t)(it->base - it->arena) : 0u;
  size_t sum = it->head + it->tail;
  if (sum < it->tail) return (size_t)-1;
  return skew + align_up(sum, MF_ARENA_ALIGN);
}

mf_status mf_interpreter_init(mf_interpreter *it, const mf_model *model,
                              const mf_resolver *resolver, void *arena, size_t arena_size) {
  if (it == NULL) return MF_ERR_INVALID_ARG;
  memset(it, 0, sizeof *it);
  if (model == NULL || model->data == NULL)
    return mf_interp_fail(it, E_NOT_MAPPED);
  if (resolver == NULL) return mf_interp_fail(it, E_NO_RESOLVER);
  if (arena == NULL && arena_size > 0u) return mf_interp_fail(it, E_NO_ARENA);
  it->model = model;
  it->resolver = resolver;
  it->arena = (uint8_t *)arena;
  it->arena_size = arena_size;
  if (arena != NULL) {
    uintptr_t start = (uintptr_t)arena;
    uintptr_t base = (start + MF_ARENA_ALIGN - 1u) & ~(uintptr_t)(MF_ARENA_ALIGN - 1u);
    uintptr_t end = (start + arena_size) & ~(uintptr_t)(MF_ARENA_ALIGN - 1u);
    it->base = it->arena + (base - start);
    it->usable = end > base ? (size_t)(end - base) : 0u;
  }
  it->tensor_count = model->len[MF_VEC_TENSORS];
  it->node_count = model->len[MF_VEC_OPERATORS];
  return MF_OK;
}

static void free_nodes(mf_interpreter *it) {
  for (uint32_t i = 0; i < it->initialized; i++) {
    mf_kernel_ctx ctx = {it, &it->nodes[i], i};
    if (it->nodes[i].reg->free != NULL) it->nodes[i].reg->free(&ctx);
  }
  it->initialized = 0;
}

/* Fills the tensor table from the model; variables get their persistent
 * memory. */
static void load_tensors(mf_interpreter *it) {
  for (uint32_t i = 0; i < it->tensor_count; i++) {
    mf_tensor *t = &it->tensors[i];
    mf_model_tensor_load(it->model, i, t);
    if ((t->flags & MF_TENSOR_VARIABLE) != 0u)
      t->data = mf_interp_alloc_tail(it, mf_tensor_bytes(t), mf_dtype_align(t->dtype));
  }
}

/* Copies (or zeroes) the initial value of every variable tensor. */
static void reset_variables(mf_interpreter *it) {
  for (uint32_t i = 0; i < it->tensor_count; i++) {
    mf_tensor *t = &it->tensors[i];
    if ((t->flags & MF_TENSOR_VARIABLE) == 0u || t->data == NULL) continue;
    /* As TFLM: int8 state starts at its zero point, everything else at 0. */
    int fill = 0;
    if (t->dtype == MF_INT8) {
      mf_quant quant;
      mf_model_tensor_quant(it->model, i, &quant);
      fill = quant.zero_point;
    }
    memset(t->data, fill, mf_tensor_bytes(t));
  }
}

/* Finds every node's kernel; fails naming the node, op and version. */
static mf_status resolve(mf_interpreter *it) {
  const mf_model *m = it->model;
  for (uint32_t i = 0; i < it->node_count; i++) {
    mf_node *node = &it->nodes[i];
    uint32_t op = mf_fb_table_at(m, m->vec[MF_VEC_OPERATORS], i);
    uint32_t count, version;
    const char *custom;
    memset(node, 0, sizeof *node);
    node->op = op;
    node->io[0] = mf_fb_vector(m, op, MF_F_OP_INPUTS, 4, &count);
    node->io[1] = mf_fb_vector(m, op, MF_F_OP_OUTPUTS, 4, &count);
    int32_t code = mf_model_op_code(m, mf_fb_u32(m, op, MF_F_OP_OPCODE, 0), &version, &custom);
    const mf_op_registration *reg = mf_resolver_find(it->resolver, code, custom);
    if (reg == NULL) {
      const char *name = code == MF_CUSTOM_OP ? custom : mf_op_name(code);
      if (name == NULL) return mf_interp_fail(it, E_OP_NUMBER, i, code);
      return mf_interp_fail(it, E_OP_NAME, i, name);
    }
    if (version > reg->max_version)
      return mf_interp_fail(it, E_OP_VERSION,
                            i, reg->name, version, reg->max_version);
    node->reg = reg;
  }
  return MF_OK;
}

/* A kernel call failed: keep the kernel's own text, else describe it. A
 * kernel claiming a short arena that is not short fails as MF_ERR_KERNEL. */
static mf_status node_failed(mf_interpreter *it, uint32_t i, mf_status status, const char *stage) {
  (void)i, (void)stage; /* unused when texts are stripped */
  if (it->error[0] == '\0')
    mf_interp_fail(it, E_NODE_FAILED, i, it->nodes[i].reg->name, stage,
                   mf_status_name(status));
  return status == MF_ERR_ARENA_TOO_SMALL ? MF_ERR_KERNEL : status;
}

static mf_status too_small(mf_interpreter *it, int at_least) {
  it->needed = arena_total(it);
  if (at_least) it->needed_kind = MF_NEED_AT_LEAST;
  return mf_interp_fail(it, E_ARENA,
                        at_least ? "at least " : "", it->needed, it->arena_size,
                        it->needed_kind == MF_NEED_ESTIMATE ? " (estimate)" : "");
}

/* Runs init (prepare = 0) or prepare on every node. A kernel short of arena
 * does not stop the others: their allocations still count. */
static mf_status run_stage(mf_interpreter *it, int prepare) {
  for (uint32_t i = 0; i < it->node_count; i++) {
    mf_node *node = &it->nodes[i];
    mf_status (*fn)(mf_kernel_ctx *) = prepare ? node->reg->prepare : node->reg->init;
    if (!prepare) it->initialized = i + 1u;
    mf_kernel_ctx ctx = {it, node, i};
    mf_status status = fn != NULL ? fn(&ctx) : MF_OK;
    if (status == MF_OK) continue;
    if (it->tail <= it->usable) return node_failed(it, i, status, prepare ? "prepare" : "init");
    /* Short of arena: keep counting; a later failure may stem from it. */
    it->error[0] = '\0';
    if (status != MF_ERR_ARENA_TOO_SMALL) return too_small(it, 1);
  }
  return MF_OK;
}

static mf_status allocate(mf_interpreter *it) {
  it->tensors = mf_interp_alloc_tail(it, it->tensor_count * sizeof(mf_tensor), MF_BASE_ALIGN);
  it->nodes = mf_interp_alloc_tail(it, it->node_count * sizeof(mf_node), MF_BASE_ALIGN);
  if (it->tail > it->usable) {
    it->tensors = NULL;
    it->nodes = NULL;
    return too_small(it, 1);
  }
  load_tensors(it);
  mf_status status = resolve(it);
  if (status != MF_OK) return status;
  it->state = MF_STATE_INITIALIZING;
  status = run_stage(it, 0);
  it->state = MF_STATE_PREPARING;
  if (status == MF_OK) status = run_stage(it, 1);
  if (status == MF_OK) status = mf_plan(it);
  if (status != MF_OK) return status;
  if (it->tail > it->usable || it->head > it->usable - it->tail) return too_small(it, 0);
  reset_variables(it);
  return MF_OK;
}

mf_status mf_interpreter_allocate(mf_interpreter *it) {
  if (it == NULL) return MF_ERR_INVALID_ARG;
  if (it->model == NULL) return mf_interp_fail(it, E_NOT_INITIALISED);
  free_nodes(it);
  it->head = it->tail = it->needed = 0;
  it->needed_kind = MF_NEED_EXACT;
  it->error[0] = '\0';
  mf_status status = allocate(it);
  if (status != MF_OK) {
    free_nodes(it);
    it->state = MF_STATE_FAILED;
    return status;
  }
  it->state = MF_STATE_READY;
  return MF_OK;
}

static mf_status not_ready(mf_interpreter *it, const char *call) {
  (void)call;
  return mf_interp_fail(it, E_NOT_READY, call);
}

mf_status mf_interpreter_invoke(mf_interpreter *it) {
  if (it == NULL) return MF_ERR_INVALID_ARG;
  if (it->state != MF_STATE_READY) return not_ready(it, "invoke");
  it->error[0] = '\0';
  mf_kernel_ctx ctx = {it, it->nodes, 0};
#ifdef MF_PROFILE
  it->profile_count = 0;
#endif
  for (; ctx.node_index < it->node_count; ctx.node_index++, ctx.node++) {
#ifdef MF_PROFILE
    uint32_t start = mf_platform_ticks();
#endif
    mf_status status = ctx.node->reg->invoke(&ctx);
#ifdef MF_PROFILE
    if (it->profile_count < it->profile_capacity) {
      mf_profile_entry *entry = &it->profile[it->profile_count++];
      entry->op = ctx.node->reg->name;
      entry->ticks = mf_platform_ticks() - start;
    }
#endif
    if (status != MF_OK) return node_failed(it, ctx.node_index, status, "invoke");
  }
  return MF_OK;
}

mf_status mf_interpreter_reset_state(mf_interpreter *it) {
  if (it == NULL) return MF_ERR_INVALID_ARG;
  if (it->state != MF_STATE_READY) return not_ready(it, "reset");
  reset_variables(it);
  return MF_OK;
}

uint32_t mf_interpreter_input_count(const mf_interpreter *it) {
  return it != NULL && it->model != NULL ? it->model->len[MF_VEC_INPUTS] : 0u;
}

uint32_t mf_interpreter_output_count(const mf_interpreter *it) {
  return it != NULL && it->model != NULL ? it->model->len[MF_VEC_OUTPUTS] : 0u;
}

mf_status mf_interpreter_tensor(const mf_interpreter *it, uint32_t index, mf_tensor_info *info) {
  if (it == NULL || info == NULL || it->state != MF_STATE_READY || index >= it->tensor_count)
    return it != NULL && it->state != MF_STATE_READY ? MF_ERR_STATE : MF_ERR_INVALID_ARG;
  const mf_tensor *t = &it->tensors[index];
  info->name = mf_model_tensor_name(it->model, index);
  info->dtype = (mf_dtype)t->dtype;
  info->ndims = t->ndims;
  info->dims = t->dims;
  info->data = t->data;
  info->bytes = mf_tensor_bytes(t);
  mf_model_tensor_quant(it->model, index, &info->quant);
  return MF_OK;
}

static mf_status graph_tensor(const mf_interpreter *it, uint32_t which, uint32_t i, mf_tensor_info *info) {
  if (it == NULL || it->model == NULL || i >= it->model->len[which]) return MF_ERR_INVALID_ARG;
  return mf_interpreter_tensor(it, (uint32_t)mf_fb_i32_at(it->model, it->model->vec[which], i), info);
}

mf_status mf_interpreter_input(const mf_interpreter *it, uint32_t i, mf_tensor_info *info) {
  return graph_tensor(it, MF_VEC_INPUTS, i, info);
}

mf_status mf_interpreter_output(const mf_interpreter *it, uint32_t i, mf_tensor_info *info) {
  return graph_tensor(it, MF_VEC_OUTPUTS, i, info);
}

size_t mf_interpreter_arena_used(const mf_interpreter *it) {
  return it != NULL && it->state == MF_STATE_READY ? arena_total(it) : 0u;
}

size_t mf_interpreter_arena_needed(const mf_interpreter *it) { return it != NULL ? it->needed : 0u; }

const char *mf_interpreter_error(const mf_interpreter *it) {
  return it != NULL ? it->error : "interpreter is NULL";
}

void mf_interpreter_set_profiler(mf_interpreter *it, mf_profile_entry *entries, uint32_t capacity) {
  if (it == NULL) return;
  it->profile = entries;
  it->profile_capacity = entries != NULL ? capacity : 0u;
  it->profile_count = 0;
}

uint32_t mf_interpreter_profile_count(const mf_interpreter *it) {
  return it != NULL ? it->profile_count : 0u;
}
