/* Shared Cortex-M support: system registers, start-up hooks, fault and
 * stack-guard helpers, semihosting. Boards include it as
 * "../common/cortex_m/mf_cortex_m.h". Register facts: ARMv7-M / ARMv8-M
 * architecture reference manuals (System Control Space). */
#ifndef MF_CORTEX_M_H
#define MF_CORTEX_M_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MF_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System Control Block and friends. */
#define MF_SCB_ICSR 0xE000ED04u
#define MF_SCB_VTOR 0xE000ED08u
#define MF_SCB_AIRCR 0xE000ED0Cu
#define MF_SCB_CCR 0xE000ED14u
#define MF_SCB_SHCSR 0xE000ED24u
#define MF_SCB_CFSR 0xE000ED28u
#define MF_SCB_HFSR 0xE000ED2Cu
#define MF_SCB_MMFAR 0xE000ED34u
#define MF_SCB_BFAR 0xE000ED38u
#define MF_SCB_CPACR 0xE000ED88u
#define MF_SCB_CCSIDR 0xE000ED80u
#define MF_SCB_CSSELR 0xE000ED84u
#define MF_SCB_ICIALLU 0xE000EF50u
#define MF_SCB_DCISW 0xE000EF60u

#define MF_MPU_TYPE 0xE000ED90u
#define MF_MPU_CTRL 0xE000ED94u
#define MF_MPU_RNR 0xE000ED98u
#define MF_MPU_RBAR 0xE000ED9Cu
#define MF_MPU_RASR 0xE000EDA0u

#define MF_DEMCR 0xE000EDFCu
#define MF_DWT_CTRL 0xE0001000u
#define MF_DWT_CYCCNT 0xE0001004u
#define MF_DWT_LAR 0xE0001FB0u

#define MF_CCR_DC (1u << 16)
#define MF_CCR_IC (1u << 17)

/* The core profile this file is compiled for. */
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
#define MF_CORTEX_M_V7 1
#else
#define MF_CORTEX_M_V7 0
#endif
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
#define MF_CORTEX_M_V8_MAIN 1
#else
#define MF_CORTEX_M_V8_MAIN 0
#endif

/* Exit code of a run that ended in a fault or a trap. */
#define MF_FAULT_EXIT_CODE 100
/* Exit code of a run whose stack guard was found overwritten. */
#define MF_STACK_EXIT_CODE 101

static inline void mf_cm_dsb(void) { __asm__ volatile("dsb 0xf" ::: "memory"); }
static inline void mf_cm_isb(void) { __asm__ volatile("isb 0xf" ::: "memory"); }
static inline void mf_cm_disable_irq(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void mf_cm_enable_irq(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void mf_cm_wfi(void) { __asm__ volatile("wfi"); }

/* Board hook called by the reset handler before .data/.bss are set up and
 * before main: put the console in a usable state so that a fault before
 * mf_board_init() is still reported. Weak, default does nothing. Must not
 * use initialised or zeroed static data. */
void mf_board_early_init(void);

/* Fault reporting. The common handler prints the MF-FAULT line through
 * mf_board_write() and calls mf_board_exit(MF_FAULT_EXIT_CODE). */
void mf_cortex_m_fault_entry(void);

/* Stack guard: an MPU no-access region (ARMv7-M) below the stack, plus a
 * canary pattern in the same words. Set up by the reset handler. */
void mf_cortex_m_stack_guard_init(void);
/* 1 while the guard's canary words are intact. */
int mf_cortex_m_stack_guard_intact(void);
/* For the end of a run: `code` while the guard is intact; otherwise prints
 * "MF-FAULT stack guard overwritten" and returns MF_STACK_EXIT_CODE. */
int mf_cortex_m_stack_checked_code(int code);
/* Deepest stack use seen so far, in bytes (the stack is painted at reset). */
size_t mf_cortex_m_stack_high_water(void);

/* Semihosting: ends the emulator with an exit code (SYS_EXIT_EXTENDED).
 * Only on emulators started with semihosting enabled. */
void mf_semihosting_exit(int code) __attribute__((noreturn));

/* DWT cycle counter. Returns 1 when CYCCNT exists and was started. */
int mf_dwt_start(void);
static inline uint32_t mf_dwt_cycles(void) { return MF_REG32(MF_DWT_CYCCNT); }

/* Cortex-M7 L1 caches (no-ops on cores without them). */
void mf_cortex_m_enable_icache(void);
void mf_cortex_m_enable_dcache(void);

/* Prints "MF-EXIT code=<n>": a real board's end of run. */
void mf_cortex_m_print_exit(int code);

/* Spins with interrupts masked; for the end of a run on real boards. */
void mf_cortex_m_idle_forever(void) __attribute__((noreturn));

/* Writes "0x" and 8 hex digits of `value` into `out` (10 chars, no NUL). */
void mf_format_hex32(char *out, uint32_t value);

#ifdef __cplusplus
}
#endif

#endif
