/* Faults on purpose. FAULT_KIND 1: an undefined instruction; 2: a load from
 * BAD_ADDRESS (unmapped); 3: unbounded recursion (stack overflow into the
 * guard). The faulting statements carry FAULT-LINE markers so the host can
 * check the decoder's file and line. */
#include <stdint.h>

#include "fw_print.h"

#ifndef BAD_ADDRESS
#define BAD_ADDRESS 0xF0000000u
#endif

__attribute__((noinline)) void fault_undefined_instruction(void) {
#if defined(__arm__)
  __asm__ volatile("udf #0"); /* FAULT-LINE undefined arm */
#elif defined(__riscv)
  __asm__ volatile("unimp"); /* FAULT-LINE undefined riscv */
#endif
}

__attribute__((noinline)) uint32_t fault_bad_load(uintptr_t address) {
  return *(volatile uint32_t *)address; /* FAULT-LINE load */
}

/* Ends only by overflowing the stack (the depth limit is never reached). */
__attribute__((noinline)) uint32_t fault_recurse(volatile uint32_t depth) {
  volatile uint32_t frame[16];
  frame[depth % 16u] = depth;
  if (depth == 0xFFFFFFFFu) {
    return frame[0];
  }
  return fault_recurse(depth + 1u) + frame[0];
}

int main(void) {
  mf_board_init();
  fw_puts("MF-SYNC fault\n");
#if FAULT_KIND == 1
  fault_undefined_instruction();
#elif FAULT_KIND == 2
  fw_put_u32(fault_bad_load(BAD_ADDRESS));
#elif FAULT_KIND == 3
  fw_put_u32(fault_recurse(0));
#endif
  fw_puts("not reached\n");
  return 0;
}
