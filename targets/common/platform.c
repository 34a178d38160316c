/* The runtime's platform hooks (mf_platform.h) over the board interface (mf_board.h). */
#include "mf_board.h"
#include "mf_platform.h"

void mf_platform_log(const char *text, size_t len) {
  mf_board_write(text, len);
}

uint32_t mf_platform_ticks(void) {
  return mf_board_ticks();
}
