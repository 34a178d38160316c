/* Cortex-M vector table and reset handler shared by every Arm board.
 *
 * Reset: load MSP from the linker's stack top (a bootloader may jump here
 * without doing so), point VTOR at our table, enable the FPU when compiled
 * for one, let the board bring its console up, copy .data and zero .bss
 * through the linker's init tables, paint the stack, arm the stack guard,
 * unmask interrupts, then run main() and hand its result to mf_board_exit().
 *
 * The board sets MF_BOARD_IRQ_COUNT (number of external interrupt vectors).
 * Every exception or interrupt without a handler of its own ends in the
 * fault report, so an unexpected interrupt is never silently ignored. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "mf_cortex_m.h"

#ifndef MF_BOARD_IRQ_COUNT
#define MF_BOARD_IRQ_COUNT 32
#endif

#define MF_STACK_PAINT 0xA5A5A5A5u

typedef void (*mf_vector)(void);

int main(void);

/* Linker script symbols. */
extern uint32_t __stack_top[];
extern uint32_t __stack_bottom[];
extern const uint32_t __mf_copy_table_start[];
extern const uint32_t __mf_copy_table_end[];
extern const uint32_t __mf_zero_table_start[];
extern const uint32_t __mf_zero_table_end[];

void mf_reset_handler(void);
void mf_cortex_m_start(void) __attribute__((noreturn, used));

__attribute__((weak)) void mf_board_early_init(void) {}

/* Exceptions a board or an application may take over. */
void mf_nmi_handler(void) __attribute__((weak, alias("mf_unexpected_exception")));
void mf_svc_handler(void) __attribute__((weak, alias("mf_unexpected_exception")));
void mf_debugmon_handler(void) __attribute__((weak, alias("mf_unexpected_exception")));
void mf_pendsv_handler(void) __attribute__((weak, alias("mf_unexpected_exception")));
void mf_systick_handler(void) __attribute__((weak, alias("mf_unexpected_exception")));
void mf_irq_handler(void) __attribute__((weak, alias("mf_unexpected_exception")));

/* Keeps LR (EXC_RETURN) intact for the fault entry. */
__attribute__((naked, used)) void mf_unexpected_exception(void) {
  __asm__ volatile(
      "ldr r3, =mf_cortex_m_fault_entry\n"
      "bx r3\n"
      ".ltorg\n");
}

#if MF_BOARD_IRQ_COUNT < 1 || MF_BOARD_IRQ_COUNT > 240
#error "MF_BOARD_IRQ_COUNT must be 1..240"
#endif

/* Repeats of the IRQ vector, combined by the bits of MF_BOARD_IRQ_COUNT. */
#define MF_V1 mf_irq_handler
#define MF_V2 MF_V1, MF_V1
#define MF_V4 MF_V2, MF_V2
#define MF_V8 MF_V4, MF_V4
#define MF_V16 MF_V8, MF_V8
#define MF_V32 MF_V16, MF_V16
#define MF_V64 MF_V32, MF_V32
#define MF_V128 MF_V64, MF_V64

__attribute__((section(".vectors"), used)) const mf_vector mf_vector_table[16 + MF_BOARD_IRQ_COUNT] = {
    (mf_vector)(uintptr_t)__stack_top,
    mf_reset_handler,
    mf_nmi_handler,
    mf_cortex_m_fault_entry, /* HardFault */
    mf_cortex_m_fault_entry, /* MemManage */
    mf_cortex_m_fault_entry, /* BusFault */
    mf_cortex_m_fault_entry, /* UsageFault */
    mf_cortex_m_fault_entry, /* SecureFault (v8-M), reserved otherwise */
    0,
    0,
    0,
    mf_svc_handler,
    mf_debugmon_handler,
    0,
    mf_pendsv_handler,
    mf_systick_handler,
#if MF_BOARD_IRQ_COUNT & 1
    MF_V1,
#endif
#if MF_BOARD_IRQ_COUNT & 2
    MF_V2,
#endif
#if MF_BOARD_IRQ_COUNT & 4
    MF_V4,
#endif
#if MF_BOARD_IRQ_COUNT & 8
    MF_V8,
#endif
#if MF_BOARD_IRQ_COUNT & 16
    MF_V16,
#endif
#if MF_BOARD_IRQ_COUNT & 32
    MF_V32,
#endif
#if MF_BOARD_IRQ_COUNT & 64
    MF_V64,
#endif
#if MF_BOARD_IRQ_COUNT & 128
    MF_V128,
#endif
};

/* Sets MSP first: the SparkFun SVL jumps to the reset vector without it. */
__attribute__((naked, used)) void mf_reset_handler(void) {
  __asm__ volatile(
      "ldr r0, =__stack_top\n"
      "mov sp, r0\n"
      "ldr r0, =mf_cortex_m_start\n"
      "bx r0\n"
      ".ltorg\n");
}

/* Volatile stores keep the compiler from turning these loops into
 * memcpy/memset calls, which do not exist yet at this point. */
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
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

void mf_cortex_m_start(void) {
  mf_cm_disable_irq();
#if MF_CORTEX_M_V7 || MF_CORTEX_M_V8_MAIN
  MF_REG32(MF_SCB_VTOR) = (uint32_t)(uintptr_t)mf_vector_table;
#endif
#if defined(__ARM_FP)
  MF_REG32(MF_SCB_CPACR) |= 0xFu << 20; /* CP10, CP11 full access */
  mf_cm_dsb();
  mf_cm_isb();
#endif
  mf_board_early_init();

  for (const uint32_t *entry = __mf_copy_table_start; entry < __mf_copy_table_end; entry += 3) {
    copy_words((volatile uint32_t *)(uintptr_t)entry[1], (const volatile uint32_t *)(uintptr_t)entry[0],
               entry[2]);
  }
  for (const uint32_t *entry = __mf_zero_table_start; entry < __mf_zero_table_end; entry += 2) {
    fill_words((volatile uint32_t *)(uintptr_t)entry[0], 0u, entry[1]);
  }

  /* Paint the unused stack for the high-water mark, keeping clear of this frame. */
  uint32_t paint_end = (current_sp() - 64u) & ~3u;
  uint32_t paint_start = (uint32_t)(uintptr_t)__stack_bottom;
  if (paint_end > paint_start) {
    fill_words((volatile uint32_t *)(uintptr_t)paint_start, MF_STACK_PAINT, paint_end - paint_start);
  }
  mf_cortex_m_stack_guard_init();
  mf_cm_enable_irq();

  mf_board_exit(main());
  mf_cortex_m_idle_forever();
}

void mf_cortex_m_idle_forever(void) {
  mf_cm_disable_irq();
  for (;;) {
    mf_cm_wfi();
  }
}
