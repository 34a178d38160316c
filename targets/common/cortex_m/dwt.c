/* DWT cycle counter. Cortex-M7 needs the DWT lock cleared first; every core
 * needs DEMCR.TRCENA. Cores built without CYCCNT set DWT_CTRL.NOCYCCNT, and
 * an emulator may leave it at zero: both report "absent" so the board can
 * fall back to a timer. */
#include <stdint.h>

#include "mf_cortex_m.h"

#define MF_SCB_CPUID 0xE000ED00u
#define MF_CPUID_PARTNO_CORTEX_M7 0xC27u
#define MF_DEMCR_TRCENA (1u << 24)
#define MF_DWT_CTRL_NOCYCCNT (1u << 25)
#define MF_DWT_CTRL_CYCCNTENA 1u
#define MF_DWT_UNLOCK_KEY 0xC5ACCE55u

int mf_dwt_start(void) {
#if MF_CORTEX_M_V7 || MF_CORTEX_M_V8_MAIN
  uint32_t partno = (MF_REG32(MF_SCB_CPUID) >> 4) & 0xFFFu;
  MF_REG32(MF_DEMCR) |= MF_DEMCR_TRCENA;
  if (partno == MF_CPUID_PARTNO_CORTEX_M7) {
    MF_REG32(MF_DWT_LAR) = MF_DWT_UNLOCK_KEY;
  }
  if ((MF_REG32(MF_DWT_CTRL) & MF_DWT_CTRL_NOCYCCNT) != 0u) {
    return 0;
  }
  MF_REG32(MF_DWT_CYCCNT) = 0u;
  MF_REG32(MF_DWT_CTRL) |= MF_DWT_CTRL_CYCCNTENA;
  uint32_t first = mf_dwt_cycles();
  for (volatile int i = 0; i < 4; ++i) {
  }
  return mf_dwt_cycles() != first;
#else
  return 0;
#endif
}
