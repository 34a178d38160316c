/* mf_log: one formatted line through the platform hook. */
#include <stdarg.h>

#include "mf_log.h"
#include "mf_platform.h"

#define MF_LOG_LINE 160u

void mf_log(const char *fmt, ...) {
  char line[MF_LOG_LINE + 2u];
  va_list args;
  va_start(args, fmt);
  size_t len = mf_vformat(line, MF_LOG_LINE + 1u, fmt, args);
  va_end(args);
  line[len++] = '\n';
  mf_platform_log(line, len);
}
