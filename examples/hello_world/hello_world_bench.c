/* hello_world benchmark: ticks per invoke of the sine model (instructions on emulated
 * boards under -icount, microseconds on the host). */
#include "g_model.h"
#include "mf_board.h"
#include "mf_test.h"
#include "sine_model.h"

#define REPEATS 1000

int main(void) {
  static sine_model sm;
  mf_board_init();
  if (sine_model_init(&sm, g_model, g_model_len) != MF_OK) {
    mf_log("hello_world_bench: %s", sine_model_error(&sm));
    return 1;
  }
  float y = 0.0f, sum = 0.0f;
  uint32_t start = mf_board_ticks();
  for (int i = 0; i < REPEATS; ++i) {
    if (sine_model_predict(&sm, (float)(i % 64) * (HELLO_WORLD_TWO_PI / 64.0f), &y) != MF_OK) {
      mf_log("hello_world_bench: %s", sine_model_error(&sm));
      return 1;
    }
    sum += y;
  }
  uint32_t ticks = mf_board_ticks() - start;
  mf_test_bench("hello_world", "ticks=%u repeats=%u ticks_per_second=%u arena_used=%u",
                (unsigned)ticks, (unsigned)REPEATS,
                (unsigned)mf_board_ticks_per_second(),
                (unsigned)mf_interpreter_arena_used(&sm.interpreter));
  mf_log("checksum %.3f", sum);
  return 0;
}
