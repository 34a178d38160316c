/* Board support for QEMU `virt` (RV32, -bios none): console on the NS16550A
 * UART at 0x10000000, ticks from minstret, exit through the SiFive test
 * device at 0x100000.
 *
 * Ticks: under `-icount shift=0` minstret is the exact retired-instruction
 * count, so mf_board_ticks() is an instruction count (its low 32 bits, which
 * wrap cleanly) and mf_board_ticks_per_second() the virtual instruction rate
 * 10^9 / 2^shift. MF_QEMU_ICOUNT_SHIFT comes from board.toml. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "../common/riscv/mf_riscv.h"

#ifndef MF_QEMU_ICOUNT_SHIFT
#error "MF_QEMU_ICOUNT_SHIFT must be defined (board.toml defines, equal to [emulator] icount_shift)"
#endif

#define MF_UART_BASE 0x10000000u
#define MF_UART_THR (MF_UART_BASE + 0u)
#define MF_UART_DLL (MF_UART_BASE + 0u)
#define MF_UART_IER (MF_UART_BASE + 1u)
#define MF_UART_DLM (MF_UART_BASE + 1u)
#define MF_UART_FCR (MF_UART_BASE + 2u)
#define MF_UART_LCR (MF_UART_BASE + 3u)
#define MF_UART_LSR (MF_UART_BASE + 5u)
#define MF_UART_LSR_THR_EMPTY 0x20u
#define MF_UART_CLOCK_HZ 3686400u
#define MF_CONSOLE_BAUD 115200u

#define MF_TEST_DEVICE 0x00100000u
#define MF_TEST_PASS 0x5555u
#define MF_TEST_FAIL 0x3333u

void mf_board_early_init(void) {
  uint32_t divisor = MF_UART_CLOCK_HZ / (16u * MF_CONSOLE_BAUD);
  MF_REG8(MF_UART_IER) = 0u;
  MF_REG8(MF_UART_LCR) = 0x80u; /* divisor latch access */
  MF_REG8(MF_UART_DLL) = (uint8_t)(divisor & 0xFFu);
  MF_REG8(MF_UART_DLM) = (uint8_t)(divisor >> 8);
  MF_REG8(MF_UART_LCR) = 0x03u; /* 8N1 */
  MF_REG8(MF_UART_FCR) = 0x07u; /* FIFOs on and cleared */
}

void mf_board_init(void) { mf_board_early_init(); }

void mf_board_write(const char *data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    while ((MF_REG8(MF_UART_LSR) & MF_UART_LSR_THR_EMPTY) == 0u) {
    }
    MF_REG8(MF_UART_THR) = (uint8_t)data[i];
  }
}

uint32_t mf_board_ticks(void) {
  uint32_t instructions;
  MF_CSR_READ(minstret, instructions);
  return instructions;
}

uint32_t mf_board_ticks_per_second(void) { return 1000000000u >> MF_QEMU_ICOUNT_SHIFT; }

void mf_board_exit(int code) {
  if (!mf_riscv_stack_guard_intact()) {
    static const char message[] = "\nMF-FAULT stack guard overwritten\n";
    mf_board_write(message, sizeof(message) - 1u);
    code = MF_STACK_EXIT_CODE;
  }
  uint32_t status = code == 0 ? MF_TEST_PASS : (((uint32_t)code & 0xFFFFu) << 16) | MF_TEST_FAIL;
  MF_REG32(MF_TEST_DEVICE) = status;
  mf_riscv_idle_forever();
}
