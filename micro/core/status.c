/* Status code names. */
#include "mf_status.h"

const char *mf_status_name(mf_status status) {
  static const char *const names[] = {
      "MF_OK",           "MF_ERR_INVALID_ARG",   "MF_ERR_MODEL_INVALID", "MF_ERR_OP_UNSUPPORTED",
      "MF_ERR_ARENA_TOO_SMALL", "MF_ERR_RESOLVER_FULL", "MF_ERR_STATE",   "MF_ERR_KERNEL"};
  unsigned index = (unsigned)status;
  return index < sizeof names / sizeof names[0] ? names[index] : "MF_ERR_UNKNOWN";
}
