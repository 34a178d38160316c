/* The host "board": console on stdout, ticks from the monotonic clock. */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mf_board.h"

void mf_board_init(void) {
  /* Line-buffered, so output interleaves correctly with a parent reading a pipe. */
  setvbuf(stdout, NULL, _IOLBF, 0);
}

void mf_board_write(const char *data, size_t len) {
  fwrite(data, 1, len, stdout);
}

uint32_t mf_board_ticks(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint32_t)((uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u);
}

uint32_t mf_board_ticks_per_second(void) {
  return 1000000u;
}

void mf_board_exit(int code) {
  fflush(stdout);
  exit(code);
}
