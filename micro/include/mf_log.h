/* A small formatter and the log call built on the platform hook. */
#ifndef MF_LOG_H
#define MF_LOG_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* snprintf-like, freestanding, kept small: %s %c %d %i %u %x %% with the
 * l/z length modifiers (no ll), and %f (fixed, precision ".N" up to 9,
 * default 6; float values below 2^32 print exactly, larger ones to the float
 * precision, values beyond the float range as inf). No field
 * widths or flags. Always NUL-terminates when size > 0. Returns the
 * number of characters written (after truncation), excluding the NUL. */
size_t mf_format(char *buf, size_t size, const char *fmt, ...);
size_t mf_vformat(char *buf, size_t size, const char *fmt, va_list args);

/* Formats one line (at most 160 characters; give no trailing newline), adds
 * '\n' and hands it to mf_platform_log. */
void mf_log(const char *fmt, ...);

#ifdef __cplusplus
}
#endif

#endif
