/* Stack guard and stack high-water mark.
 *
 * The linker script puts a guard block (a power of two, aligned to its size)
 * directly below the main stack. On ARMv7-M cores with an MPU the block
 * becomes a no-access, execute-never region: an overflowing push faults at
 * once (MemManage, escalated to HardFault) and the fault report names the
 * address in MMFAR. The block also holds a canary pattern, checked where no
 * MPU is present. The MPU is enabled with PRIVDEFENA (the default memory map
 * stays as it is everywhere else) and without HFNMIENA, so the fault handler
 * itself runs with the MPU off. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "mf_cortex_m.h"

#define MF_STACK_CANARY 0x5AFE57ACu
#define MF_STACK_PAINT 0xA5A5A5A5u

extern uint32_t __stack_guard_start[];
extern uint32_t __stack_guard_end[];
extern uint32_t __stack_bottom[];
extern uint32_t __stack_top[];

static int mpu_guard_active(void) {
#if MF_CORTEX_M_V7
  return (MF_REG32(MF_MPU_CTRL) & 1u) != 0;
#else
  return 0;
#endif
}

#if MF_CORTEX_M_V7
static uint32_t log2_of(uint32_t value) {
  uint32_t bits = 0;
  while ((1u << bits) < value && bits < 31u) {
    ++bits;
  }
  return bits;
}

static void enable_mpu_guard(uint32_t start, uint32_t size) {
  uint32_t regions = (MF_REG32(MF_MPU_TYPE) >> 8) & 0xFFu;
  if (regions == 0u) {
    return; /* no MPU: the canary alone */
  }
  uint32_t size_log2 = log2_of(size);
  if (size < 32u || (1u << size_log2) != size || (start & (size - 1u)) != 0u) {
    return; /* the linker script guarantees this; never program a bad region */
  }
  /* The highest-numbered region wins where regions overlap. */
  MF_REG32(MF_MPU_RNR) = regions - 1u;
  MF_REG32(MF_MPU_RBAR) = start;
  MF_REG32(MF_MPU_RASR) = (1u << 28) /* XN */ | (0u << 24) /* AP: no access */ |
                          ((size_log2 - 1u) << 1) | 1u /* ENABLE */;
  MF_REG32(MF_MPU_CTRL) = (1u << 2) /* PRIVDEFENA */ | 1u /* ENABLE */;
  mf_cm_dsb();
  mf_cm_isb();
}
#endif

void mf_cortex_m_stack_guard_init(void) {
  volatile uint32_t *guard = __stack_guard_start;
  uint32_t bytes = (uint32_t)((uintptr_t)__stack_guard_end - (uintptr_t)__stack_guard_start);
  for (uint32_t i = 0; i < bytes / 4u; ++i) {
    guard[i] = MF_STACK_CANARY;
  }
#if MF_CORTEX_M_V7
  enable_mpu_guard((uint32_t)(uintptr_t)__stack_guard_start, bytes);
#endif
}

int mf_cortex_m_stack_guard_intact(void) {
  if (mpu_guard_active()) {
    return 1; /* a write into the guard would have faulted */
  }
  const volatile uint32_t *guard = __stack_guard_start;
  uint32_t bytes = (uint32_t)((uintptr_t)__stack_guard_end - (uintptr_t)__stack_guard_start);
  for (uint32_t i = 0; i < bytes / 4u; ++i) {
    if (guard[i] != MF_STACK_CANARY) {
      return 0;
    }
  }
  return 1;
}

int mf_cortex_m_stack_checked_code(int code) {
  if (mf_cortex_m_stack_guard_intact()) {
    return code;
  }
  static const char message[] = "\nMF-FAULT stack guard overwritten\n";
  mf_board_write(message, sizeof(message) - 1u);
  return MF_STACK_EXIT_CODE;
}

size_t mf_cortex_m_stack_high_water(void) {
  const volatile uint32_t *word = __stack_bottom;
  const volatile uint32_t *top = __stack_top;
  while (word < top && *word == MF_STACK_PAINT) {
    ++word;
  }
  return (size_t)((uintptr_t)top - (uintptr_t)word);
}
