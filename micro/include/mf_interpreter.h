/* Running a mapped model on a caller-owned arena.
 *
 *   mf_model model;            mf_model_map(&model, g_model, g_model_len);
 *   MF_RESOLVER_DEFINE(ops, 4); mf_resolver_add(&ops, &mf_op_fully_connected);
 *   static uint8_t arena[2048] __attribute__((aligned(16)));
 *   mf_interpreter it;         mf_interpreter_init(&it, &model, &ops, arena, sizeof arena);
 *   mf_interpreter_allocate(&it);
 *   mf_interpreter_input(&it, 0, &in);  ...fill in.data...
 *   mf_interpreter_invoke(&it);
 *   mf_interpreter_output(&it, 0, &out);
 *
 * The interpreter keeps no global state: any number can run side by side. */
#ifndef MF_INTERPRETER_H
#define MF_INTERPRETER_H

#include <stddef.h>
#include <stdint.h>

#include "mf_kernel.h"
#include "mf_model.h"
#include "mf_resolver.h"
#include "mf_status.h"
#include "mf_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What mf_interpreter_arena_needed() gives after ARENA_TOO_SMALL. */
enum {
  MF_NEED_EXACT = 0,    /* the exact size that succeeds */
  MF_NEED_ESTIMATE = 1, /* a kernel could not store an output shape: retry may differ */
  MF_NEED_AT_LEAST = 2  /* a lower bound: the arena could not hold the tables, or a
                           kernel failed after the arena ran short */
};

/* One node of the graph, kept in the arena. */
typedef struct mf_node {
  const mf_op_registration *reg;
  void *op_data;
  uint32_t op;           /* offset of the Operator table in the model */
  uint32_t io[2];        /* offsets of its inputs and outputs vectors (length word) */
  uint32_t scratch_bytes;
  void *scratch;         /* the scratch buffer once planned */
} mf_node;

/* One profiler record: the op that ran and the ticks it took. */
typedef struct mf_profile_entry {
  const char *op;
  uint32_t ticks;
} mf_profile_entry;

/* Fields are private; use the functions below. */
typedef struct mf_interpreter {
  const mf_model *model;
  const mf_resolver *resolver;
  uint8_t *arena;
  size_t arena_size;
  uint8_t *base;          /* arena start aligned to 8: planned buffers start here */
  size_t usable;          /* bytes from base to the 8-aligned arena end */
  size_t head;            /* planned bytes at the arena start */
  size_t tail;            /* persistent bytes at the arena end */
  size_t needed;          /* bytes needed, once ARENA_TOO_SMALL was returned */
  mf_tensor *tensors;
  mf_node *nodes;
  uint32_t tensor_count;
  uint32_t node_count;
  uint32_t initialized;   /* nodes whose init ran (free is called for them) */
  uint32_t needed_kind;   /* MF_NEED_*: how far `needed` can be trusted */
  uint32_t state;
  mf_profile_entry *profile;
  uint32_t profile_capacity;
  uint32_t profile_count;
  char error[MF_ERROR_LEN];
} mf_interpreter;

/* Binds a model, a resolver and an arena. Nothing is allocated yet. */
mf_status mf_interpreter_init(mf_interpreter *it, const mf_model *model,
                              const mf_resolver *resolver, void *arena, size_t arena_size);
/* Resolves every op, runs init and prepare, plans memory. On
 * MF_ERR_ARENA_TOO_SMALL, mf_interpreter_arena_needed() gives the size. */
mf_status mf_interpreter_allocate(mf_interpreter *it);
mf_status mf_interpreter_invoke(mf_interpreter *it);
/* Resets variable tensors (state): int8 ones to their zero point, others to 0. */
mf_status mf_interpreter_reset_state(mf_interpreter *it);

uint32_t mf_interpreter_input_count(const mf_interpreter *it);
uint32_t mf_interpreter_output_count(const mf_interpreter *it);
mf_status mf_interpreter_input(const mf_interpreter *it, uint32_t i, mf_tensor_info *info);
mf_status mf_interpreter_output(const mf_interpreter *it, uint32_t i, mf_tensor_info *info);
/* Any tensor of subgraph 0 by index (intermediate data is only valid while
 * the planner has not reused its memory). */
mf_status mf_interpreter_tensor(const mf_interpreter *it, uint32_t index, mf_tensor_info *info);

/* Arena bytes in use after a successful allocate (planned + persistent). */
size_t mf_interpreter_arena_used(const mf_interpreter *it);
/* The exact arena size that would have succeeded, after ARENA_TOO_SMALL. */
size_t mf_interpreter_arena_needed(const mf_interpreter *it);
/* Why the last call failed, "" when it did not. */
const char *mf_interpreter_error(const mf_interpreter *it);

/* Per-op profiling (compiled in with MF_PROFILE): every invoke records one
 * entry per node into `entries`, up to `capacity`. */
void mf_interpreter_set_profiler(mf_interpreter *it, mf_profile_entry *entries,
                                 uint32_t capacity);
uint32_t mf_interpreter_profile_count(const mf_interpreter *it);

#ifdef __cplusplus
}
#endif

#endif
