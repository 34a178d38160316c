/* Prints LINE_COUNT numbered lines and one long line, then exits with
 * EXIT_CODE: the host checks that every byte arrived and the code passed
 * through the emulator. */
#include <stdint.h>

#include "fw_print.h"

#ifndef EXIT_CODE
#define EXIT_CODE 0
#endif
#define LINE_COUNT 500u

int main(void) {
  mf_board_init();
  fw_puts("MF-SYNC console\n");
  for (uint32_t i = 0; i < LINE_COUNT; ++i) {
    fw_puts("line ");
    fw_put_u32(i);
    fw_puts(" sum=");
    fw_put_u32(i * 2654435761u);
    fw_puts("\n");
  }
  for (uint32_t i = 0; i < 300u; ++i) {
    char c = (char)('a' + i % 26u);
    mf_board_write(&c, 1);
  }
  fw_puts("\nticks_per_second=");
  fw_put_u32(mf_board_ticks_per_second());
  fw_puts("\nend\n");
  return EXIT_CODE;
}
