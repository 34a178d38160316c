/* Farm test firmware: one behaviour per SCENARIO, built with an emulated
 * board's own support code (startup, console, fault handler, exit).
 * IMAGE_ID names the image in its MF-SYNC line. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"

#ifndef IMAGE_ID
#error "IMAGE_ID must be defined"
#endif
#ifndef SCENARIO
#error "SCENARIO must be defined"
#endif
#ifndef SPIN_ROUNDS
#define SPIN_ROUNDS 1000u
#endif

#define SCENARIO_PASS 1
#define SCENARIO_HANG 2
#define SCENARIO_FAULT 3
#define SCENARIO_GARBAGE 4
#define SCENARIO_SLOW 5

__attribute__((unused)) static void put(const char *text) {
  size_t len = 0;
  while (text[len] != '\0') {
    ++len;
  }
  mf_board_write(text, len);
}

__attribute__((unused)) static void spin(uint32_t rounds) {
  for (volatile uint32_t i = 0; i < rounds; ++i) {
  }
}

__attribute__((noinline, unused)) uint32_t read_word(uintptr_t address) {
  return *(volatile uint32_t *)address; /* FAULT-LINE */
}

int main(void) {
  mf_board_init();
#if SCENARIO == SCENARIO_GARBAGE
  /* Line noise with no line end, then silence. */
  static const char noise[] = {'\x1b', '[', '?', (char)0xFF, (char)0x00, 'q', (char)0xC3,
                               (char)0x28, '~', '~', 'M', 'F', '-', 'S', (char)0x80};
  mf_board_write(noise, sizeof(noise));
  for (;;) {
  }
#else
  put("MF-SYNC " IMAGE_ID "\n");
  put("MF-CASE first PASS\n");
#if SCENARIO == SCENARIO_PASS
  put("MF-CASE second PASS\n");
  put("MF-SUMMARY passed=2 failed=0\n");
  put("~~~ALL TESTS PASSED~~~\n");
  return 0;
#elif SCENARIO == SCENARIO_HANG
  for (;;) {
  }
#elif SCENARIO == SCENARIO_FAULT
  if (read_word(0xF0000000u) == 0x12345678u) {
    put("not reached\n");
  }
  return 0;
#elif SCENARIO == SCENARIO_SLOW
  spin(SPIN_ROUNDS);
  put("MF-CASE second PASS\n");
  put("MF-SUMMARY passed=2 failed=0\n");
  put("~~~ALL TESTS PASSED~~~\n");
  return 0;
#else
#error "unknown SCENARIO"
#endif
#endif
}
