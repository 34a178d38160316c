/* Hooks the platform (a board's support code, or the host) links in. */
#ifndef MF_PLATFORM_H
#define MF_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes `len` bytes of log text. Lines end with '\n'. */
void mf_platform_log(const char *text, size_t len);

/* A free-running tick counter for the profiler and benchmarks. */
uint32_t mf_platform_ticks(void);

#ifdef __cplusplus
}
#endif

#endif
