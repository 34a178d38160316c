/* Platform hooks for host programs and the host shared library: log to
 * stderr, ticks in microseconds of a monotonic clock. Weak, so a build that
 * links a board's platform code (targets/common/platform.c) overrides them. */
#define _POSIX_C_SOURCE 199309L

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "mf_platform.h"

__attribute__((weak)) void mf_platform_log(const char *text, size_t len) {
  fwrite(text, 1, len, stderr);
}

__attribute__((weak)) uint32_t mf_platform_ticks(void) {
  struct timespec now;
  if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) return 0;
  return (uint32_t)((uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u);
}
