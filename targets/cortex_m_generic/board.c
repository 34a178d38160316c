/* Generic Cortex-M: the runtime as a static library for any core
 * (TARGET_ARCH). There is no start-up code or console here: the application
 * has its own, and provides
 *   void mf_board_write(const char *data, size_t len);   (its log output)
 * Everything else of mf_board.h is here: ticks from the DWT cycle counter
 * where the core has one (ARMv7-M / ARMv8-M mainline; 0 on ARMv6-M and
 * ARMv8-M baseline), the core clock from MF_CORE_CLOCK_HZ (0 = unknown when
 * not defined), and an exit that prints "MF-EXIT code=<n>" and idles. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "../common/cortex_m/mf_cortex_m.h"

#ifndef MF_CORE_CLOCK_HZ
#define MF_CORE_CLOCK_HZ 0u
#endif

#if MF_CORTEX_M_V7 || MF_CORTEX_M_V8_MAIN
#define HAS_CYCLE_COUNTER 1
#else
#define HAS_CYCLE_COUNTER 0
#endif

void mf_board_init(void) {
#if HAS_CYCLE_COUNTER
  (void)mf_dwt_start();
#endif
}

uint32_t mf_board_ticks(void) {
#if HAS_CYCLE_COUNTER
  return mf_dwt_cycles();
#else
  return 0u;
#endif
}

uint32_t mf_board_ticks_per_second(void) { return HAS_CYCLE_COUNTER ? MF_CORE_CLOCK_HZ : 0u; }

void mf_board_exit(int code) {
  mf_cortex_m_print_exit(code);
  mf_cortex_m_idle_forever();
}
