/* mf_format: a small, freestanding snprintf subset. %f uses integer
 * arithmetic only (no floating-point or 64-bit division helpers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mf_log.h"

/* unsigned long holds a size_t and a pointer on ILP32 and LP64 targets. */
typedef unsigned long fmt_uint;

/* Writes the digits of `value` ending at `end`, at least `count` of them
 * (leading zeros); returns the first. */
static char *digits(char *end, fmt_uint value, unsigned base, int count) {
  do {
    unsigned digit = (unsigned)(value % base);
    *--end = (char)(digit < 10u ? '0' + digit : 'a' + digit - 10u);
    value /= base;
  } while (--count > 0 || value != 0u);
  return end;
}

/* Fixed-point text of the IEEE double `bits` (sign cleared, below 2^128)
 * with `precision` decimals, ending at `end`. The significand is cut to 32
 * bits: float values print exactly below 2^32; above, the leading digits
 * keep the float precision (7 significant digits at least) and zeros follow. */
static char *fixed(char *end, uint64_t bits, unsigned precision) {
  uint32_t exponent = (uint32_t)(bits >> 52);
  uint32_t mant = exponent != 0u ? (uint32_t)(bits >> 21) | 0x80000000u : 0u;
  int shift = 1054 - (int)exponent; /* value = mant / 2^shift */
  uint32_t scale = 1, whole = mant, frac = 0, zeros = 0;
  for (unsigned i = 0; i < precision; i++) scale *= 10u;
  /* At or above 2^32: divide by ten, one trailing zero each time. */
  for (; shift < 0; zeros++) {
    whole /= 10u;
    while (whole < 0x80000000u && shift < 0) whole <<= 1, shift++;
  }
  if (shift >= 64) whole = 0;
  else if (shift >= 32) whole = 0, frac = mant >> (shift - 32);
  else if (shift > 0) whole = mant >> shift, frac = mant << (32 - shift);
  uint32_t decimals = (uint32_t)(((uint64_t)frac * scale + 0x80000000u) >> 32);
  if (decimals >= scale) decimals = 0, whole++;
  if (precision > 0u) {
    end = digits(end, decimals, 10u, (int)precision);
    *--end = '.';
  }
  while (zeros-- > 0u) *--end = '0';
  return digits(end, whole, 10u, 1);
}

size_t mf_vformat(char *buf, size_t size, const char *fmt, va_list args) {
  size_t len = 0;
  char text[64];
  for (char c; (c = *fmt++) != '\0';) {
    const char *str = &c, *end = &c + 1;
    if (c == '%') {
      unsigned precision = 6;
      int is_long = 0;
      if (*fmt == '.') {
        for (precision = 0; *++fmt >= '0' && *fmt <= '9';)
          precision = precision * 10u + (unsigned)(*fmt - '0');
        if (precision > 9u) precision = 9;
      }
      for (; *fmt == 'l' || *fmt == 'z'; fmt++) is_long = 1;
      char conv = *fmt;
      if (conv == '\0') break;
      fmt++;
      char *first = text + sizeof text, sign = 0;
      end = first;
      if (conv == 's') {
        str = va_arg(args, const char *);
        if (str == NULL) str = "(null)";
        end = str + strlen(str);
      } else if (conv == 'f') {
        double v = va_arg(args, double);
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        if ((bits >> 63) != 0u) sign = '-';
        bits = bits << 1 >> 1;
        if (bits < 0x47F0000000000000ull) { /* below 2^128 */
          first = fixed(first, bits, precision);
        } else { /* inf (also beyond the float range), or nan (no sign) */
          int nan = bits > 0x7FF0000000000000ull;
          if (nan) sign = 0;
          first -= 3;
          memcpy(first, &"infnan"[nan * 3], 3);
        }
      } else if (conv == 'd' || conv == 'i' || conv == 'u' || conv == 'x') {
        fmt_uint v;
        if (conv <= 'i') {
          long n = is_long ? va_arg(args, long) : va_arg(args, int);
          if (n < 0) sign = '-';
          v = n < 0 ? 0ul - (fmt_uint)n : (fmt_uint)n;
        } else {
          v = is_long ? va_arg(args, fmt_uint) : va_arg(args, unsigned);
        }
        first = digits(first, v, conv == 'x' ? 16u : 10u, 1);
      } else { /* %c, %% and unknown conversions print one character */
        *--first = conv == 'c' ? (char)va_arg(args, int) : conv;
      }
      if (sign != 0) *--first = sign;
      if (conv != 's') str = first;
    }
    for (; str < end; str++, len++) {
      if (len + 1u < size) buf[len] = *str;
    }
  }
  if (size > 0u) buf[len < size ? len : size - 1u] = '\0';
  return len < size ? len : (size > 0u ? size - 1u : 0u);
}

size_t mf_format(char *buf, size_t size, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  size_t len = mf_vformat(buf, size, fmt, args);
  va_end(args);
  return len;
}
