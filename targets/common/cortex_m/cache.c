/* Cortex-M7 L1 instruction and data caches. The data cache is invalidated
 * set by set and way by way (geometry read from CCSIDR) before it is turned
 * on; neither cache is touched when already enabled. */
#include <stdint.h>

#include "mf_cortex_m.h"

void mf_cortex_m_enable_icache(void) {
#if MF_CORTEX_M_V7
  if ((MF_REG32(MF_SCB_CCR) & MF_CCR_IC) != 0u) {
    return;
  }
  mf_cm_dsb();
  mf_cm_isb();
  MF_REG32(MF_SCB_ICIALLU) = 0u;
  mf_cm_dsb();
  mf_cm_isb();
  MF_REG32(MF_SCB_CCR) |= MF_CCR_IC;
  mf_cm_dsb();
  mf_cm_isb();
#endif
}

void mf_cortex_m_enable_dcache(void) {
#if MF_CORTEX_M_V7
  if ((MF_REG32(MF_SCB_CCR) & MF_CCR_DC) != 0u) {
    return;
  }
  MF_REG32(MF_SCB_CSSELR) = 0u; /* level 1 data cache */
  mf_cm_dsb();
  uint32_t ccsidr = MF_REG32(MF_SCB_CCSIDR);
  uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
  uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
  uint32_t set_shift = (ccsidr & 7u) + 4u; /* log2 of the line size in bytes */
  uint32_t way_bits = 0;
  while ((1u << way_bits) < ways) {
    ++way_bits;
  }
  uint32_t way_shift = 32u - way_bits; /* ways sit in the top bits */
  for (uint32_t set = 0; set < sets; ++set) {
    for (uint32_t way = 0; way < ways; ++way) {
      uint32_t way_field = way_bits == 0u ? 0u : way << way_shift;
      MF_REG32(MF_SCB_DCISW) = (set << set_shift) | way_field;
    }
  }
  mf_cm_dsb();
  MF_REG32(MF_SCB_CCR) |= MF_CCR_DC;
  mf_cm_dsb();
  mf_cm_isb();
#endif
}
