/* Status code names and the core's error texts. */
#include <stdarg.h>

#include "mf_core.h"
#include "mf_log.h"
#include "mf_status.h"

const char *mf_status_name(mf_status status) {
  static const char *const names[] = {
      "MF_OK",           "MF_ERR_INVALID_ARG",   "MF_ERR_MODEL_INVALID", "MF_ERR_OP_UNSUPPORTED",
      "MF_ERR_ARENA_TOO_SMALL", "MF_ERR_RESOLVER_FULL", "MF_ERR_STATE",   "MF_ERR_KERNEL"};
  unsigned index = (unsigned)status;
  return index < sizeof names / sizeof names[0] ? names[index] : "MF_ERR_UNKNOWN";
}

mf_status(mf_error)(char *error, uint32_t code, ...) {
#define MF_ERROR_STATUS(code, status, text) status,
  static const uint8_t statuses[] = {MF_CORE_ERRORS(MF_ERROR_STATUS)};
  mf_status status = (mf_status)statuses[code];
#ifdef MF_STRIP_LOGS
  mf_format(error, MF_ERROR_LEN, "%s", mf_status_name(status));
#else
#define MF_ERROR_TEXT(code, status, text) text,
  static const char *const texts[] = {MF_CORE_ERRORS(MF_ERROR_TEXT)};
  va_list args;
  va_start(args, code);
  mf_vformat(error, MF_ERROR_LEN, texts[code], args);
  va_end(args);
#endif
  return status;
}
