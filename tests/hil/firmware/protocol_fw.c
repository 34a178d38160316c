/* Test firmware speaking the output protocol, one behaviour per SCENARIO.
 * Built with the real board support (startup, console, fault handler, exit)
 * of the emulated boards. IMAGE_ID names the image in its MF-SYNC line. */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"

#ifndef IMAGE_ID
#error "IMAGE_ID must be defined"
#endif
#ifndef SCENARIO
#error "SCENARIO must be defined"
#endif

#define SCENARIO_PASS 1
#define SCENARIO_ASSERT 2
#define SCENARIO_FAULT 3
#define SCENARIO_HANG 4
#define SCENARIO_SILENT 5
#define SCENARIO_RESET 6
#define SCENARIO_STALE 7
#define SCENARIO_BINARY 8
#define SCENARIO_MISSING_CASE 9
#define SCENARIO_CHATTY 10

__attribute__((unused)) static void put(const char *text) {
  size_t len = 0;
  while (text[len] != '\0') {
    ++len;
  }
  mf_board_write(text, len);
}

__attribute__((unused)) static void put_u32(uint32_t value) {
  char digits[10];
  size_t count = 0;
  do {
    digits[sizeof(digits) - 1 - count] = (char)('0' + value % 10u);
    value /= 10u;
    ++count;
  } while (value != 0u);
  mf_board_write(&digits[sizeof(digits) - count], count);
}

__attribute__((unused)) static void spin(uint32_t rounds) {
  for (volatile uint32_t i = 0; i < rounds; ++i) {
  }
}

__attribute__((noinline, unused)) uint32_t load_from(uintptr_t address) {
  return *(volatile uint32_t *)address; /* FAULT-LINE */
}

__attribute__((unused)) static void request_reset(void) {
#if defined(__arm__)
  *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u; /* AIRCR SYSRESETREQ */
#endif
  for (;;) {
  }
}

int main(void) {
  mf_board_init();
#if SCENARIO != SCENARIO_SILENT
  put("boot " IMAGE_ID "\n");
  put("MF-SYNC " IMAGE_ID "\n");
#endif
#if SCENARIO == SCENARIO_PASS
  put("MF-CASE first PASS\n");
  put("MF-CASE second PASS\n");
  put("MF-BENCH invoke ticks=");
  put_u32(mf_board_ticks());
  put(" arena_bytes=2048 ratio=0.5\n");
  put("MF-SUMMARY passed=2 failed=0\n");
  put("~~~ALL TESTS PASSED~~~\n");
  return 0;
#elif SCENARIO == SCENARIO_ASSERT
  put("MF-CASE first PASS\n");
  put("MF-CASE second FAIL protocol_fw.c:77 expected 3 got 4\n");
  put("MF-SUMMARY passed=1 failed=1\n");
  put("~~~SOME TESTS FAILED~~~\n");
  return 1;
#elif SCENARIO == SCENARIO_FAULT
  put("MF-CASE first PASS\n");
  put_u32(load_from(0xF0000000u));
  put("not reached\n");
  return 0;
#elif SCENARIO == SCENARIO_HANG
  put("MF-CASE first PASS\n");
  for (;;) {
  }
#elif SCENARIO == SCENARIO_SILENT
  for (;;) {
  }
#elif SCENARIO == SCENARIO_RESET
  put("MF-CASE first PASS\n");
  request_reset();
  return 0;
#elif SCENARIO == SCENARIO_STALE
  for (;;) {
    put("MF-SUMMARY passed=1 failed=0\n~~~ALL TESTS PASSED~~~\n");
    spin(20000u);
  }
#elif SCENARIO == SCENARIO_BINARY
  {
    static const char raw[] = {'r', 'a', 'w', ' ', (char)0xFF, (char)0xFE, (char)0x80, '\n'};
    mf_board_write(raw, sizeof(raw));
  }
  put("MF-CASE only PASS\n");
  put("MF-SUMMARY passed=1 failed=0\n");
  put("~~~ALL TESTS PASSED~~~\n");
  return 0;
#elif SCENARIO == SCENARIO_MISSING_CASE
  put("MF-CASE first PASS\n");
  put("MF-SUMMARY passed=2 failed=0\n");
  put("~~~ALL TESTS PASSED~~~\n");
  return 0;
#elif SCENARIO == SCENARIO_CHATTY
  for (uint32_t i = 0; i < 2000u; ++i) {
    put("MF-CASE case_");
    put_u32(i);
    put(" PASS\n");
  }
  put("MF-SUMMARY passed=2000 failed=0\n");
  put("~~~ALL TESTS PASSED~~~\n");
  return 0;
#else
#error "unknown SCENARIO"
#endif
}
