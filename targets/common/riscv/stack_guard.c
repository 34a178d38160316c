/* Stack guard and stack high-water mark (RISC-V machine mode).
 *
 * The linker script puts a guard block (a power of two, aligned to its size)
 * below the main stack. Where PMP is implemented the block becomes PMP
 * entry 0: NAPOT, no permissions, locked, so the check applies to machine
 * mode too and an overflowing store traps (store access fault, mtval = the
 * address). The block also holds a canary, checked where PMP is absent. */
#include <stddef.h>
#include <stdint.h>

#include "mf_riscv.h"

#define MF_STACK_CANARY 0x5AFE57ACu
#define MF_STACK_PAINT 0xA5A5A5A5u
#define MF_PMP_LOCK 0x80u
#define MF_PMP_NAPOT 0x18u

extern uint32_t __stack_guard_start[];
extern uint32_t __stack_guard_end[];
extern uint32_t __stack_bottom[];
extern uint32_t __stack_top[];

static int pmp_guard_active(void) {
  uint32_t config;
  MF_CSR_READ(pmpcfg0, config);
  return (config & 0xFFu) == (MF_PMP_LOCK | MF_PMP_NAPOT);
}

void mf_riscv_stack_guard_init(void) {
  volatile uint32_t *guard = __stack_guard_start;
  uint32_t start = (uint32_t)(uintptr_t)__stack_guard_start;
  uint32_t bytes = (uint32_t)((uintptr_t)__stack_guard_end - (uintptr_t)__stack_guard_start);
  for (uint32_t i = 0; i < bytes / 4u; ++i) {
    guard[i] = MF_STACK_CANARY;
  }
  if (bytes < 8u || (bytes & (bytes - 1u)) != 0u || (start & (bytes - 1u)) != 0u) {
    return; /* the linker script guarantees this; never program a bad region */
  }
  uint32_t napot = (start >> 2) | ((bytes >> 3) - 1u);
  MF_CSR_WRITE(pmpaddr0, napot);
  uint32_t readback;
  MF_CSR_READ(pmpaddr0, readback);
  if (readback != napot) {
    return; /* no PMP: the canary alone */
  }
  uint32_t config = MF_PMP_LOCK | MF_PMP_NAPOT; /* entry 0, R = W = X = 0 */
  MF_CSR_WRITE(pmpcfg0, config);
}

int mf_riscv_stack_guard_intact(void) {
  if (pmp_guard_active()) {
    return 1; /* a write into the guard would have trapped */
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

size_t mf_riscv_stack_high_water(void) {
  const volatile uint32_t *word = __stack_bottom;
  const volatile uint32_t *top = __stack_top;
  while (word < top && *word == MF_STACK_PAINT) {
    ++word;
  }
  return (size_t)((uintptr_t)top - (uintptr_t)word);
}
