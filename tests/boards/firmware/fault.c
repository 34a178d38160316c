/* Faults on purpose. FAULT_KIND 1: an undefined instruction; 2: a load from
 * BAD_ADDRESS (unmapped); 3: unbounded recursion (stack overflow into the
 * guard); 4 (Arm): an undefined instruction in thread mode on the process
 * stack (PSP) with the FPU in use, so the handler must take the extended
 * frame from PSP. The faulting statements carry FAULT-LINE markers so the host can
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

#if FAULT_KIND == 4 && defined(__arm__)
static uint32_t process_stack[256] __attribute__((aligned(8)));

__attribute__((noinline)) void fault_on_process_stack(void) {
#if defined(__ARM_FP)
  volatile float value = 1.25f;
  value = value * 3.0f; /* FP context active: the exception frame is extended */
#endif
  __asm__ volatile("udf #1"); /* FAULT-LINE psp */
}

/* Switches thread mode to PSP (CONTROL.SPSEL) and calls `function` there. */
__attribute__((noreturn)) static void call_on_process_stack(void (*function)(void),
                                                            uint32_t *stack_top) {
  __asm__ volatile(
      "msr psp, %1\n"
      "mrs r2, control\n"
      "movs r3, #2\n"
      "orrs r2, r2, r3\n"
      "msr control, r2\n"
      "isb\n"
      "blx %0\n"
      :
      : "l"(function), "l"(stack_top)
      : "r2", "r3", "lr", "memory", "cc");
  for (;;) {
  }
}
#endif

int main(void) {
  mf_board_init();
  fw_puts("MF-SYNC fault\n");
#if FAULT_KIND == 1
  fault_undefined_instruction();
#elif FAULT_KIND == 2
  fw_put_u32(fault_bad_load(BAD_ADDRESS));
#elif FAULT_KIND == 3
  fw_put_u32(fault_recurse(0));
#elif FAULT_KIND == 4 && defined(__arm__)
  call_on_process_stack(fault_on_process_stack, &process_stack[256]);
#endif
  fw_puts("not reached\n");
  return 0;
}
