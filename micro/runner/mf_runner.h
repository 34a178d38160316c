/* The generic model runner: one model, one arena, every built-in kernel.
 *
 * Board-neutral: the host program (run_model.c), the Python binding
 * (host_api.c) and board builds of the runner all drive a model through
 * these calls. The caller owns every byte: the runner allocates nothing.
 *
 *   mf_runner r;
 *   mf_runner_open(&r, model, model_size, arena, sizeof arena);
 *   mf_runner_set_input(&r, 0, bytes, n);
 *   mf_runner_invoke(&r);
 *   mf_runner_get_output(&r, 0, bytes, n); */
#ifndef MF_RUNNER_H
#define MF_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "microforge.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MF_RUNNER_ERROR_LEN 160
#define MF_RUNNER_CACHED_INPUTS 16

typedef struct mf_runner {
  mf_model model;
  mf_resolver resolver;
  const mf_op_registration *ops[MF_OP_COUNT];
  mf_interpreter interp;
  /* Where the first inputs live once allocated: set_input copies straight in. */
  void *input_data[MF_RUNNER_CACHED_INPUTS];
  size_t input_bytes[MF_RUNNER_CACHED_INPUTS];
  uint32_t cached_inputs;
  mf_profile_entry *profile;        /* set by mf_runner_set_profiler */
  uint32_t profile_capacity;
  mf_status status;                 /* of the last call */
  char error[MF_RUNNER_ERROR_LEN];  /* why the last call failed, "" if it did not */
} mf_runner;

/* Maps the model (4-byte aligned, outliving the runner), registers every
 * built-in kernel, binds the arena and allocates. On MF_ERR_ARENA_TOO_SMALL,
 * mf_runner_arena_needed() gives the size that would succeed. */
mf_status mf_runner_open(mf_runner *r, const void *model, size_t model_size, void *arena,
                         size_t arena_size);
/* Records per-node profile entries on every invoke (needs MF_PROFILE). */
void mf_runner_set_profiler(mf_runner *r, mf_profile_entry *entries, uint32_t capacity);

/* Copies `size` bytes into input i; the size must equal the tensor's. */
mf_status mf_runner_set_input(mf_runner *r, uint32_t i, const void *data, size_t size);
mf_status mf_runner_invoke(mf_runner *r);
/* Copies output i into `data`; `size` must equal the tensor's byte size. */
mf_status mf_runner_get_output(mf_runner *r, uint32_t i, void *data, size_t size);
mf_status mf_runner_reset_state(mf_runner *r);

/* One step of a benchmark: copies `count` inputs in (data and byte sizes, in
 * input order), then invokes. Never inlined, so an instruction counter can
 * count exactly the steps (callgrind --toggle-collect=mf_runner_step). */
mf_status mf_runner_step(mf_runner *r, const void *const *inputs, const size_t *sizes,
                         uint32_t count);

/* Invokes `repeats` times, copying `count` inputs (data and byte sizes, in
 * input order) in before each invoke: the planner may reuse an input's memory
 * once it is consumed. Then prints the protocol line
 *   MF-BENCH <name> invokes=<n> ticks=<total> ticks_per_invoke=<avg> arena_used=<bytes>
 * and, when profiling, one line per node of the last invoke:
 *   MF-BENCH <name>.op<index> op=<OPNAME> ticks=<t> */
mf_status mf_runner_bench(mf_runner *r, const char *name, uint32_t repeats,
                          const void *const *inputs, const size_t *sizes, uint32_t count);

uint32_t mf_runner_input_count(const mf_runner *r);
uint32_t mf_runner_output_count(const mf_runner *r);
mf_status mf_runner_input_info(mf_runner *r, uint32_t i, mf_tensor_info *info);
mf_status mf_runner_output_info(mf_runner *r, uint32_t i, mf_tensor_info *info);
size_t mf_runner_arena_used(const mf_runner *r);
size_t mf_runner_arena_needed(const mf_runner *r);
const char *mf_runner_error(const mf_runner *r);

#ifdef __cplusplus
}
#endif

#endif
