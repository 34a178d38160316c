#include "mf_runner.h"

#include <string.h>

static void copy_text(char *dst, size_t dst_len, const char *src) {
  size_t n = 0;
  if (src != NULL) {
    while (n + 1 < dst_len && src[n] != '\0') {
      dst[n] = src[n];
      n++;
    }
  }
  dst[n] = '\0';
}

static mf_status fail(mf_runner *r, mf_status status, const char *text) {
  r->status = status;
  if (text == NULL || text[0] == '\0') text = mf_status_name(status);
  copy_text(r->error, sizeof r->error, text);
  return status;
}

static mf_status ok(mf_runner *r) {
  r->status = MF_OK;
  r->error[0] = '\0';
  return MF_OK;
}

static mf_status interp_result(mf_runner *r, mf_status status) {
  if (status == MF_OK) return ok(r);
  return fail(r, status, mf_interpreter_error(&r->interp));
}

mf_status mf_runner_open(mf_runner *r, const void *model, size_t model_size, void *arena,
                         size_t arena_size) {
  if (r == NULL) return MF_ERR_INVALID_ARG;
  memset(r, 0, sizeof *r);
  if (model == NULL || arena == NULL) return fail(r, MF_ERR_INVALID_ARG, "no model or arena");
  mf_status status = mf_model_map(&r->model, model, model_size);
  if (status != MF_OK) return fail(r, status, mf_model_error(&r->model));
  mf_resolver_init(&r->resolver, r->ops, MF_OP_COUNT);
  status = mf_resolver_add_all(&r->resolver);
  if (status != MF_OK) return fail(r, status, "cannot register the built-in kernels");
  status = mf_interpreter_init(&r->interp, &r->model, &r->resolver, arena, arena_size);
  if (status != MF_OK) return interp_result(r, status);
  status = mf_interpreter_allocate(&r->interp);
  if (status != MF_OK) return interp_result(r, status);
  uint32_t inputs = mf_interpreter_input_count(&r->interp);
  for (uint32_t i = 0; i < inputs && i < MF_RUNNER_CACHED_INPUTS; i++) {
    mf_tensor_info info;
    status = mf_interpreter_input(&r->interp, i, &info);
    if (status != MF_OK) return interp_result(r, status);
    r->input_data[i] = info.data;
    r->input_bytes[i] = info.bytes;
    r->cached_inputs = i + 1u;
  }
  return ok(r);
}

void mf_runner_set_profiler(mf_runner *r, mf_profile_entry *entries, uint32_t capacity) {
  r->profile = entries;
  r->profile_capacity = entries != NULL ? capacity : 0;
  mf_interpreter_set_profiler(&r->interp, entries, r->profile_capacity);
}

static mf_status check_size(mf_runner *r, const mf_tensor_info *info, size_t size,
                            const char *what, uint32_t i) {
  if (info->bytes == size) return MF_OK;
  char text[MF_RUNNER_ERROR_LEN];
  mf_format(text, sizeof text, "%s %u has %zu bytes, %zu given", what, (unsigned)i,
            info->bytes, size);
  return fail(r, MF_ERR_INVALID_ARG, text);
}

mf_status mf_runner_set_input(mf_runner *r, uint32_t i, const void *data, size_t size) {
  if (i < r->cached_inputs && size == r->input_bytes[i]) {
    if (size > 0) memcpy(r->input_data[i], data, size);
    return ok(r);
  }
  mf_tensor_info info;
  mf_status status = mf_interpreter_input(&r->interp, i, &info);
  if (status != MF_OK) return interp_result(r, status);
  status = check_size(r, &info, size, "input", i);
  if (status != MF_OK) return status;
  if (size > 0) memcpy(info.data, data, size);
  return ok(r);
}

mf_status mf_runner_invoke(mf_runner *r) {
  return interp_result(r, mf_interpreter_invoke(&r->interp));
}

mf_status mf_runner_get_output(mf_runner *r, uint32_t i, void *data, size_t size) {
  mf_tensor_info info;
  mf_status status = mf_interpreter_output(&r->interp, i, &info);
  if (status != MF_OK) return interp_result(r, status);
  status = check_size(r, &info, size, "output", i);
  if (status != MF_OK) return status;
  if (size > 0) memcpy(data, info.data, size);
  return ok(r);
}

mf_status mf_runner_reset_state(mf_runner *r) {
  return interp_result(r, mf_interpreter_reset_state(&r->interp));
}

#if defined(__GNUC__) || defined(__clang__)
#define MF_RUNNER_NOINLINE __attribute__((noinline))
#else
#define MF_RUNNER_NOINLINE
#endif

MF_RUNNER_NOINLINE mf_status mf_runner_step(mf_runner *r, const void *const *inputs,
                                            const size_t *sizes, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    mf_status status = mf_runner_set_input(r, i, inputs[i], sizes[i]);
    if (status != MF_OK) return status;
  }
  return mf_runner_invoke(r);
}

mf_status mf_runner_bench(mf_runner *r, const char *name, uint32_t repeats,
                          const void *const *inputs, const size_t *sizes, uint32_t count) {
  uint32_t start = mf_platform_ticks();
  for (uint32_t n = 0; n < repeats; n++) {
    mf_status status = mf_runner_step(r, inputs, sizes, count);
    if (status != MF_OK) return status;
  }
  uint32_t total = mf_platform_ticks() - start;
  uint32_t average = repeats > 0 ? total / repeats : 0;
  mf_log("MF-BENCH %s invokes=%u ticks=%u ticks_per_invoke=%u arena_used=%zu", name,
         (unsigned)repeats, (unsigned)total, (unsigned)average,
         mf_interpreter_arena_used(&r->interp));
  uint32_t entries = mf_interpreter_profile_count(&r->interp);
  if (entries > r->profile_capacity) entries = r->profile_capacity;
  for (uint32_t n = 0; n < entries; n++) {
    mf_log("MF-BENCH %s.op%u op=%s ticks=%u", name, (unsigned)n, r->profile[n].op,
           (unsigned)r->profile[n].ticks);
  }
  return ok(r);
}

uint32_t mf_runner_input_count(const mf_runner *r) {
  return mf_interpreter_input_count(&r->interp);
}

uint32_t mf_runner_output_count(const mf_runner *r) {
  return mf_interpreter_output_count(&r->interp);
}

mf_status mf_runner_input_info(mf_runner *r, uint32_t i, mf_tensor_info *info) {
  return interp_result(r, mf_interpreter_input(&r->interp, i, info));
}

mf_status mf_runner_output_info(mf_runner *r, uint32_t i, mf_tensor_info *info) {
  return interp_result(r, mf_interpreter_output(&r->interp, i, info));
}

size_t mf_runner_arena_used(const mf_runner *r) { return mf_interpreter_arena_used(&r->interp); }

size_t mf_runner_arena_needed(const mf_runner *r) {
  return mf_interpreter_arena_needed(&r->interp);
}

const char *mf_runner_error(const mf_runner *r) { return r->error; }
