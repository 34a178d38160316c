/* A fixed-capacity table of op kernels. */
#include <string.h>

#include "mf_resolver.h"

void mf_resolver_init(mf_resolver *resolver, const mf_op_registration **storage,
                      uint32_t capacity) {
  if (resolver == NULL) return;
  resolver->ops = storage;
  resolver->count = 0;
  resolver->capacity = storage != NULL ? capacity : 0u;
}

static int same_op(const mf_op_registration *a, int32_t code, const char *custom_name) {
  if (a->builtin_code != code) return 0;
  if (code != MF_CUSTOM_OP) return 1;
  return custom_name != NULL && a->name != NULL && strcmp(a->name, custom_name) == 0;
}

mf_status mf_resolver_add(mf_resolver *resolver, const mf_op_registration *op) {
  if (resolver == NULL || op == NULL || op->invoke == NULL) return MF_ERR_INVALID_ARG;
  for (uint32_t i = 0; i < resolver->count; i++) {
    if (same_op(resolver->ops[i], op->builtin_code, op->name)) {
      resolver->ops[i] = op;
      return MF_OK;
    }
  }
  if (resolver->count >= resolver->capacity) return MF_ERR_RESOLVER_FULL;
  resolver->ops[resolver->count++] = op;
  return MF_OK;
}

const mf_op_registration *mf_resolver_find(const mf_resolver *resolver, int32_t builtin_code,
                                           const char *custom_name) {
  if (resolver == NULL) return NULL;
  for (uint32_t i = 0; i < resolver->count; i++) {
    if (same_op(resolver->ops[i], builtin_code, custom_name)) return resolver->ops[i];
  }
  return NULL;
}
