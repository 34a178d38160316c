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

/* The entry holding the kernel for an op, else the next free one. */
static uint32_t find(const mf_resolver *resolver, int32_t code, const char *custom_name) {
  uint32_t i = 0;
  for (; i < resolver->count; i++) {
    const mf_op_registration *op = resolver->ops[i];
    if (op->builtin_code == code &&
        (code != MF_CUSTOM_OP ||
         (custom_name != NULL && op->name != NULL && strcmp(op->name, custom_name) == 0)))
      break;
  }
  return i;
}

mf_status mf_resolver_add(mf_resolver *resolver, const mf_op_registration *op) {
  if (resolver == NULL || op == NULL || op->invoke == NULL) return MF_ERR_INVALID_ARG;
  uint32_t i = find(resolver, op->builtin_code, op->name);
  if (i == resolver->count) {
    if (i >= resolver->capacity) return MF_ERR_RESOLVER_FULL;
    resolver->count++;
  }
  resolver->ops[i] = op;
  return MF_OK;
}

const mf_op_registration *mf_resolver_find(const mf_resolver *resolver, int32_t builtin_code,
                                           const char *custom_name) {
  if (resolver == NULL) return NULL;
  uint32_t i = find(resolver, builtin_code, custom_name);
  return i < resolver->count ? resolver->ops[i] : NULL;
}
