/* Console helpers for the board test firmware (no libc printf). */
#ifndef FW_PRINT_H
#define FW_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"

static inline void fw_puts(const char *text) {
  size_t len = 0;
  while (text[len] != '\0') {
    ++len;
  }
  mf_board_write(text, len);
}

static inline void fw_put_u32(uint32_t value) {
  char digits[10];
  size_t count = 0;
  do {
    digits[sizeof(digits) - 1 - count] = (char)('0' + value % 10u);
    value /= 10u;
    ++count;
  } while (value != 0u);
  mf_board_write(&digits[sizeof(digits) - count], count);
}

#endif
