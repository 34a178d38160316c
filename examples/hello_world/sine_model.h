/* hello_world: the sine model behind an init and a predict call. */
#ifndef HELLO_WORLD_SINE_MODEL_H
#define HELLO_WORLD_SINE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "microforge.h"

#ifndef HELLO_WORLD_ARENA_BYTES
#define HELLO_WORLD_ARENA_BYTES 2048
#endif

#define HELLO_WORLD_TWO_PI 6.2831853f

typedef struct sine_model {
  mf_model model;
  const mf_op_registration *op_storage[1];
  mf_resolver ops;
  mf_interpreter interpreter;
  float input_scale;
  int32_t input_zero_point;
  float output_scale;
  int32_t output_zero_point;
  int8_t *input;
  const int8_t *output;
  const char *error;
  _Alignas(16) uint8_t arena[HELLO_WORLD_ARENA_BYTES];
} sine_model;

/* Maps the model, checks it has one int8 input and output, allocates the arena. */
mf_status sine_model_init(sine_model *sm, const uint8_t *data, size_t size);
/* Quantizes x, runs the model, dequantizes y. */
mf_status sine_model_predict(sine_model *sm, float x, float *y);
/* Why the last call failed. */
const char *sine_model_error(const sine_model *sm);

#endif
