/* Build, map and allocate a test model in one call. */
#ifndef TM_SESSION_H
#define TM_SESSION_H

#include "microforge.h"
#include "tm_model.h"
#include "tm_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tm_session {
  mf_model model;
  mf_resolver resolver;
  const mf_op_registration *ops[4];
  mf_interpreter it;
  size_t model_size;
  mf_status map_status; /* of mf_model_map */
} tm_session;

/* Writes the graph into model_buf (16-byte aligned), maps it, registers the
 * MF_TEST kernels, binds the arena and allocates. Returns the first failing
 * status (the map's or the allocation's). */
mf_status tm_open(tm_session *s, const tm_graph *graph, uint8_t *model_buf, size_t model_cap,
                  void *arena, size_t arena_size);
/* The same for model bytes already built. */
mf_status tm_open_bytes(tm_session *s, const uint8_t *model, size_t size, void *arena,
                        size_t arena_size);

#ifdef __cplusplus
}
#endif

#endif
