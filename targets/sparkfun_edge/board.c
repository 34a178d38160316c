/* SparkFun Edge (Ambiq Apollo3 Blue, Cortex-M4F): core clock 48 MHz, flash
 * cache on, console on UART0 (pad 48 TX, pad 49 RX) at 115200 8N1, ticks
 * from the DWT cycle counter or, where it does not count, the 3 MHz system
 * timer (STIMER). Register facts: Apollo3 datasheet / register map (CLKGEN,
 * CACHECTRL, PWRCTRL, GPIO, UART, CTIMER-STIMER blocks).
 *
 * Every wait on the hardware is bounded: a console that never becomes ready
 * drops characters instead of hanging the firmware. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "../common/cortex_m/mf_cortex_m.h"

#define CORE_CLOCK_HZ 48000000u
#define STIMER_HZ 3000000u /* HFRC / 16 */
#define CONSOLE_BAUD 115200u
#define UART_CLOCK_HZ 24000000u
#define WAIT_LIMIT 1000000u

/* Clock generator. */
#define CLKGEN_CLKKEY 0x40004014u
#define CLKGEN_CCTRL 0x40004018u
#define CLKGEN_KEY 0x47u

/* Flash cache. */
#define CACHECTRL_CACHECFG 0x40018000u
#define CACHECFG_ENABLE 0x1u
#define CACHECFG_I_D_ENABLE 0x300u
/* Direct-mapped 128-bit lines x 1024 entries, I and D caching, clock gating. */
#define CACHECFG_DEFAULT 0x00100780u

/* Power control. */
#define PWRCTRL_DEVPWREN 0x40021008u
#define PWRCTRL_DEVPWRSTATUS 0x40021018u
#define DEVPWREN_UART0 (1u << 7)
#define DEVPWRSTATUS_HCPA (1u << 2)

/* UART0 (PL011-like). */
#define UART0_DR 0x4001C000u
#define UART0_FR 0x4001C018u
#define UART0_IBRD 0x4001C024u
#define UART0_FBRD 0x4001C028u
#define UART0_LCRH 0x4001C02Cu
#define UART0_CR 0x4001C030u
#define FR_BUSY (1u << 3)
#define FR_TXFF (1u << 5)
#define LCRH_8N1_FIFO 0x70u /* WLEN = 8 bits, FIFOs on */
#define CR_UARTEN 0x1u
#define CR_CLKEN 0x8u
#define CR_CLKSEL_24MHZ 0x10u
#define CR_TXE 0x100u
#define CR_RXE 0x200u
#define CR_RUNNING (CR_UARTEN | CR_CLKEN | CR_CLKSEL_24MHZ | CR_TXE | CR_RXE)

/* GPIO pads 48 (UART0 TX) and 49 (UART0 RX). */
#define GPIO_PADREGM 0x40010030u
#define GPIO_CFGG 0x40010058u
#define GPIO_PADKEY 0x40010060u
#define GPIO_ALTPADCFGM 0x40010110u
#define GPIO_PADKEY_UNLOCK 0x73u
#define PADREGM_PAD48_UART0TX 0x00u        /* function 0, input off, 2 mA */
#define PADREGM_PAD49_UART0RX (0x02u << 8) /* function 0, input on */

/* System timer. */
#define STIMER_STCFG 0x40008140u
#define STIMER_STTMR 0x40008144u
#define STCFG_FREEZE (1u << 31)
#define STCFG_CLEAR (1u << 30)
#define STCFG_CLKSEL_HFRC_DIV16 1u

/* Integer and fractional baud divisors for a 16x oversampled PL011. */
#define BAUD_IBRD (UART_CLOCK_HZ / (16u * CONSOLE_BAUD))
#define BAUD_FBRD (((UART_CLOCK_HZ * 4u) / CONSOLE_BAUD) - BAUD_IBRD * 64u)

static void clocks_init(void) {
  MF_REG32(CLKGEN_CLKKEY) = CLKGEN_KEY;
  MF_REG32(CLKGEN_CCTRL) = 0u; /* core from HFRC undivided: 48 MHz */
  MF_REG32(CLKGEN_CLKKEY) = 0u;

  MF_REG32(CACHECTRL_CACHECFG) &= ~CACHECFG_I_D_ENABLE;
  MF_REG32(CACHECTRL_CACHECFG) = CACHECFG_DEFAULT;
  MF_REG32(CACHECTRL_CACHECFG) |= CACHECFG_ENABLE;
}

static int console_ready(void) {
  return MF_REG32(UART0_CR) == CR_RUNNING && MF_REG32(UART0_IBRD) == BAUD_IBRD &&
         MF_REG32(UART0_FBRD) == BAUD_FBRD && MF_REG32(UART0_LCRH) == LCRH_8N1_FIFO;
}

static void console_init(void) {
  if (console_ready()) {
    return; /* already ours: reconfiguring would cut a character short */
  }
  MF_REG32(PWRCTRL_DEVPWREN) |= DEVPWREN_UART0;
  for (uint32_t i = 0; i < WAIT_LIMIT && (MF_REG32(PWRCTRL_DEVPWRSTATUS) & DEVPWRSTATUS_HCPA) == 0u; ++i) {
  }
  /* A bootloader may still be sending on UART0: let it finish. */
  for (uint32_t i = 0; i < WAIT_LIMIT && (MF_REG32(UART0_FR) & FR_BUSY) != 0u; ++i) {
  }
  MF_REG32(UART0_CR) = 0u;
  MF_REG32(UART0_CR) = CR_CLKEN | CR_CLKSEL_24MHZ;
  MF_REG32(UART0_IBRD) = BAUD_IBRD;
  MF_REG32(UART0_FBRD) = BAUD_FBRD;
  MF_REG32(UART0_LCRH) = LCRH_8N1_FIFO;
  MF_REG32(UART0_CR) = CR_RUNNING;

  MF_REG32(GPIO_PADKEY) = GPIO_PADKEY_UNLOCK;
  MF_REG32(GPIO_PADREGM) = (MF_REG32(GPIO_PADREGM) & 0xFFFF0000u) | PADREGM_PAD49_UART0RX |
                           PADREGM_PAD48_UART0TX;
  MF_REG32(GPIO_CFGG) &= ~0xFFu;
  MF_REG32(GPIO_ALTPADCFGM) &= ~0xFFFFu;
  MF_REG32(GPIO_PADKEY) = 0u;
}

static int dwt_counting(void) {
  return (MF_REG32(MF_DWT_CTRL) & 1u) != 0u;
}

void mf_board_early_init(void) {
  clocks_init();
  console_init();
}

void mf_board_init(void) {
  clocks_init();
  console_init();
  if (!mf_dwt_start()) {
    MF_REG32(MF_DWT_CTRL) &= ~1u; /* not counting: make the STIMER the tick source */
    MF_REG32(STIMER_STCFG) = STCFG_FREEZE | STCFG_CLEAR | STCFG_CLKSEL_HFRC_DIV16;
    MF_REG32(STIMER_STCFG) = STCFG_CLKSEL_HFRC_DIV16;
  }
}

void mf_board_write(const char *data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    uint32_t spins = 0;
    while ((MF_REG32(UART0_FR) & FR_TXFF) != 0u && spins < WAIT_LIMIT) {
      ++spins;
    }
    if (spins < WAIT_LIMIT) {
      MF_REG32(UART0_DR) = (uint8_t)data[i];
    }
  }
}

uint32_t mf_board_ticks(void) {
  return dwt_counting() ? mf_dwt_cycles() : MF_REG32(STIMER_STTMR);
}

uint32_t mf_board_ticks_per_second(void) { return dwt_counting() ? CORE_CLOCK_HZ : STIMER_HZ; }

void mf_board_exit(int code) {
  mf_cortex_m_print_exit(mf_cortex_m_stack_checked_code(code));
  for (uint32_t i = 0; i < WAIT_LIMIT && (MF_REG32(UART0_FR) & FR_BUSY) != 0u; ++i) {
  }
  mf_cortex_m_idle_forever();
}
