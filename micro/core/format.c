/* mf_format: a small, freestanding snprintf subset. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "mf_log.h"

/* unsigned long holds a size_t and a pointer on ILP32 and LP64 targets. */
typedef unsigned long fmt_uint;

typedef struct out_buf {
  char *buf;
  size_t size;
  size_t len;
} out_buf;

static void put(out_buf *out, char c, int count) {
  for (; count > 0; count--) {
    if (out->len + 1u < out->size) out->buf[out->len] = c;
    out->len++;
  }
}

/* Writes the digits of `value` ending at `end`; returns the first. */
static char *digits(char *end, fmt_uint value, unsigned base, int upper) {
  do {
    unsigned digit = (unsigned)(value % base);
    *--end = (char)(digit < 10u ? '0' + digit : (upper ? 'A' : 'a') + digit - 10u);
    value /= base;
  } while (value != 0u);
  return end;
}

/* Fixed-point text of `value` (>= 0) with `precision` decimals, ending at `end`. */
static char *fixed(char *end, double value, int precision) {
  if (value != value) {
    end -= 3;
    end[0] = 'n', end[1] = 'a', end[2] = 'n';
    return end;
  }
  if (precision > 9) precision = 9;
  fmt_uint scale = 1;
  for (int i = 0; i < precision; i++) scale *= 10u;
  int zeros = 0; /* beyond 9 integer digits, print zeros (float has 7) */
  while (value >= 1e9 && zeros < 40) value *= 0.1, zeros++;
  /* Round once at the last decimal, then split. */
  fmt_uint scaled = (fmt_uint)(value * (double)scale + 0.5);
  fmt_uint whole = scaled / scale, frac = scaled % scale;
  char *p = end - zeros;
  for (int i = 0; i < zeros; i++) p[i] = '0';
  if (precision > 0) {
    char *first = digits(p, frac, 10u, 0);
    while (first > p - precision) *--first = '0';
    *--first = '.';
    p = first;
  }
  return digits(p, whole, 10u, 0);
}

size_t mf_vformat(char *buf, size_t size, const char *fmt, va_list args) {
  out_buf out = {buf, size, 0};
  char text[72];
  for (char c; (c = *fmt++) != '\0';) {
    if (c != '%') {
      put(&out, c, 1);
      continue;
    }
    int left = 0, width = 0, precision = -1, is_long = 0;
    char fill = ' ';
    for (; *fmt == '-' || *fmt == '0'; fmt++) {
      if (*fmt == '-') left = 1;
      else fill = '0';
    }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    if (*fmt == '.') {
      precision = 0;
      while (*++fmt >= '0' && *fmt <= '9') precision = precision * 10 + (*fmt - '0');
    }
    for (; *fmt == 'l' || *fmt == 'z'; fmt++) is_long = 1;
    char conv = *fmt;
    if (conv == '\0') break;
    fmt++;
    char *end = text + sizeof text;
    const char *str = end;
    int negative = 0;
    if (conv == 'd' || conv == 'i') {
      long v = is_long ? va_arg(args, long) : va_arg(args, int);
      negative = v < 0;
      str = digits(end, negative ? 0ul - (fmt_uint)v : (fmt_uint)v, 10u, 0);
    } else if (conv == 'u' || conv == 'x' || conv == 'X') {
      fmt_uint v = is_long ? va_arg(args, fmt_uint) : va_arg(args, unsigned);
      str = digits(end, v, conv == 'u' ? 10u : 16u, conv == 'X');
    } else if (conv == 'p') {
      str = digits(end, (fmt_uint)(uintptr_t)va_arg(args, void *), 16u, 0) - 2;
      ((char *)str)[0] = '0', ((char *)str)[1] = 'x';
    } else if (conv == 'f') {
      double v = va_arg(args, double);
      negative = v < 0;
      str = fixed(end, negative ? -v : v, precision < 0 ? 6 : precision);
    } else if (conv == 's') {
      str = va_arg(args, const char *);
      if (str == NULL) str = "(null)";
      end = (char *)str;
      while (*end != '\0' && (precision < 0 || end - str < precision)) end++;
      fill = ' ';
    } else { /* %c, %% and unknown conversions print one character */
      text[0] = conv == 'c' ? (char)va_arg(args, int) : conv;
      str = text;
      end = text + 1;
    }
    int len = (int)(end - str) + negative;
    if (fill == '0' && negative) put(&out, '-', 1);
    if (!left) put(&out, fill, width - len);
    if (fill != '0' && negative) put(&out, '-', 1);
    for (const char *p = str; p < str + len - negative; p++) put(&out, *p, 1);
    if (left) put(&out, ' ', width - len);
  }
  if (size > 0u) buf[out.len < size ? out.len : size - 1u] = '\0';
  return out.len < size ? out.len : (size > 0u ? size - 1u : 0u);
}

size_t mf_format(char *buf, size_t size, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  size_t len = mf_vformat(buf, size, fmt, args);
  va_end(args);
  return len;
}
