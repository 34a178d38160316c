/* STM32F746G-DISCO (STM32F746NG, Cortex-M7): L1 caches on, 216 MHz from the
 * 25 MHz HSE through the PLL with over-drive and 7 flash wait states,
 * console on USART1 (PA9 TX / PB7 RX, the ST-LINK virtual COM port) at
 * 115200 8N1, ticks from the DWT cycle counter. Register facts: STM32F7
 * reference manual (RM0385: RCC, PWR, FLASH, GPIO, USART).
 *
 * Every wait on the hardware is bounded. If the HSE or the PLL does not come
 * up, the board stays on the 16 MHz HSI, prints an MF-WARN line and goes on;
 * clock-dependent values (USART divisor, ticks per second) are always
 * computed from the clock registers, never assumed. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "../common/cortex_m/mf_cortex_m.h"

#define HSI_HZ 16000000u
#define HSE_HZ 25000000u
#define CONSOLE_BAUD 115200u
#define WAIT_LIMIT 2000000u

/* RCC. */
#define RCC_CR 0x40023800u
#define RCC_PLLCFGR 0x40023804u
#define RCC_CFGR 0x40023808u
#define RCC_AHB1ENR 0x40023830u
#define RCC_APB1ENR 0x40023840u
#define RCC_APB2ENR 0x40023844u
#define RCC_DCKCFGR2 0x40023890u
#define CR_HSEON (1u << 16)
#define CR_HSERDY (1u << 17)
#define CR_HSEBYP (1u << 18)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define AHB1ENR_GPIOA (1u << 0)
#define AHB1ENR_GPIOB (1u << 1)
#define APB1ENR_PWR (1u << 28)
#define APB2ENR_USART1 (1u << 4)
#define DCKCFGR2_USART1SEL 0x3u

/* PLL: HSE / M=25 -> 1 MHz, x N=432 -> 432 MHz VCO, / P=2 -> 216 MHz SYSCLK,
 * / Q=9 -> 48 MHz. Bit 29 is a reserved bit whose reset value is 1. */
#define PLL_M 25u
#define PLL_N 432u
#define PLL_P_BITS 0u /* P = 2 */
#define PLL_Q 9u
#define PLLCFGR_PLLSRC_HSE (1u << 22)
#define PLLCFGR_VALUE \
  ((1u << 29) | PLLCFGR_PLLSRC_HSE | PLL_M | (PLL_N << 6) | (PLL_P_BITS << 16) | (PLL_Q << 24))

/* CFGR: SW/SWS, HPRE, PPRE1, PPRE2. */
#define CFGR_SW_MASK 0x3u
#define CFGR_SW_PLL 0x2u
#define CFGR_SWS_MASK 0xCu
#define CFGR_SWS_PLL 0x8u
#define CFGR_PPRE1_DIV16 (0x7u << 10)
#define CFGR_PPRE2_DIV16 (0x7u << 13)
#define CFGR_PPRE1_DIV4 (0x5u << 10)
#define CFGR_PPRE2_DIV2 (0x4u << 13)
#define CFGR_PRESCALER_MASK 0xFCF0u

/* PWR. */
#define PWR_CR1 0x40007000u
#define PWR_CSR1 0x40007004u
#define CR1_VOS_SCALE1 (0x3u << 14)
#define CR1_ODEN (1u << 16)
#define CR1_ODSWEN (1u << 17)
#define CSR1_ODRDY (1u << 16)
#define CSR1_ODSWRDY (1u << 17)

/* Flash interface. */
#define FLASH_ACR 0x40023C00u
#define ACR_LATENCY_MASK 0xFu
#define ACR_LATENCY_216MHZ 7u /* 3.3 V supply */

/* GPIO A and B. */
#define GPIOA_BASE 0x40020000u
#define GPIOB_BASE 0x40020400u
#define GPIO_MODER 0x00u
#define GPIO_OTYPER 0x04u
#define GPIO_OSPEEDR 0x08u
#define GPIO_PUPDR 0x0Cu
#define GPIO_AFRL 0x20u
#define GPIO_AFRH 0x24u
#define GPIO_AF7_USART1 7u

/* USART1. */
#define USART1_CR1 0x40011000u
#define USART1_CR2 0x40011004u
#define USART1_CR3 0x40011008u
#define USART1_BRR 0x4001100Cu
#define USART1_ISR 0x4001101Cu
#define USART1_TDR 0x40011028u
#define USART_CR1_UE (1u << 0)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_ISR_TC (1u << 6)
#define USART_ISR_TXE (1u << 7)
#define USART_ISR_TEACK (1u << 21)

static int wait_set(uint32_t reg, uint32_t mask) {
  for (uint32_t i = 0; i < WAIT_LIMIT; ++i) {
    if ((MF_REG32(reg) & mask) == mask) {
      return 1;
    }
  }
  return 0;
}

static int wait_clear(uint32_t reg, uint32_t mask) {
  for (uint32_t i = 0; i < WAIT_LIMIT; ++i) {
    if ((MF_REG32(reg) & mask) == 0u) {
      return 1;
    }
  }
  return 0;
}

/* Pin `pin` of the port at `base` to alternate function `af`, high speed,
 * push-pull, pull-up. */
static void pin_alternate(uint32_t base, uint32_t pin, uint32_t af) {
  uint32_t two_bits = 3u << (pin * 2u);
  MF_REG32(base + GPIO_MODER) = (MF_REG32(base + GPIO_MODER) & ~two_bits) | (2u << (pin * 2u));
  MF_REG32(base + GPIO_OTYPER) &= ~(1u << pin);
  MF_REG32(base + GPIO_OSPEEDR) = (MF_REG32(base + GPIO_OSPEEDR) & ~two_bits) | (2u << (pin * 2u));
  MF_REG32(base + GPIO_PUPDR) = (MF_REG32(base + GPIO_PUPDR) & ~two_bits) | (1u << (pin * 2u));
  uint32_t afr = pin < 8u ? base + GPIO_AFRL : base + GPIO_AFRH;
  uint32_t shift = (pin % 8u) * 4u;
  MF_REG32(afr) = (MF_REG32(afr) & ~(0xFu << shift)) | (af << shift);
}

/* SYSCLK from the clock registers (HSI, HSE or PLL). */
static uint32_t sysclk_hz(void) {
  uint32_t sws = MF_REG32(RCC_CFGR) & CFGR_SWS_MASK;
  if (sws == 0x4u) {
    return HSE_HZ;
  }
  if (sws != CFGR_SWS_PLL) {
    return HSI_HZ;
  }
  uint32_t pllcfgr = MF_REG32(RCC_PLLCFGR);
  uint32_t source = (pllcfgr & PLLCFGR_PLLSRC_HSE) != 0u ? HSE_HZ : HSI_HZ;
  uint32_t m = pllcfgr & 0x3Fu;
  uint32_t n = (pllcfgr >> 6) & 0x1FFu;
  uint32_t p = (((pllcfgr >> 16) & 0x3u) + 1u) * 2u;
  if (m == 0u) {
    return HSI_HZ;
  }
  return (uint32_t)(((uint64_t)source / m) * n / p);
}

static uint32_t ahb_divisor(void) {
  static const uint16_t divisors[8] = {2, 4, 8, 16, 64, 128, 256, 512};
  uint32_t hpre = (MF_REG32(RCC_CFGR) >> 4) & 0xFu;
  return hpre < 8u ? 1u : divisors[hpre - 8u];
}

static uint32_t hclk_hz(void) { return sysclk_hz() / ahb_divisor(); }

static uint32_t pclk2_hz(void) {
  uint32_t ppre2 = (MF_REG32(RCC_CFGR) >> 13) & 0x7u;
  return ppre2 < 4u ? hclk_hz() : hclk_hz() >> (ppre2 - 3u);
}

static void console_init(void) {
  MF_REG32(RCC_AHB1ENR) |= AHB1ENR_GPIOA | AHB1ENR_GPIOB;
  (void)MF_REG32(RCC_AHB1ENR); /* read back: the enable takes effect before use */
  MF_REG32(RCC_APB2ENR) |= APB2ENR_USART1;
  (void)MF_REG32(RCC_APB2ENR);
  MF_REG32(RCC_DCKCFGR2) &= ~DCKCFGR2_USART1SEL; /* USART1 clocked by PCLK2 */

  pin_alternate(GPIOA_BASE, 9u, GPIO_AF7_USART1); /* TX */
  pin_alternate(GPIOB_BASE, 7u, GPIO_AF7_USART1); /* RX */

  if ((MF_REG32(USART1_CR1) & USART_CR1_UE) != 0u) {
    (void)wait_set(USART1_ISR, USART_ISR_TC); /* let the last character out */
  }
  MF_REG32(USART1_CR1) = 0u;
  MF_REG32(USART1_CR2) = 0u; /* 1 stop bit */
  MF_REG32(USART1_CR3) = 0u;
  MF_REG32(USART1_BRR) = (pclk2_hz() + CONSOLE_BAUD / 2u) / CONSOLE_BAUD; /* 16x oversampling */
  MF_REG32(USART1_CR1) = USART_CR1_TE | USART_CR1_RE | USART_CR1_UE; /* 8N1 */
  (void)wait_set(USART1_ISR, USART_ISR_TEACK);
}

/* HSE + PLL to 216 MHz, over-drive, 7 wait states, APB1 54 MHz, APB2 108 MHz.
 * Returns 0 (and leaves the HSI running) when an oscillator does not start. */
static int clocks_init(void) {
  if ((MF_REG32(RCC_CFGR) & CFGR_SWS_MASK) == CFGR_SWS_PLL) {
    return 1; /* already running from the PLL */
  }
  MF_REG32(RCC_APB1ENR) |= APB1ENR_PWR;
  (void)MF_REG32(RCC_APB1ENR);
  MF_REG32(PWR_CR1) |= CR1_VOS_SCALE1;

  MF_REG32(RCC_CR) = (MF_REG32(RCC_CR) & ~CR_HSEBYP) | CR_HSEON; /* crystal, not bypass */
  if (!wait_set(RCC_CR, CR_HSERDY)) {
    return 0;
  }
  MF_REG32(RCC_CR) &= ~CR_PLLON;
  if (!wait_clear(RCC_CR, CR_PLLRDY)) {
    return 0;
  }
  MF_REG32(RCC_PLLCFGR) = PLLCFGR_VALUE;
  MF_REG32(RCC_CR) |= CR_PLLON;
  if (!wait_set(RCC_CR, CR_PLLRDY)) {
    return 0;
  }

  /* No peripheral clock may run during the over-drive switch; console_init()
   * turns the console's back on afterwards. */
  MF_REG32(RCC_APB2ENR) &= ~APB2ENR_USART1;
  MF_REG32(RCC_AHB1ENR) &= ~(AHB1ENR_GPIOA | AHB1ENR_GPIOB);
  (void)MF_REG32(RCC_AHB1ENR);
  MF_REG32(PWR_CR1) |= CR1_ODEN;
  if (!wait_set(PWR_CSR1, CSR1_ODRDY)) {
    return 0;
  }
  MF_REG32(PWR_CR1) |= CR1_ODSWEN;
  if (!wait_set(PWR_CSR1, CSR1_ODSWRDY)) {
    return 0;
  }

  MF_REG32(FLASH_ACR) = (MF_REG32(FLASH_ACR) & ~ACR_LATENCY_MASK) | ACR_LATENCY_216MHZ;
  if ((MF_REG32(FLASH_ACR) & ACR_LATENCY_MASK) != ACR_LATENCY_216MHZ) {
    return 0;
  }
  /* Slowest APB clocks while switching, AHB undivided, then SYSCLK = PLL. */
  uint32_t cfgr = MF_REG32(RCC_CFGR) & ~CFGR_PRESCALER_MASK;
  MF_REG32(RCC_CFGR) = cfgr | CFGR_PPRE1_DIV16 | CFGR_PPRE2_DIV16;
  MF_REG32(RCC_CFGR) = (MF_REG32(RCC_CFGR) & ~CFGR_SW_MASK) | CFGR_SW_PLL;
  for (uint32_t i = 0; i < WAIT_LIMIT; ++i) {
    if ((MF_REG32(RCC_CFGR) & CFGR_SWS_MASK) == CFGR_SWS_PLL) {
      break;
    }
  }
  if ((MF_REG32(RCC_CFGR) & CFGR_SWS_MASK) != CFGR_SWS_PLL) {
    return 0;
  }
  cfgr = MF_REG32(RCC_CFGR) & ~CFGR_PRESCALER_MASK;
  MF_REG32(RCC_CFGR) = cfgr | CFGR_PPRE1_DIV4 | CFGR_PPRE2_DIV2;
  return 1;
}

void mf_board_early_init(void) { console_init(); }

void mf_board_init(void) {
  mf_cortex_m_enable_icache();
  mf_cortex_m_enable_dcache();
  /* The USART's divisor depends on PCLK2: drain it before the clocks change. */
  (void)wait_set(USART1_ISR, USART_ISR_TC);
  int clocks_ok = clocks_init();
  console_init();
  if (!clocks_ok) {
    static const char warning[] = "MF-WARN clock: HSE/PLL did not start, running from HSI 16 MHz\n";
    mf_board_write(warning, sizeof(warning) - 1u);
  }
  (void)mf_dwt_start();
}

void mf_board_write(const char *data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    if (wait_set(USART1_ISR, USART_ISR_TXE)) {
      MF_REG32(USART1_TDR) = (uint8_t)data[i];
    }
  }
}

uint32_t mf_board_ticks(void) { return mf_dwt_cycles(); }

uint32_t mf_board_ticks_per_second(void) { return hclk_hz(); }

void mf_board_exit(int code) {
  mf_cortex_m_print_exit(mf_cortex_m_stack_checked_code(code));
  (void)wait_set(USART1_ISR, USART_ISR_TC);
  mf_cortex_m_idle_forever();
}
