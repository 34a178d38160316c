/* mf_format: a small, freestanding snprintf subset. %f uses integer
 * arithmetic only (no floating-point or 64-bit division helpers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mf_log.h"

/* unsigned long holds a size_t and a pointer on ILP32 and LP64 targets. */
typedef unsigned long fmt_uint;

/* Writes the digits of `value` ending at `end`; returns the first. */
static char *digits(char *end, fmt_uint value, unsigned base, char letter) {
  do {
    unsigned digit = (unsigned)(value % base);
    *--end = (char)(digit < 10u ? '0' + digit : letter + digit - 10u);
    value /= base;
  } while (value != 0u);
  return end;
}

/* Fixed-point text of the IEEE double `bits` (sign cleared) with
 * `precision` decimals, ending at `end`. The significand is cut to 32 bits:
 * exact for floats, 9 digits for doubles. Not for nan or inf. */
static char *fixed(char *end, uint64_t bits, unsigned precision) {
  uint32_t exponent = (uint32_t)(bits >> 52);
  uint32_t mant = exponent != 0u ? (uint32_t)(bits >> 21) | 0x80000000u : 0u;
  int shift = 1054 - (int)exponent; /* value = mant / 2^shift */
  uint32_t scale = 1, whole = mant, frac = 0;
  for (unsigned i = 0; i < precision; i++) scale *= 10u;
  /* At or above 2^32: divide by ten, one trailing zero each time. */
  for (; shift < 0; *--end = '0') {
    whole /= 10u;
    while (whole < 0x80000000u && shift < 0) whole <<= 1, shift++;
  }
  if (shift >= 64) whole = 0;
  else if (shift >= 32) whole = 0, frac = mant >> (shift - 32);
  else if (shift > 0) whole = mant >> shift, frac = mant << (32 - shift);
  uint32_t decimals = (uint32_t)(((uint64_t)frac * scale + 0x80000000u) >> 32);
  if (decimals >= scale) decimals = 0, whole++;
  if (precision > 0u) {
    char *first = digits(end, decimals, 10u, 'a');
    while (first > end - precision) *--first = '0';
    end = first;
    *--end = '.';
  }
  return digits(end, whole, 10u, 'a');
}

typedef struct out_buf {
  char *buf;
  size_t size;
  size_t len;
} out_buf;

static void put(out_buf *o, char c, int count) {
  for (; count > 0; count--, o->len++) {
    if (o->len + 1u < o->size) o->buf[o->len] = c;
  }
}

/* Reads a decimal number (0 when there is none). */
static int number(const char **fmt) {
  int value = 0;
  for (; **fmt >= '0' && **fmt <= '9'; (*fmt)++) value = value * 10 + (**fmt - '0');
  return value;
}

size_t mf_vformat(char *buf, size_t size, const char *fmt, va_list args) {
  out_buf o = {buf, size, 0};
  char text[64];
  for (char c; (c = *fmt++) != '\0';) {
    if (c != '%') {
      put(&o, c, 1);
      continue;
    }
    int left = 0, width, precision = -1, is_long = 0;
    char fill = ' ', sign = 0;
    for (; *fmt == '-' || *fmt == '0'; fmt++) {
      if (*fmt == '-') left = 1;
      else fill = '0';
    }
    width = number(&fmt);
    if (*fmt == '.') fmt++, precision = number(&fmt);
    for (; *fmt == 'l' || *fmt == 'z'; fmt++) is_long = 1;
    char conv = *fmt;
    if (conv == '\0') break;
    fmt++;
    char *end = text + sizeof text, *str = end - 1;
    if (conv == 's') {
      str = end = (char *)(uintptr_t)va_arg(args, const char *);
      if (str == NULL) str = end = (char *)(uintptr_t)"(null)";
      while (*end != '\0' && (precision < 0 || end - str < precision)) end++;
      fill = ' ';
    } else if (conv == 'f') {
      double v = va_arg(args, double);
      uint64_t bits;
      memcpy(&bits, &v, sizeof bits);
      if ((bits >> 63) != 0u) sign = '-';
      bits = bits << 1 >> 1;
      if (bits >= 0x7FF0000000000000ull) { /* nan or inf */
        int nan = bits > 0x7FF0000000000000ull;
        if (nan) sign = 0;
        str = (char *)(uintptr_t)(nan ? "nan" : "inf");
        end = str + 3;
        fill = ' ';
      } else {
        str = fixed(end, bits, precision < 0 ? 6u : precision > 9 ? 9u : (unsigned)precision);
      }
    } else if (memchr("diuxXp", conv, 6) != NULL) {
      fmt_uint v;
      if (conv == 'p') {
        v = (fmt_uint)(uintptr_t)va_arg(args, void *);
      } else if (conv == 'd' || conv == 'i') {
        long n = is_long ? va_arg(args, long) : va_arg(args, int);
        if (n < 0) sign = '-';
        v = n < 0 ? 0ul - (fmt_uint)n : (fmt_uint)n;
      } else {
        v = is_long ? va_arg(args, fmt_uint) : va_arg(args, unsigned);
      }
      str = digits(end, v, conv == 'x' || conv == 'X' || conv == 'p' ? 16u : 10u, conv == 'X' ? 'A' : 'a');
      if (conv == 'p') *--str = 'x', *--str = '0';
    } else { /* %c, %% and unknown conversions print one character */
      *str = conv == 'c' ? (char)va_arg(args, int) : conv;
    }
    if (sign != 0) width--;
    if (fill == '0' && !left) {
      while (end - str < width && str > text + 1) *--str = '0';
    }
    if (sign != 0) *--str = sign, width++;
    int pad = width - (int)(end - str);
    if (!left) put(&o, ' ', pad);
    while (str < end) put(&o, *str++, 1);
    if (left) put(&o, ' ', pad);
  }
  if (size > 0u) buf[o.len < size ? o.len : size - 1u] = '\0';
  return o.len < size ? o.len : (size > 0u ? size - 1u : 0u);
}

size_t mf_format(char *buf, size_t size, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  size_t len = mf_vformat(buf, size, fmt, args);
  va_end(args);
  return len;
}
