/* hello_world tests: the int8 sine model maps, allocates and follows sin(x). */
#include <math.h>

#include "g_model.h"
#include "mf_board.h"
#include "mf_test.h"
#include "sine_model.h"

/* Largest |model(x) - sin(x)| over [0, 2pi] measured for this model when it was trained
 * (train.py prints it: 0.0760), rounded up to two decimals. */
#define HELLO_WORLD_TOLERANCE 0.08f
#define GRID_POINTS 1000

static sine_model sm;

MF_TEST(model_maps_and_allocates) {
  MF_ASSERT_STATUS(sine_model_init(&sm, g_model, g_model_len), MF_OK);
  size_t used = mf_interpreter_arena_used(&sm.interpreter);
  MF_EXPECT(used > 0);
  MF_EXPECT(used <= HELLO_WORLD_ARENA_BYTES);
  mf_log("arena used: %u bytes", (unsigned)used);
}

MF_TEST(input_and_output_are_int8_scalars) {
  MF_ASSERT_STATUS(sine_model_init(&sm, g_model, g_model_len), MF_OK);
  mf_tensor_info in, out;
  MF_ASSERT_STATUS(mf_interpreter_input(&sm.interpreter, 0, &in), MF_OK);
  MF_ASSERT_STATUS(mf_interpreter_output(&sm.interpreter, 0, &out), MF_OK);
  MF_EXPECT_EQ_INT(in.dtype, MF_INT8);
  MF_EXPECT_EQ_INT(out.dtype, MF_INT8);
  MF_EXPECT_EQ_UINT(in.bytes, 1);
  MF_EXPECT_EQ_UINT(out.bytes, 1);
  MF_EXPECT(in.quant.scale > 0.0f);
  MF_EXPECT(out.quant.scale > 0.0f);
}

MF_TEST(follows_sine_within_tolerance) {
  MF_ASSERT_STATUS(sine_model_init(&sm, g_model, g_model_len), MF_OK);
  float worst = 0.0f, worst_x = 0.0f, total = 0.0f;
  for (int i = 0; i < GRID_POINTS; ++i) {
    float x = (float)i * (HELLO_WORLD_TWO_PI / (float)(GRID_POINTS - 1));
    float y = 0.0f;
    MF_ASSERT_STATUS(sine_model_predict(&sm, x, &y), MF_OK);
    float error = fabsf(y - sinf(x));
    total += error;
    if (error > worst) {
      worst = error;
      worst_x = x;
    }
  }
  mf_log("max |y - sin(x)| = %.4f at x = %.4f, mean %.4f", worst, worst_x,
         total / (float)GRID_POINTS);
  MF_EXPECT(worst <= HELLO_WORLD_TOLERANCE);
}

MF_TEST(has_the_shape_of_a_sine) {
  MF_ASSERT_STATUS(sine_model_init(&sm, g_model, g_model_len), MF_OK);
  float peak = 0.0f, trough = 0.0f, middle = 1.0f;
  MF_ASSERT_STATUS(sine_model_predict(&sm, HELLO_WORLD_TWO_PI / 4.0f, &peak), MF_OK);
  MF_ASSERT_STATUS(sine_model_predict(&sm, 3.0f * HELLO_WORLD_TWO_PI / 4.0f, &trough), MF_OK);
  MF_ASSERT_STATUS(sine_model_predict(&sm, HELLO_WORLD_TWO_PI / 2.0f, &middle), MF_OK);
  MF_EXPECT(peak > 0.9f);
  MF_EXPECT(trough < -0.9f);
  MF_EXPECT_NEAR(middle, 0.0f, HELLO_WORLD_TOLERANCE);
}

MF_TEST(rejects_a_truncated_model) {
  MF_EXPECT(sine_model_init(&sm, g_model, g_model_len / 2) != MF_OK);
  MF_EXPECT(sine_model_error(&sm)[0] != '\0');
}

int main(void) {
  mf_board_init();
  static const mf_test_case cases[] = {
      MF_TEST_CASE(model_maps_and_allocates),
      MF_TEST_CASE(input_and_output_are_int8_scalars),
      MF_TEST_CASE(follows_sine_within_tolerance),
      MF_TEST_CASE(has_the_shape_of_a_sine),
      MF_TEST_CASE(rejects_a_truncated_model),
  };
  return MF_TEST_RUN("hello_world_test", cases);
}
