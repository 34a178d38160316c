/* Trap report. Nothing in the firmware enables interrupts, so every trap is
 * an error: the entry saves the trapped stack pointer in mscratch, moves to
 * the dedicated fault stack (the trapped stack may be the one that
 * overflowed) and prints
 *   MF-FAULT mcause=0x... mepc=0x... mtval=0x... ra=0x... sp=0x...
 * mepc is the trapping instruction, mtval the faulting address (access
 * faults) or instruction bits (illegal instruction), ra and sp the values at
 * the trap. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "mf_riscv.h"

void mf_riscv_trap_report(uint32_t ra, uint32_t sp) __attribute__((noreturn, used));

__attribute__((naked, aligned(4))) void mf_riscv_trap_entry(void) {
  __asm__ volatile(
      "csrw mscratch, sp\n"
      "la sp, __fault_stack_top\n"
      "mv a0, ra\n"
      "csrr a1, mscratch\n"
      "j mf_riscv_trap_report\n");
}

static size_t append_field(char *line, size_t at, const char *name, uint32_t value) {
  static const char digits[] = "0123456789abcdef";
  while (*name != '\0') {
    line[at++] = *name++;
  }
  line[at++] = '0';
  line[at++] = 'x';
  for (int i = 0; i < 8; ++i) {
    line[at++] = digits[(value >> (28 - 4 * i)) & 0xFu];
  }
  return at;
}

void mf_riscv_trap_report(uint32_t ra, uint32_t sp) {
  uint32_t mcause;
  uint32_t mepc;
  uint32_t mtval;
  MF_CSR_READ(mcause, mcause);
  MF_CSR_READ(mepc, mepc);
  MF_CSR_READ(mtval, mtval);
  char line[112];
  size_t at = append_field(line, 0, "\nMF-FAULT mcause=", mcause);
  at = append_field(line, at, " mepc=", mepc);
  at = append_field(line, at, " mtval=", mtval);
  at = append_field(line, at, " ra=", ra);
  at = append_field(line, at, " sp=", sp);
  line[at++] = '\n';
  mf_board_write(line, at);
  mf_board_exit(MF_FAULT_EXIT_CODE);
  mf_riscv_idle_forever();
}
