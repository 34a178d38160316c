/* Times a loop of known length: LOOP_ITERATIONS iterations of two
 * instructions (decrement, branch), between two mf_board_ticks() reads.
 * Prints "loop=<ticks> empty=<ticks>", where "empty" times zero work the
 * same way, so the host can check loop - empty == 2 * iterations. */
#include <stdint.h>

#include "fw_print.h"

#ifndef LOOP_ITERATIONS
#define LOOP_ITERATIONS 100000u
#endif

__attribute__((noinline)) static uint32_t time_loop(uint32_t iterations) {
  uint32_t start = mf_board_ticks();
#if defined(__arm__)
  __asm__ volatile(
      "1:\n"
      "subs %0, %0, #1\n"
      "bne 1b\n"
      : "+l"(iterations)
      :
      : "cc");
#elif defined(__riscv)
  __asm__ volatile(
      "1:\n"
      "addi %0, %0, -1\n"
      "bnez %0, 1b\n"
      : "+r"(iterations));
#else
#error "unsupported architecture"
#endif
  return mf_board_ticks() - start;
}

__attribute__((noinline)) static uint32_t time_nothing(void) {
  uint32_t start = mf_board_ticks();
  __asm__ volatile("" ::: "memory");
  return mf_board_ticks() - start;
}

int main(void) {
  mf_board_init();
  uint32_t empty = time_nothing();
  uint32_t loop = time_loop(LOOP_ITERATIONS);
  fw_puts("loop=");
  fw_put_u32(loop);
  fw_puts(" empty=");
  fw_put_u32(empty);
  fw_puts("\n");
  return 0;
}
