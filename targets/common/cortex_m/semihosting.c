/* Semihosting exit for emulators (QEMU with
 * -semihosting-config enable=on,target=native). SYS_EXIT_EXTENDED (0x20)
 * takes a two-word block: the stop reason ADP_Stopped_ApplicationExit
 * (0x20026) and the exit code, which QEMU returns as its own status. On a
 * real board without a debugger attached this traps, so only emulated boards
 * call it. */
#include <stdint.h>

#include "mf_cortex_m.h"

#define MF_SYS_EXIT_EXTENDED 0x20u
#define MF_ADP_STOPPED_APPLICATION_EXIT 0x20026u

void mf_semihosting_exit(int code) {
  uint32_t block[2] = {MF_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
  register uint32_t operation __asm__("r0") = MF_SYS_EXIT_EXTENDED;
  register uint32_t *argument __asm__("r1") = block;
  __asm__ volatile("bkpt 0xab" : "+r"(operation) : "r"(argument) : "memory");
  for (;;) {
  }
}
