/* mf_resolver_add_all: every built-in kernel of mf_ops.h. */
#include "mf_ops.h"
#include "mf_resolver.h"

mf_status mf_resolver_add_all(mf_resolver *resolver) {
  static const mf_op_registration *const all[] = {
#define MF_OP_ENTRY(sym, code, name) &mf_op_##sym,
      MF_FOR_EACH_OP(MF_OP_ENTRY)
#undef MF_OP_ENTRY
  };
  for (uint32_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    mf_status status = mf_resolver_add(resolver, all[i]);
    if (status != MF_OK) return status;
  }
  return MF_OK;
}
