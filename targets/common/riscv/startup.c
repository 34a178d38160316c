/* RISC-V machine-mode reset: global pointer, stack, trap vector, then .data
 * copy and .bss zeroing through the linker's init tables, stack painting,
 * the stack guard, main() and mf_board_exit(). The reset code is placed
 * first in the image (.text.start): QEMU `virt -bios none` jumps to the
 * start of RAM. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "mf_riscv.h"

#define MF_STACK_PAINT 0xA5A5A5A5u

int main(void);

extern uint32_t __stack_bottom[];
extern const uint32_t __mf_copy_table_start[];
extern const uint32_t __mf_copy_table_end[];
extern const uint32_t __mf_zero_table_start[];
extern const uint32_t __mf_zero_table_end[];

void mf_riscv_start(void) __attribute__((noreturn, used));

__attribute__((weak)) void mf_board_early_init(void) {}

__attribute__((naked, section(".text.start"))) void mf_riscv_reset(void) {
  __asm__ volatile(
      ".option push\n"
      ".option norelax\n"
      "la gp, __global_pointer$\n"
      ".option pop\n"
      "la sp, __stack_top\n"
      "la t0, mf_riscv_trap_entry\n"
      "csrw mtvec, t0\n"
      "j mf_riscv_start\n");
}

/* Volatile stores keep these loops from becoming memcpy/memset calls. */
static void copy_words(volatile uint32_t *dst, const volatile uint32_t *src, uint32_t bytes) {
  for (uint32_t i = 0; i < bytes / 4u; ++i) {
    dst[i] = src[i];
  }
}

static void fill_words(volatile uint32_t *dst, uint32_t value, uint32_t bytes) {
  for (uint32_t i = 0; i < bytes / 4u; ++i) {
    dst[i] = value;
  }
}

static uint32_t current_sp(void) {
  uint32_t sp;
  __asm__ volatile("mv %0, sp" : "=r"(sp));
  return sp;
}

void mf_riscv_start(void) {
  mf_board_early_init();
  for (const uint32_t *entry = __mf_copy_table_start; entry < __mf_copy_table_end; entry += 3) {
    copy_words((volatile uint32_t *)(uintptr_t)entry[1], (const volatile uint32_t *)(uintptr_t)entry[0],
               entry[2]);
  }
  for (const uint32_t *entry = __mf_zero_table_start; entry < __mf_zero_table_end; entry += 2) {
    fill_words((volatile uint32_t *)(uintptr_t)entry[0], 0u, entry[1]);
  }
  uint32_t paint_end = (current_sp() - 64u) & ~3u;
  uint32_t paint_start = (uint32_t)(uintptr_t)__stack_bottom;
  if (paint_end > paint_start) {
    fill_words((volatile uint32_t *)(uintptr_t)paint_start, MF_STACK_PAINT, paint_end - paint_start);
  }
  mf_riscv_stack_guard_init();

  mf_board_exit(main());
  mf_riscv_idle_forever();
}

void mf_riscv_idle_forever(void) {
  for (;;) {
    __asm__ volatile("wfi");
  }
}
