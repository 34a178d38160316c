/* A fixed-capacity table of the op kernels an application links in. */
#ifndef MF_RESOLVER_H
#define MF_RESOLVER_H

#include <stdint.h>

#include "mf_kernel.h"
#include "mf_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mf_resolver {
  const mf_op_registration **ops;
  uint32_t count;
  uint32_t capacity;
} mf_resolver;

/* Declares `name`, a resolver with room for `capacity` ops, and its storage. */
#define MF_RESOLVER_DEFINE(name, capacity)                         \
  const mf_op_registration *name##_storage[(capacity)];            \
  mf_resolver name = {name##_storage, 0, (capacity)}

void mf_resolver_init(mf_resolver *resolver, const mf_op_registration **storage,
                      uint32_t capacity);
/* Adds one kernel; MF_ERR_RESOLVER_FULL when the capacity is reached.
 * Adding a second kernel for the same op replaces the first. */
mf_status mf_resolver_add(mf_resolver *resolver, const mf_op_registration *op);
/* Adds every built-in kernel (needs capacity MF_OP_COUNT). */
mf_status mf_resolver_add_all(mf_resolver *resolver);
/* The kernel for a builtin code (or a custom op name), NULL if absent. */
const mf_op_registration *mf_resolver_find(const mf_resolver *resolver,
                                           int32_t builtin_code, const char *custom_name);

#ifdef __cplusplus
}
#endif

#endif
