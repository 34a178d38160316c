/* hello_world: predicts sin(x) for one cycle of x and logs each step. */
#include "g_model.h"
#include "mf_board.h"
#include "sine_model.h"

#ifndef HELLO_WORLD_STEPS
#define HELLO_WORLD_STEPS 20
#endif

int main(void) {
  static sine_model sm;
  mf_board_init();
  if (sine_model_init(&sm, g_model, g_model_len) != MF_OK) {
    mf_log("hello_world: %s", sine_model_error(&sm));
    return 1;
  }
  for (int step = 0; step < HELLO_WORLD_STEPS; ++step) {
    float x = (float)step * (HELLO_WORLD_TWO_PI / (float)HELLO_WORLD_STEPS);
    float y = 0.0f;
    if (sine_model_predict(&sm, x, &y) != MF_OK) {
      mf_log("hello_world: %s", sine_model_error(&sm));
      return 1;
    }
    mf_log("x_value: %.4f, y_value: %.4f", x, y);
  }
  return 0;
}
