/* ESP32 (Xtensa LX6). Two ways in:
 *
 * - Inside an ESP-IDF project (the project export; ESP_PLATFORM is defined):
 *   the console is ESP-IDF's stdout on UART0 (115200, line-buffered),
 *   app_main() runs the application's main() and hands its result to
 *   mf_board_exit(), which prints "MF-EXIT code=<n>" and parks the task.
 * - Built directly with xtensa-esp32-elf-gcc as a library: the application
 *   provides mf_board_write(), as on cortex_m_generic.
 *
 * Ticks in both: the CPU cycle counter (CCOUNT on Xtensa), at
 * (MF_ESP32_CPU_MHZ, from sdkconfig inside ESP-IDF, else 160). */
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"

#if defined(ESP_PLATFORM)
#include <stdio.h>

#include "esp_cpu.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"
#endif

#if defined(CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ)
#define MF_ESP32_CPU_MHZ CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ
#elif defined(CONFIG_ESP32_DEFAULT_CPU_FREQ_MHZ)
#define MF_ESP32_CPU_MHZ CONFIG_ESP32_DEFAULT_CPU_FREQ_MHZ
#elif !defined(MF_ESP32_CPU_MHZ)
#define MF_ESP32_CPU_MHZ 160
#endif

void mf_board_init(void) {}

uint32_t mf_board_ticks(void) {
#if defined(ESP_PLATFORM)
  return (uint32_t)esp_cpu_get_cycle_count(); /* any ESP32 core, Xtensa or RISC-V */
#else
  uint32_t cycles;
  __asm__ volatile("rsr %0, ccount" : "=a"(cycles));
  return cycles;
#endif
}

uint32_t mf_board_ticks_per_second(void) { return (uint32_t)MF_ESP32_CPU_MHZ * 1000000u; }

static void print_exit(int code) {
  char line[32] = "MF-EXIT code=";
  size_t at = 13;
  uint32_t magnitude = (uint32_t)code;
  if (code < 0) {
    line[at++] = '-';
    magnitude = 0u - magnitude;
  }
  char digits[10];
  size_t count = 0;
  do {
    digits[count++] = (char)('0' + magnitude % 10u);
    magnitude /= 10u;
  } while (magnitude != 0u);
  while (count > 0u) {
    line[at++] = digits[--count];
  }
  line[at++] = '\n';
  mf_board_write(line, at);
}

#if defined(ESP_PLATFORM)
void mf_board_write(const char *data, size_t len) {
  fwrite(data, 1, len, stdout);
  fflush(stdout);
}

void mf_board_exit(int code) {
  print_exit(code);
  for (;;) {
    vTaskDelay(portMAX_DELAY);
  }
}

int main(void);

void app_main(void) { mf_board_exit(main()); }
#else
void mf_board_exit(int code) {
  print_exit(code);
  for (;;) {
  }
}
#endif
