/* HardFault (and every other unexpected exception) report.
 *
 * The entry picks the stack the exception frame was pushed to (EXC_RETURN
 * bit 2: 0 = MSP, 1 = PSP), switches to a small dedicated fault stack (the
 * faulting stack may be the one that overflowed) and prints
 *   MF-FAULT pc=0x... lr=0x... xpsr=0x... cfsr=0x... hfsr=0x... mmfar=0x... bfar=0x...
 * then ends the run with MF_FAULT_EXIT_CODE. R0-R3, R12, LR, PC and xPSR sit
 * at the start of both the basic and the extended (FP) frame, so the same
 * offsets serve both. When the stacking itself failed (CFSR MSTKERR or
 * STKERR, e.g. a stack overflow into the guard) or the frame pointer lies
 * outside RAM, the frame holds no registers: pc, lr and xpsr print as 0 and
 * MMFAR/BFAR name the address the push hit. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "mf_cortex_m.h"

/* MSTKERR (MemManage on stacking) and STKERR (BusFault on stacking). */
#define MF_CFSR_STACKING_FAILED ((1u << 4) | (1u << 12))

extern uint32_t __mf_ram_start[];
extern uint32_t __mf_ram_end[];

void mf_cortex_m_fault_report(const uint32_t *frame, uint32_t exc_return) __attribute__((noreturn, used));

__attribute__((naked)) void mf_cortex_m_fault_entry(void) {
  /* Thumb-1 compatible: also assembles for Armv6-M. */
  __asm__ volatile(
      "movs r0, #4\n"
      "mov r1, lr\n"
      "tst r0, r1\n"
      "beq 1f\n"
      "mrs r0, psp\n"
      "b 2f\n"
      "1:\n"
      "mrs r0, msp\n"
      "2:\n"
      "ldr r2, =__fault_stack_top\n"
      "mov sp, r2\n"
      "ldr r2, =mf_cortex_m_fault_report\n"
      "bx r2\n"
      ".ltorg\n");
}

void mf_format_hex32(char *out, uint32_t value) {
  static const char digits[] = "0123456789abcdef";
  out[0] = '0';
  out[1] = 'x';
  for (int i = 0; i < 8; ++i) {
    out[2 + i] = digits[(value >> (28 - 4 * i)) & 0xFu];
  }
}

static size_t append_text(char *line, size_t at, const char *text) {
  while (*text != '\0') {
    line[at++] = *text++;
  }
  return at;
}

static size_t append_field(char *line, size_t at, const char *name, uint32_t value) {
  at = append_text(line, at, name);
  mf_format_hex32(line + at, value);
  return at + 10;
}

static int frame_readable(const uint32_t *frame) {
  uintptr_t start = (uintptr_t)__mf_ram_start;
  uintptr_t end = (uintptr_t)__mf_ram_end;
  uintptr_t at = (uintptr_t)frame;
  return (at & 3u) == 0 && at >= start && at + 32u <= end;
}

void mf_cortex_m_fault_report(const uint32_t *frame, uint32_t exc_return) {
  (void)exc_return;
  uint32_t cfsr = 0;
  uint32_t hfsr = 0;
  uint32_t mmfar = 0;
  uint32_t bfar = 0;
#if MF_CORTEX_M_V7 || MF_CORTEX_M_V8_MAIN
  cfsr = MF_REG32(MF_SCB_CFSR);
  hfsr = MF_REG32(MF_SCB_HFSR);
  mmfar = MF_REG32(MF_SCB_MMFAR);
  bfar = MF_REG32(MF_SCB_BFAR);
#endif
  uint32_t pc = 0;
  uint32_t lr = 0;
  uint32_t xpsr = 0;
  if ((cfsr & MF_CFSR_STACKING_FAILED) == 0u && frame_readable(frame)) {
    lr = frame[5];
    pc = frame[6];
    xpsr = frame[7];
  }
  char line[128];
  size_t at = append_field(line, 0, "\nMF-FAULT pc=", pc);
  at = append_field(line, at, " lr=", lr);
  at = append_field(line, at, " xpsr=", xpsr);
  at = append_field(line, at, " cfsr=", cfsr);
  at = append_field(line, at, " hfsr=", hfsr);
  at = append_field(line, at, " mmfar=", mmfar);
  at = append_field(line, at, " bfar=", bfar);
  line[at++] = '\n';
  mf_board_write(line, at);
  mf_board_exit(MF_FAULT_EXIT_CODE);
  mf_cortex_m_idle_forever();
}
