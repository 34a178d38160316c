/* End of a run on a real board: there is no host to return a code to, so
 * the code is printed as "MF-EXIT code=<n>". */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "mf_cortex_m.h"

void mf_cortex_m_print_exit(int code) {
  char line[32] = "MF-EXIT code=";
  size_t at = 13;
  uint32_t magnitude = (uint32_t)code;
  if (code < 0) {
    line[at++] = '-';
    magnitude = 0u - magnitude;
  }
  char digits[10];
  size_t count = 0;
  do {
    digits[count++] = (char)('0' + magnitude % 10u);
    magnitude /= 10u;
  } while (magnitude != 0u);
  while (count > 0u) {
    line[at++] = digits[--count];
  }
  line[at++] = '\n';
  mf_board_write(line, at);
}
