/* SVDF: float32, and the full-integer form used by keyword models (int8
 * input and output, int8 feature weights, int16 time weights and state, or
 * int8 time weights and state, int32 bias).
 *
 * Inputs: input [batch, input_size], weights_feature [filters, input_size],
 * weights_time [filters, memory], optional bias [units], state (a variable
 * tensor) [batch, filters * memory]; filters = units * rank.
 * Each invoke shifts the state one step left, writes the new feature
 * activations into the last memory slot, then reduces over time and rank.
 * Like TFLite Micro, the integer form applies no fused activation. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mf_kernel.h"
#include "quant_util.h"

enum { SVDF_FIELD_RANK = 0, SVDF_FIELD_ACTIVATION = 1 };
enum { SVDF_INPUT = 0, SVDF_FEATURE = 1, SVDF_TIME = 2, SVDF_BIAS = 3, SVDF_STATE = 4 };

/* Kept for the life of the interpreter; shapes are read from the tensors. */
typedef struct svdf_data {
  int32_t feature_multiplier; /* input x feature weights -> state */
  int32_t output_multiplier;  /* state x time weights -> output */
  int16_t rank;
  int8_t feature_shift, output_shift;
  int16_t input_zero_point, state_zero_point, output_zero_point;
  uint8_t dtype;       /* input type */
  uint8_t state_dtype; /* int8 or int16 for integer SVDF */
  uint8_t activation;
} svdf_data;

/* What the loops need, assembled on the stack at each invoke. */
typedef struct svdf_params {
  int32_t batches, input_size, filters, units, rank, memory;
  int32_t feature_multiplier, feature_shift;
  int32_t output_multiplier, output_shift;
  int32_t input_zero_point, state_zero_point, output_zero_point;
  uint32_t activation;
} svdf_params;

static mf_status svdf_prepare(mf_kernel_ctx *ctx) {
  const uint32_t options_type = mf_options_type(ctx);
  if (options_type != 0 && options_type != 6) { /* BuiltinOptions union type */
    return mf_kernel_error(ctx, "builtin options of type %u, expected 6", (unsigned)options_type);
  }
  if (mf_num_inputs(ctx) != 5 || mf_num_outputs(ctx) != 1) {
    return mf_kernel_error(ctx, "needs 5 inputs (bias may be absent) and 1 output");
  }
  const mf_tensor *input = mf_input(ctx, SVDF_INPUT);
  const mf_tensor *feature = mf_input(ctx, SVDF_FEATURE);
  const mf_tensor *time = mf_input(ctx, SVDF_TIME);
  const mf_tensor *bias = mf_input(ctx, SVDF_BIAS);
  const mf_tensor *state = mf_input(ctx, SVDF_STATE);
  const mf_tensor *output = mf_output(ctx, 0);
  if (input == NULL || feature == NULL || time == NULL || state == NULL || output == NULL) {
    return mf_kernel_error(ctx, "missing input, weights, state or output");
  }
  if (input->ndims != 2 || feature->ndims != 2 || time->ndims != 2 || state->ndims != 2 ||
      output->ndims != 2) {
    return mf_kernel_error(ctx, "input, weights, state and output must be 2-D");
  }
  const int32_t rank = mf_option_i32(ctx, SVDF_FIELD_RANK, 0);
  const uint32_t activation = mf_option_u8(ctx, SVDF_FIELD_ACTIVATION, MF_ACT_NONE);
  const int32_t batches = input->dims[0];
  const int32_t input_size = input->dims[1];
  const int32_t filters = feature->dims[0];
  const int32_t memory = time->dims[1];
  if (rank <= 0 || filters <= 0 || filters % rank != 0) {
    return mf_kernel_error(ctx, "rank %d does not divide %d filters", (int)rank, (int)filters);
  }
  const int32_t units = filters / rank;
  if (memory <= 0 || feature->dims[1] != input_size || time->dims[0] != filters) {
    return mf_kernel_error(ctx, "weight shapes do not match the input and each other");
  }
  if (output->dims[0] != batches || output->dims[1] != units) {
    return mf_kernel_error(ctx, "output must be [%d, %d]", (int)batches, (int)units);
  }
  if (state->dims[0] != batches || (int64_t)state->dims[1] != (int64_t)memory * filters) {
    return mf_kernel_error(ctx, "state must be [%d, %d]", (int)batches, (int)(memory * filters));
  }
  if (!(state->flags & MF_TENSOR_VARIABLE)) {
    return mf_kernel_error(ctx, "state tensor must be a variable");
  }
  if (bias != NULL && mf_tensor_elements(bias) != (size_t)units) {
    return mf_kernel_error(ctx, "bias has %u elements, expected %d",
                           (unsigned)mf_tensor_elements(bias), (int)units);
  }
  if (!mf_activation_valid(activation)) {
    return mf_kernel_error(ctx, "unknown fused activation %u", (unsigned)activation);
  }
  const mf_dtype dtype = (mf_dtype)input->dtype;
  if (dtype == MF_FLOAT32) {
    if (feature->dtype != MF_FLOAT32 || time->dtype != MF_FLOAT32 ||
        state->dtype != MF_FLOAT32 || output->dtype != MF_FLOAT32 ||
        (bias != NULL && bias->dtype != MF_FLOAT32)) {
      return mf_kernel_error(ctx, "float32 SVDF needs float32 weights, bias, state and output");
    }
  } else if (dtype == MF_INT8) {
    if (feature->dtype != MF_INT8 || output->dtype != MF_INT8 ||
        (state->dtype != MF_INT16 && state->dtype != MF_INT8) || time->dtype != state->dtype ||
        (bias != NULL && bias->dtype != MF_INT32)) {
      return mf_kernel_error(ctx, "int8 SVDF needs int8 feature weights and output, int32 bias, "
                                  "and int16 (or int8) time weights and state");
    }
  } else {
    return mf_kernel_error(ctx, "%s input is not supported", mf_dtype_name(dtype));
  }

  if (rank > INT16_MAX) return mf_kernel_error(ctx, "rank %d is too large", (int)rank);
  svdf_data *d = (svdf_data *)mf_alloc_persistent(ctx, sizeof(svdf_data));
  if (d == NULL) return MF_ERR_ARENA_TOO_SMALL;
  d->rank = (int16_t)rank;
  d->dtype = (uint8_t)dtype;
  d->state_dtype = state->dtype;
  d->activation = (uint8_t)activation;
  d->feature_multiplier = d->output_multiplier = 0;
  d->feature_shift = d->output_shift = 0;
  d->input_zero_point = d->state_zero_point = d->output_zero_point = 0;
  mf_set_op_data(ctx, d);
  if (dtype == MF_FLOAT32) return MF_OK;

  mf_quant iq, fq, tq, sq, oq;
  if (mf_input_quant(ctx, SVDF_INPUT, &iq) != MF_OK || iq.channels != 1 ||
      mf_input_quant(ctx, SVDF_FEATURE, &fq) != MF_OK || fq.channels != 1 ||
      mf_input_quant(ctx, SVDF_TIME, &tq) != MF_OK || tq.channels != 1 ||
      mf_input_quant(ctx, SVDF_STATE, &sq) != MF_OK || sq.channels != 1 ||
      mf_output_quant(ctx, 0, &oq) != MF_OK || oq.channels != 1) {
    return mf_kernel_error(ctx, "input, weights, state and output need per-tensor quantization");
  }
  if (!(iq.scale > 0.0f) || !(fq.scale > 0.0f) || !(tq.scale > 0.0f) || !(sq.scale > 0.0f) ||
      !(oq.scale > 0.0f)) {
    return mf_kernel_error(ctx, "quantization scales must be positive");
  }
  const double scale_1 = (double)iq.scale * (double)fq.scale / (double)sq.scale;
  const double scale_2 = (double)sq.scale * (double)tq.scale / (double)oq.scale;
  if (bias != NULL) {
    mf_quant bq;
    if (mf_input_quant(ctx, SVDF_BIAS, &bq) != MF_OK || bq.channels != 1) {
      return mf_kernel_error(ctx, "bias needs per-tensor quantization");
    }
    double diff = (double)bq.scale - (double)(sq.scale * tq.scale);
    if (diff < 0) diff = -diff;
    if (!(diff < 1e-5)) {
      return mf_kernel_error(ctx, "bias scale must be state scale x time weight scale");
    }
  }
  int32_t shift_1;
  int32_t shift_2;
  if (mf_quantize_multiplier(scale_1, &d->feature_multiplier, &shift_1) != MF_OK ||
      mf_quantize_multiplier(scale_2, &d->output_multiplier, &shift_2) != MF_OK ||
      shift_1 > 31 || shift_2 > 31) {
    return mf_kernel_error(ctx, "effective scales are out of range");
  }
  d->feature_shift = (int8_t)shift_1;
  d->output_shift = (int8_t)shift_2;
  if (iq.zero_point < INT8_MIN || iq.zero_point > INT8_MAX || oq.zero_point < INT8_MIN ||
      oq.zero_point > INT8_MAX || sq.zero_point < INT16_MIN || sq.zero_point > INT16_MAX) {
    return mf_kernel_error(ctx, "zero points out of range");
  }
  d->input_zero_point = (int16_t)iq.zero_point;
  d->state_zero_point = (int16_t)sq.zero_point;
  d->output_zero_point = (int16_t)oq.zero_point;
  return MF_OK;
}

/* The integer SVDF for one state element type T (int8 or int16). */
#define SVDF_INTEGER(NAME, T, T_MIN, T_MAX)                                                     \
  static void NAME(const svdf_params *d, const int8_t *input, const int8_t *feature,             \
                   const T *time, const int32_t *bias, T *state, int8_t *out) {                \
    const int32_t M = d->memory, F = d->filters, N = d->input_size;                             \
    const size_t total = (size_t)d->batches * F * M;                                            \
    memmove(state, state + 1, (total - 1) * sizeof(T));                                         \
    const int32_t in_zp = d->input_zero_point, st_zp = d->state_zero_point;                    \
    for (int32_t b = 0; b < d->batches; ++b) {                                                  \
      const int8_t *x = input + (size_t)b * N;                                                  \
      const int8_t *w = feature;                                                                \
      T *slot = state + (size_t)b * F * M + (M - 1);                                            \
      for (int32_t f = 0; f < F; ++f, w += N, slot += M) {                                      \
        uint32_t dot = 0;                                                                       \
        for (int32_t c = 0; c < N; ++c) dot += (uint32_t)(w[c] * (x[c] - in_zp));               \
        int32_t v = mf_mul_by_quantized_multiplier((int32_t)dot, d->feature_multiplier,         \
                                                   d->feature_shift);                           \
        /* clamped, then offset by the zero point, wrapping like the reference */           \
        *slot = (T)(uint32_t)(mf_clamp_i32(v, T_MIN, T_MAX) + st_zp);                           \
      }                                                                                         \
    }                                                                                           \
    for (int32_t b = 0; b < d->batches; ++b) {                                                  \
      const T *s = state + (size_t)b * F * M;                                                   \
      const T *t = time;                                                                        \
      for (int32_t u = 0; u < d->units; ++u) {                                                  \
        uint32_t acc = bias != NULL ? (uint32_t)bias[u] : 0u;                                   \
        for (int32_t r = 0; r < d->rank; ++r) {                                                 \
          for (int32_t m = 0; m < M; ++m) acc += (uint32_t)t[m] * (uint32_t)(s[m] - st_zp);     \
          s += M;                                                                               \
          t += M;                                                                               \
        }                                                                                       \
        const int32_t v = mf_mul_by_quantized_multiplier((int32_t)acc, d->output_multiplier,   \
                                                         d->output_shift);                     \
        *out++ = (int8_t)mf_clamp_i32(mf_wrap_add(v, d->output_zero_point), INT8_MIN,           \
                                      INT8_MAX);                                                \
      }                                                                                         \
    }                                                                                           \
  }

SVDF_INTEGER(svdf_int16_state, int16_t, INT16_MIN, INT16_MAX)
SVDF_INTEGER(svdf_int8_state, int8_t, INT8_MIN, INT8_MAX)

static float svdf_activation(uint32_t activation, float a) {
  switch (activation) {
    case MF_ACT_RELU: return a > 0.0f ? a : 0.0f;
    case MF_ACT_RELU_N1_TO_1: {
      const float b = a < 1.0f ? a : 1.0f;
      return b > -1.0f ? b : -1.0f;
    }
    case MF_ACT_RELU6: {
      const float b = a < 6.0f ? a : 6.0f;
      return b > 0.0f ? b : 0.0f;
    }
    case MF_ACT_TANH: return tanhf(a);
    case MF_ACT_SIGN_BIT: return signbit(a) ? 1.0f : 0.0f;
    default: return a;
  }
}

static void svdf_float(const svdf_params *d, const float *input, const float *feature,
                       const float *time, const float *bias, float *state, float *out) {
  const int32_t M = d->memory, F = d->filters, N = d->input_size;
  const size_t total = (size_t)d->batches * F * M;
  memmove(state, state + 1, (total - 1) * sizeof(float));
  for (int32_t b = 0; b < d->batches; ++b) {
    const float *x = input + (size_t)b * N;
    const float *w = feature;
    float *slot = state + (size_t)b * F * M + (M - 1);
    for (int32_t f = 0; f < F; ++f, w += N, slot += M) {
      float dot = 0.0f;
      for (int32_t c = 0; c < N; ++c) dot += w[c] * x[c];
      *slot = dot;
    }
  }
  for (int32_t b = 0; b < d->batches; ++b) {
    const float *s = state + (size_t)b * F * M;
    const float *t = time;
    for (int32_t u = 0; u < d->units; ++u) {
      float acc = bias != NULL ? bias[u] : 0.0f;
      for (int32_t r = 0; r < d->rank; ++r) {
        float dot = 0.0f; /* the reference sums each filter, then adds it */
        for (int32_t m = 0; m < M; ++m) dot += t[m] * s[m];
        acc += dot;
        s += M;
        t += M;
      }
      *out++ = svdf_activation(d->activation, acc);
    }
  }
}

static mf_status svdf_invoke(mf_kernel_ctx *ctx) {
  const svdf_data *d = (const svdf_data *)mf_op_data(ctx);
  const mf_tensor *input = mf_input(ctx, SVDF_INPUT);
  const mf_tensor *feature = mf_input(ctx, SVDF_FEATURE);
  const mf_tensor *time = mf_input(ctx, SVDF_TIME);
  const mf_tensor *bias = mf_input(ctx, SVDF_BIAS);
  mf_tensor *state = mf_input(ctx, SVDF_STATE);
  mf_tensor *output = mf_output(ctx, 0);
  const void *bias_data = bias != NULL ? bias->data : NULL;
  svdf_params p;
  p.batches = input->dims[0];
  p.input_size = input->dims[1];
  p.filters = feature->dims[0];
  p.memory = time->dims[1];
  p.units = output->dims[1];
  p.rank = d->rank;
  p.feature_multiplier = d->feature_multiplier;
  p.feature_shift = d->feature_shift;
  p.output_multiplier = d->output_multiplier;
  p.output_shift = d->output_shift;
  p.input_zero_point = d->input_zero_point;
  p.state_zero_point = d->state_zero_point;
  p.output_zero_point = d->output_zero_point;
  p.activation = d->activation;
  if (d->dtype == MF_FLOAT32) {
    svdf_float(&p, (const float *)input->data, (const float *)feature->data,
               (const float *)time->data, (const float *)bias_data, (float *)state->data,
               (float *)output->data);
  } else if (d->state_dtype == MF_INT16) {
    svdf_int16_state(&p, (const int8_t *)input->data, (const int8_t *)feature->data,
                     (const int16_t *)time->data, (const int32_t *)bias_data,
                     (int16_t *)state->data, (int8_t *)output->data);
  } else {
    svdf_int8_state(&p, (const int8_t *)input->data, (const int8_t *)feature->data,
                    (const int8_t *)time->data, (const int32_t *)bias_data,
                    (int8_t *)state->data, (int8_t *)output->data);
  }
  return MF_OK;
}

const mf_op_registration mf_op_svdf = {
    27, 4, "SVDF", NULL, svdf_prepare, svdf_invoke, NULL,
};
