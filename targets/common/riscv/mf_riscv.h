/* Shared RISC-V (machine mode) support: CSR access, start-up hooks, trap
 * report and stack guard. Boards include it as
 * "../common/riscv/mf_riscv.h". */
#ifndef MF_RISCV_H
#define MF_RISCV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MF_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define MF_REG8(addr) (*(volatile uint8_t *)(uintptr_t)(addr))

/* Reads a CSR by name, e.g. MF_CSR_READ(mcause, value). */
#define MF_CSR_READ(name, out) __asm__ volatile("csrr %0, " #name : "=r"(out))
#define MF_CSR_WRITE(name, value) __asm__ volatile("csrw " #name ", %0" ::"r"(value))

/* Exit code of a run that ended in a trap. */
#define MF_FAULT_EXIT_CODE 100
/* Exit code of a run whose stack guard was found overwritten. */
#define MF_STACK_EXIT_CODE 101

/* Board hook called before .data/.bss are set up: make the console usable
 * so that an early trap is still reported. Weak, default does nothing. */
void mf_board_early_init(void);

/* Trap vector (mtvec, direct mode). Every trap is fatal: it prints
 *   MF-FAULT mcause=0x... mepc=0x... mtval=0x... ra=0x... sp=0x...
 * and calls mf_board_exit(MF_FAULT_EXIT_CODE). */
void mf_riscv_trap_entry(void);

/* Stack guard below the main stack: a locked no-access PMP region where PMP
 * exists, plus a canary. */
void mf_riscv_stack_guard_init(void);
int mf_riscv_stack_guard_intact(void);
size_t mf_riscv_stack_high_water(void);

void mf_riscv_idle_forever(void) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif
