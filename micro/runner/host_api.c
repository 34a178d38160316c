/* A flat C API over the runner for foreign-function callers (Python ctypes).
 *
 * The caller allocates one block of mf_host_state_size() bytes, 16-byte
 * aligned, and passes it to every call; the block holds the runner, a copy
 * of the model, the arena and the profile entries. Nothing else is kept, so
 * any number of blocks can be used side by side.
 *
 * Every call returning int returns an mf_status; mf_host_error() gives the
 * reason of the last failure. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mf_runner.h"
#include "microforge.h"

#define MF_HOST_ALIGN 16u
#define MF_HOST_MAX_DIMS 8u

/* One tensor description, flat for ctypes. */
typedef struct mf_host_tensor {
  const char *name;
  int32_t dtype;
  uint32_t ndims;
  int32_t dims[MF_HOST_MAX_DIMS];
  uint64_t bytes;
  float scale;
  int32_t zero_point;
  uint32_t channels;
} mf_host_tensor;

typedef struct mf_host {
  mf_runner runner;
  uint8_t *model;
  size_t model_size;
  uint8_t *arena;
  size_t arena_size;
  mf_profile_entry *profile;
  uint32_t profile_capacity;
  uint32_t opened;
} mf_host;

static size_t align_up(size_t n) { return (n + MF_HOST_ALIGN - 1u) & ~(size_t)(MF_HOST_ALIGN - 1u); }

/* 0 when the sizes would overflow. */
static size_t state_size(size_t model_size, size_t arena_size, uint32_t profile_capacity,
                         size_t *model_at, size_t *arena_at, size_t *profile_at) {
  const size_t limit = SIZE_MAX / 4u;
  if (model_size > limit || arena_size > limit) return 0;
  size_t at = align_up(sizeof(mf_host));
  *model_at = at;
  at = align_up(at + model_size);
  *arena_at = at;
  at = align_up(at + arena_size);
  *profile_at = at;
  return at + (size_t)profile_capacity * sizeof(mf_profile_entry);
}

/* Bytes of the caller's block; 0 when the sizes are too large. */
size_t mf_host_state_size(size_t model_size, size_t arena_size, uint32_t profile_capacity) {
  size_t m, a, p;
  return state_size(model_size, arena_size, profile_capacity, &m, &a, &p);
}

int mf_host_open(void *state, size_t size, const void *model, size_t model_size,
                 size_t arena_size, uint32_t profile_capacity) {
  if (state == NULL || ((uintptr_t)state & (MF_HOST_ALIGN - 1u)) != 0) return MF_ERR_INVALID_ARG;
  size_t model_at, arena_at, profile_at;
  size_t needed = state_size(model_size, arena_size, profile_capacity, &model_at, &arena_at,
                             &profile_at);
  if (needed == 0 || size < needed || size < sizeof(mf_host)) return MF_ERR_INVALID_ARG;
  mf_host *h = (mf_host *)state;
  memset(h, 0, sizeof *h);
  uint8_t *base = (uint8_t *)state;
  h->model = base + model_at;
  h->model_size = model_size;
  h->arena = base + arena_at;
  h->arena_size = arena_size;
  h->profile = profile_capacity > 0 ? (mf_profile_entry *)(void *)(base + profile_at) : NULL;
  h->profile_capacity = profile_capacity;
  if (model_size > 0 && model != NULL) memcpy(h->model, model, model_size);
  h->opened = 1;
  mf_status status = mf_runner_open(&h->runner, h->model, model_size, h->arena, arena_size);
  if (status == MF_OK && h->profile != NULL) {
    mf_runner_set_profiler(&h->runner, h->profile, h->profile_capacity);
  }
  return status;
}

static mf_host *host(void *state) {
  mf_host *h = (mf_host *)state;
  return (h != NULL && h->opened) ? h : NULL;
}

const char *mf_host_error(void *state) {
  mf_host *h = host(state);
  return h != NULL ? mf_runner_error(&h->runner) : "not opened";
}

const char *mf_host_status_name(int status) { return mf_status_name((mf_status)status); }

uint32_t mf_host_input_count(void *state) {
  mf_host *h = host(state);
  return h != NULL && h->runner.status == MF_OK ? mf_runner_input_count(&h->runner) : 0;
}

uint32_t mf_host_output_count(void *state) {
  mf_host *h = host(state);
  return h != NULL && h->runner.status == MF_OK ? mf_runner_output_count(&h->runner) : 0;
}

/* kind: 0 for input i, 1 for output i. */
int mf_host_tensor_info(void *state, int kind, uint32_t i, mf_host_tensor *out) {
  mf_host *h = host(state);
  if (h == NULL || out == NULL) return MF_ERR_INVALID_ARG;
  mf_tensor_info info;
  mf_status status = kind == 0 ? mf_runner_input_info(&h->runner, i, &info)
                               : mf_runner_output_info(&h->runner, i, &info);
  if (status != MF_OK) return status;
  if (info.ndims > MF_HOST_MAX_DIMS) return MF_ERR_OP_UNSUPPORTED;
  memset(out, 0, sizeof *out);
  out->name = info.name;
  out->dtype = (int32_t)info.dtype;
  out->ndims = info.ndims;
  for (uint32_t d = 0; d < info.ndims; d++) out->dims[d] = info.dims[d];
  out->bytes = info.bytes;
  out->scale = info.quant.scale;
  out->zero_point = info.quant.zero_point;
  out->channels = info.quant.channels;
  return MF_OK;
}

int mf_host_set_input(void *state, uint32_t i, const void *data, size_t size) {
  mf_host *h = host(state);
  if (h == NULL || (data == NULL && size > 0)) return MF_ERR_INVALID_ARG;
  return mf_runner_set_input(&h->runner, i, data, size);
}

int mf_host_invoke(void *state) {
  mf_host *h = host(state);
  return h != NULL ? (int)mf_runner_invoke(&h->runner) : MF_ERR_INVALID_ARG;
}

int mf_host_get_output(void *state, uint32_t i, void *data, size_t size) {
  mf_host *h = host(state);
  if (h == NULL || (data == NULL && size > 0)) return MF_ERR_INVALID_ARG;
  return mf_runner_get_output(&h->runner, i, data, size);
}

int mf_host_reset_state(void *state) {
  mf_host *h = host(state);
  return h != NULL ? (int)mf_runner_reset_state(&h->runner) : MF_ERR_INVALID_ARG;
}

size_t mf_host_arena_used(void *state) {
  mf_host *h = host(state);
  return h != NULL ? mf_runner_arena_used(&h->runner) : 0;
}

size_t mf_host_arena_needed(void *state) {
  mf_host *h = host(state);
  return h != NULL ? mf_runner_arena_needed(&h->runner) : 0;
}

uint32_t mf_host_profile_count(void *state) {
  mf_host *h = host(state);
  if (h == NULL || h->profile == NULL) return 0;
  uint32_t n = mf_interpreter_profile_count(&h->runner.interp);
  return n < h->profile_capacity ? n : h->profile_capacity;
}

int mf_host_profile_entry(void *state, uint32_t i, const char **op, uint32_t *ticks) {
  mf_host *h = host(state);
  if (h == NULL || op == NULL || ticks == NULL || i >= mf_host_profile_count(state)) {
    return MF_ERR_INVALID_ARG;
  }
  *op = h->profile[i].op;
  *ticks = h->profile[i].ticks;
  return MF_OK;
}

/* How many built-in ops the library registers. */
uint32_t mf_host_op_count(void) { return MF_OP_COUNT; }
