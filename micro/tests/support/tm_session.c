#include "tm_session.h"

#include <string.h>

mf_status tm_open_bytes(tm_session *s, const uint8_t *model, size_t size, void *arena,
                        size_t arena_size) {
  s->model_size = size;
  s->map_status = mf_model_map(&s->model, model, size);
  if (s->map_status != MF_OK) return s->map_status;
  mf_resolver_init(&s->resolver, s->ops, sizeof s->ops / sizeof s->ops[0]);
  mf_resolver_add(&s->resolver, &tm_op_test);
  mf_resolver_add(&s->resolver, &tm_op_test_conv);
  mf_status status = mf_interpreter_init(&s->it, &s->model, &s->resolver, arena, arena_size);
  return status != MF_OK ? status : mf_interpreter_allocate(&s->it);
}

mf_status tm_open(tm_session *s, const tm_graph *graph, uint8_t *model_buf, size_t model_cap,
                  void *arena, size_t arena_size) {
  memset(s, 0, sizeof *s);
  size_t size = tm_build(graph, model_buf, model_cap);
  if (size == 0u) {
    s->map_status = MF_ERR_INVALID_ARG;
    return MF_ERR_INVALID_ARG;
  }
  return tm_open_bytes(s, model_buf, size, arena, arena_size);
}
