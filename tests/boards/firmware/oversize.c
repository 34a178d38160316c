/* Static data larger than a memory region: the link must fail with ld's
 * region overflow message. OVERSIZE_RAM / OVERSIZE_FLASH give the size. */
#include <stdint.h>

#include "fw_print.h"

#if defined(OVERSIZE_RAM)
static volatile uint8_t too_big[OVERSIZE_RAM];
#define TOO_BIG too_big
#elif defined(OVERSIZE_FLASH)
static const volatile uint8_t too_big[OVERSIZE_FLASH] = {1};
#define TOO_BIG too_big
#endif

int main(void) {
  mf_board_init();
  fw_put_u32(TOO_BIG[sizeof(TOO_BIG) - 1]);
  return 0;
}
