/* Board support for the QEMU Arm MPS2 machines (mps2-an386 Cortex-M4F,
 * mps2-an500 Cortex-M7): console on CMSDK UART0, ticks from CMSDK timer0,
 * exit through semihosting.
 *
 * Ticks: timer0 counts down at 25 MHz from 0xFFFFFFFF. Under
 * `-icount shift=N,sleep=off` every instruction advances virtual time by
 * 2^N ns and a timer tick is 40 ns, so
 *   instructions = timer ticks * 40 / 2^N
 * mf_board_ticks() returns that instruction count (exact to +-1, repeatable
 * run to run) and mf_board_ticks_per_second() the instruction rate of the
 * virtual clock, 10^9 / 2^N. The count restarts after 2^32 timer ticks
 * (2^32 * 40 / 2^N instructions, 2,684,354,560 at N = 6): intervals that
 * cross that point are wrong. MF_QEMU_ICOUNT_SHIFT comes from board.toml and
 * must equal [emulator] icount_shift. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "../cortex_m/mf_cortex_m.h"

#ifndef MF_QEMU_ICOUNT_SHIFT
#error "MF_QEMU_ICOUNT_SHIFT must be defined (board.toml defines, equal to [emulator] icount_shift)"
#endif

#define MF_MPS2_SYSCLK_HZ 25000000u
#define MF_MPS2_NS_PER_TIMER_TICK 40u
#define MF_MPS2_CONSOLE_BAUD 115200u

/* CMSDK APB UART0. */
#define MF_UART0_BASE 0x40004000u
#define MF_UART_DATA (MF_UART0_BASE + 0x00u)
#define MF_UART_STATE (MF_UART0_BASE + 0x04u)
#define MF_UART_CTRL (MF_UART0_BASE + 0x08u)
#define MF_UART_BAUDDIV (MF_UART0_BASE + 0x10u)
#define MF_UART_STATE_TX_FULL 1u
#define MF_UART_CTRL_TX_ENABLE 1u

/* CMSDK APB timer0. */
#define MF_TIMER0_BASE 0x40000000u
#define MF_TIMER_CTRL (MF_TIMER0_BASE + 0x00u)
#define MF_TIMER_VALUE (MF_TIMER0_BASE + 0x04u)
#define MF_TIMER_RELOAD (MF_TIMER0_BASE + 0x08u)
#define MF_TIMER_CTRL_ENABLE 1u

void mf_board_early_init(void) {
  MF_REG32(MF_UART_BAUDDIV) = MF_MPS2_SYSCLK_HZ / MF_MPS2_CONSOLE_BAUD;
  MF_REG32(MF_UART_CTRL) = MF_UART_CTRL_TX_ENABLE;
}

void mf_board_init(void) {
  mf_board_early_init();
  MF_REG32(MF_TIMER_CTRL) = 0u;
  MF_REG32(MF_TIMER_RELOAD) = 0xFFFFFFFFu;
  MF_REG32(MF_TIMER_VALUE) = 0xFFFFFFFFu;
  MF_REG32(MF_TIMER_CTRL) = MF_TIMER_CTRL_ENABLE;
}

void mf_board_write(const char *data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    while ((MF_REG32(MF_UART_STATE) & MF_UART_STATE_TX_FULL) != 0u) {
    }
    MF_REG32(MF_UART_DATA) = (uint8_t)data[i];
  }
}

uint32_t mf_board_ticks(void) {
  uint32_t elapsed = 0xFFFFFFFFu - MF_REG32(MF_TIMER_VALUE);
  return (uint32_t)(((uint64_t)elapsed * MF_MPS2_NS_PER_TIMER_TICK) >> MF_QEMU_ICOUNT_SHIFT);
}

uint32_t mf_board_ticks_per_second(void) { return 1000000000u >> MF_QEMU_ICOUNT_SHIFT; }

void mf_board_exit(int code) { mf_semihosting_exit(mf_cortex_m_stack_checked_code(code)); }
