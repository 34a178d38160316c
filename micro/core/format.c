/* mf_format: a small, freestanding snprintf subset. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "mf_log.h"

typedef struct out_buf {
  char *buf;
  size_t size;
  size_t len;
} out_buf;

static void put(out_buf *out, char c) {
  if (out->len + 1u < out->size) out->buf[out->len] = c;
  out->len++;
}

static void pad(out_buf *out, char c, int count) {
  while (count-- > 0) put(out, c);
}

/* Emits `text` of `len` characters inside a field of `width`. */
static void field(out_buf *out, const char *text, int len, int width, int left, char fill) {
  /* A zero fill goes after the sign. */
  if (fill == '0' && len > 0 && text[0] == '-') {
    put(out, '-');
    text++;
    len--;
    width--;
  }
  if (!left) pad(out, fill, width - len);
  for (int i = 0; i < len; i++) put(out, text[i]);
  if (left) pad(out, ' ', width - len);
}

/* Writes the digits of `value` ending at `end`; returns the first. */
static char *digits(char *end, unsigned long long value, unsigned base, int upper) {
  const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    /* 32-bit division when it fits keeps 64-bit helpers off small cores. */
    if ((value >> 32) == 0u) {
      uint32_t v = (uint32_t)value;
      *--end = set[v % base];
      value = v / base;
    } else {
      *--end = set[value % base];
      value /= base;
    }
  } while (value != 0u);
  return end;
}

/* Fixed-point text of a double with `precision` decimals, into `text`. */
static int fixed(char *text, int cap, double value, int precision) {
  int n = 0;
  if (value != value) {
    text[0] = 'n', text[1] = 'a', text[2] = 'n';
    return 3;
  }
  if (value < 0) {
    text[n++] = '-';
    value = -value;
  }
  if (value > 1.8e19) {
    text[n++] = 'i', text[n++] = 'n', text[n++] = 'f';
    return n;
  }
  if (precision > 9) precision = 9;
  double rounding = 0.5;
  for (int i = 0; i < precision; i++) rounding /= 10.0;
  value += rounding;
  unsigned long long whole = (unsigned long long)value;
  double frac = value - (double)whole;
  char tmp[24];
  char *start = digits(tmp + sizeof tmp, whole, 10u, 0);
  while (start < tmp + sizeof tmp && n < cap) text[n++] = *start++;
  if (precision > 0) text[n++] = '.';
  for (int i = 0; i < precision; i++) {
    frac *= 10.0;
    int digit = (int)frac;
    text[n++] = (char)('0' + digit);
    frac -= digit;
  }
  return n;
}

size_t mf_vformat(char *buf, size_t size, const char *fmt, va_list args) {
  out_buf out = {buf, size, 0};
  char text[40];
  while (*fmt != '\0') {
    char c = *fmt++;
    if (c != '%') {
      put(&out, c);
      continue;
    }
    int left = 0;
    char fill = ' ';
    for (;; fmt++) {
      if (*fmt == '-') left = 1;
      else if (*fmt == '0') fill = '0';
      else break;
    }
    if (left) fill = ' ';
    int width = 0;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    int precision = -1;
    if (*fmt == '.') {
      fmt++;
      precision = 0;
      while (*fmt >= '0' && *fmt <= '9') precision = precision * 10 + (*fmt++ - '0');
    }
    int longs = 0;
    while (*fmt == 'l' || *fmt == 'z') longs += (*fmt++ == 'z') ? 3 : 1;
    char conv = *fmt;
    if (conv == '\0') break;
    fmt++;
    char *end = text + sizeof text;
    const char *str = text;
    int len;
    switch (conv) {
      case 'd':
      case 'i': {
        long long v = longs >= 3 ? (long long)va_arg(args, ptrdiff_t)
                      : longs == 2 ? va_arg(args, long long)
                      : longs == 1 ? va_arg(args, long)
                                   : va_arg(args, int);
        unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        char *first = digits(end, mag, 10u, 0);
        if (v < 0) *--first = '-';
        str = first;
        len = (int)(end - first);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'p': {
        unsigned long long v;
        if (conv == 'p') v = (uintptr_t)va_arg(args, void *);
        else if (longs >= 3) v = va_arg(args, size_t);
        else if (longs == 2) v = va_arg(args, unsigned long long);
        else if (longs == 1) v = va_arg(args, unsigned long);
        else v = va_arg(args, unsigned);
        char *first = digits(end, v, conv == 'u' ? 10u : 16u, conv == 'X');
        if (conv == 'p') *--first = 'x', *--first = '0';
        str = first;
        len = (int)(end - first);
        break;
      }
      case 'f':
        len = fixed(text, (int)sizeof text - 12, va_arg(args, double),
                    precision < 0 ? 6 : precision);
        break;
      case 'c':
        text[0] = (char)va_arg(args, int);
        len = 1;
        break;
      case 's':
        str = va_arg(args, const char *);
        if (str == NULL) str = "(null)";
        for (len = 0; str[len] != '\0' && (precision < 0 || len < precision); len++) {
        }
        fill = ' ';
        break;
      default: /* '%' and unknown conversions print themselves */
        text[0] = conv;
        len = 1;
        break;
    }
    field(&out, str, len, width, left, fill);
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
