/* The model verifier on synthetic models: each defect is rejected with a
 * reason naming the field and index; truncations and byte flips of a valid
 * model never crash (run under sanitizers on the host). */
#include <string.h>

#include "mf_board.h"
#include "mf_test.h"
#include "support/tm_session.h"

#define MODEL_CAP 8192

static uint8_t *model_buf(void) {
  static _Alignas(16) uint8_t buf[MODEL_CAP];
  return buf;
}

static uint8_t *copy_buf(void) {
  static _Alignas(16) uint8_t buf[MODEL_CAP + 16];
  return buf;
}

static uint8_t *arena_buf(void) {
  static _Alignas(16) uint8_t buf[4096];
  return buf;
}

/* in(0) -> node 0 (+ constant 2) -> mid(1) -> node 1 -> out(3) */
typedef struct small_graph {
  int8_t weights[4];
  tm_tensor tensors[4];
  tm_op ops[2];
  int32_t inputs[1], outputs[1];
  tm_graph graph;
} small_graph;

static tm_graph *small(small_graph *sg) {
  memset(sg, 0, sizeof *sg);
  for (int i = 0; i < 4; i++) sg->weights[i] = (int8_t)(i + 1);
  sg->tensors[0] = (tm_tensor)TM_INT8(1, 4);
  sg->tensors[1] = (tm_tensor)TM_INT8(1, 4);
  sg->tensors[2] = (tm_tensor)TM_INT8(1, 4);
  sg->tensors[2].data = sg->weights;
  sg->tensors[2].data_size = 4;
  sg->tensors[3] = (tm_tensor)TM_INT8(1, 4);
  for (int i = 0; i < 2; i++) {
    sg->ops[i].code = MF_CUSTOM_OP;
    sg->ops[i].custom = "MF_TEST";
    sg->ops[i].n_out = 1;
  }
  sg->ops[0].n_in = 2, sg->ops[0].in[0] = 0, sg->ops[0].in[1] = 2, sg->ops[0].out[0] = 1;
  sg->ops[1].n_in = 1, sg->ops[1].in[0] = 1, sg->ops[1].out[0] = 3;
  sg->inputs[0] = 0;
  sg->outputs[0] = 3;
  sg->graph = (tm_graph){sg->tensors, 4, sg->ops, 2, sg->inputs, 1, sg->outputs, 1, NULL, 0};
  return &sg->graph;
}

/* Builds and maps; expects `status` and, on failure, exactly `error`. */
static void expect_map(mf_test_ctx *mf_t, const tm_graph *g, mf_status status, const char *error) {
  mf_model model;
  size_t size = tm_build(g, model_buf(), MODEL_CAP);
  MF_ASSERT(size > 0u);
  mf_status got = mf_model_map(&model, model_buf(), size);
  MF_EXPECT_STATUS(got, status);
  if (status == MF_OK) MF_EXPECT_STR_EQ(mf_model_error(&model), "");
  else MF_EXPECT_REASON(mf_model_error(&model), error);
}

MF_TEST(valid_model_maps_and_runs) {
  static small_graph sg;
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, small(&sg), model_buf(), MODEL_CAP, arena_buf(), 4096), MF_OK);
  MF_EXPECT_EQ_UINT(s.model.version, 3);
  MF_EXPECT_EQ_UINT(s.model.len[MF_VEC_TENSORS], 4);
  MF_EXPECT_EQ_UINT(s.model.len[MF_VEC_OPERATORS], 2);
  MF_EXPECT_STR_EQ(mf_model_error(&s.model), "");
  MF_EXPECT_STATUS(mf_interpreter_invoke(&s.it), MF_OK);
}

/* Buffer.offset/size: constant data after the flatbuffer. */
MF_TEST(external_buffers) {
  static small_graph sg;
  tm_graph *g = small(&sg);
  g->external_buffers = 1;
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), 4096), MF_OK);
  mf_tensor_info in, out, weights;
  MF_ASSERT_STATUS(mf_interpreter_tensor(&s.it, 2, &weights), MF_OK);
  MF_EXPECT((const uint8_t *)weights.data >= model_buf() + s.model_size - 16u);
  MF_ASSERT_STATUS(mf_interpreter_input(&s.it, 0, &in), MF_OK);
  memset(in.data, 0, in.bytes);
  MF_ASSERT_STATUS(mf_interpreter_invoke(&s.it), MF_OK);
  MF_ASSERT_STATUS(mf_interpreter_output(&s.it, 0, &out), MF_OK);
  static const int8_t expected[4] = {3, 4, 5, 6}; /* 2 + weights */
  MF_EXPECT(memcmp(out.data, expected, 4) == 0);
  /* without the appended data the offset points outside the model */
  mf_model model;
  MF_EXPECT_STATUS(mf_model_map(&model, model_buf(), s.model_size - 16u), MF_ERR_MODEL_INVALID);
  MF_EXPECT_REASON(mf_model_error(&model), "buffer 1: offset/size out of bounds");
}

MF_TEST(graph_order_is_checked) {
  static small_graph sg;
  tm_graph *g = small(&sg);
  sg.ops[0].in[0] = 3; /* reads the final output: a cycle through node 1 */
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "node 0: input 0 (tensor 3) is read before it is written");
  g = small(&sg);
  sg.ops[1].out[0] = 1; /* writes what node 0 wrote */
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID,
             "node 1: output 0 (tensor 1) is read-only or written twice");
  g = small(&sg);
  sg.ops[1].out[0] = 2; /* writes a constant */
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID,
             "node 1: output 0 (tensor 2) is read-only or written twice");
  g = small(&sg);
  sg.ops[0].in[0] = -1; /* an absent optional input is fine */
  expect_map(mf_t, g, MF_OK, "");
}

MF_TEST(indices_are_checked) {
  static small_graph sg;
  tm_graph *g = small(&sg);
  sg.ops[1].in[0] = 9;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "node 1: input 0 is tensor 9, out of range");
  g = small(&sg);
  sg.ops[0].out[0] = -7;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "node 0: output 0 is tensor -7, out of range");
  g = small(&sg);
  sg.outputs[0] = 4;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "subgraph 0: output 0 is tensor 4, out of range");
  g = small(&sg);
  sg.inputs[0] = -1;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "subgraph 0: input 0 is tensor -1, out of range");
  g = small(&sg);
  sg.inputs[0] = 2;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "graph input 0 (tensor 2) is a constant");
  g = small(&sg);
  sg.ops[0].version = -1;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "opcode 0: code 32 version -1 is invalid");
}

MF_TEST(shapes_and_dtypes_are_checked) {
  static small_graph sg;
  tm_graph *g = small(&sg);
  sg.tensors[1].dims[1] = -3;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "tensor 1: shape has a negative dim, rank > 8 or over 1 GiB");
  g = small(&sg);
  sg.tensors[3].ndims = 4;
  sg.tensors[3].dims[0] = sg.tensors[3].dims[1] = sg.tensors[3].dims[2] = sg.tensors[3].dims[3] = 40000;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "tensor 3: shape has a negative dim, rank > 8 or over 1 GiB");
  g = small(&sg);
  sg.tensors[1].dtype = MF_STRING;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "tensor 1: dtype string (5) not supported");
  g = small(&sg);
  sg.tensors[1].dtype = 42;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "tensor 1: dtype unknown (42) not supported");
  g = small(&sg);
  sg.tensors[2].data_size = 3;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "tensor 2: buffer 1 holds 3 bytes, shape needs 4");
  g = small(&sg);
  sg.tensors[2].dtype = MF_INT32; /* 4 elements of int32 need 16 bytes */
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "tensor 2: buffer 1 holds 4 bytes, shape needs 16");
}

MF_TEST(quantization_is_checked) {
  static small_graph sg;
  static const float scales[4] = {0.5f, 0.25f, 0.125f, 1.0f};
  tm_graph *g = small(&sg);
  sg.tensors[2].channels = 3, sg.tensors[2].axis = 1, sg.tensors[2].scales = scales;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "tensor 2: 3 scales do not match dim 1");
  sg.tensors[2].channels = 4, sg.tensors[2].axis = 5;
  expect_map(mf_t, g, MF_ERR_MODEL_INVALID, "tensor 2: 4 scales do not match dim 5");
  sg.tensors[2].axis = 1;
  expect_map(mf_t, g, MF_OK, "");
  /* a 1-D per-channel tensor with the filter's axis (as converters write biases) */
  sg.tensors[2].ndims = 1, sg.tensors[2].dims[0] = 4, sg.tensors[2].axis = 3;
  expect_map(mf_t, g, MF_OK, "");
  /* the kernel sees the right scales and zero points */
  tm_session s;
  sg.tensors[2].zero_point = -3;
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), 4096), MF_OK);
  mf_tensor_info info;
  MF_ASSERT_STATUS(mf_interpreter_tensor(&s.it, 2, &info), MF_OK);
  MF_EXPECT_EQ_UINT(info.quant.channels, 4);
  MF_EXPECT_EQ_INT(info.quant.axis, 0);
  MF_EXPECT_NEAR(info.quant.scales[2], 0.125, 0.0);
  MF_EXPECT_EQ_INT(mf_quant_zero_point(&info.quant, 3), -3);
}

MF_TEST(arguments_are_checked) {
  static small_graph sg;
  mf_model model;
  size_t size = tm_build(small(&sg), model_buf(), MODEL_CAP);
  MF_ASSERT(size > 0u);
  MF_EXPECT_STATUS(mf_model_map(&model, NULL, size), MF_ERR_MODEL_INVALID);
  MF_EXPECT_REASON(mf_model_error(&model), "model data is NULL");
  memcpy(copy_buf() + 1, model_buf(), size);
  MF_EXPECT_STATUS(mf_model_map(&model, copy_buf() + 1, size), MF_ERR_INVALID_ARG);
  MF_EXPECT_REASON(mf_model_error(&model), "model data must be 4-byte aligned");
  MF_EXPECT_STATUS(mf_model_map(&model, model_buf(), 12), MF_ERR_MODEL_INVALID);
  MF_EXPECT_REASON(mf_model_error(&model), "model size 12 is out of range");
  memcpy(copy_buf(), model_buf(), size);
  copy_buf()[7] = '2';
  MF_EXPECT_STATUS(mf_model_map(&model, copy_buf(), size), MF_ERR_MODEL_INVALID);
  MF_EXPECT_REASON(mf_model_error(&model), "file identifier is not TFL3");
  MF_EXPECT_STATUS(mf_model_map(NULL, model_buf(), size), MF_ERR_INVALID_ARG);
}

/* Maps, allocates and invokes; returns the first failing status, or -1
 * when a failure left no reason. */
static int run_all(const uint8_t *data, size_t size) {
  tm_session s;
  memset(&s, 0, sizeof s);
  mf_status status = tm_open_bytes(&s, data, size, arena_buf(), 4096);
  if (status == MF_OK) status = mf_interpreter_invoke(&s.it);
  /* every failure leaves a reason */
  if (status != MF_OK && mf_model_error(&s.model)[0] == '\0' && mf_interpreter_error(&s.it)[0] == '\0')
    return -1;
  return (int)status;
}

MF_TEST(truncations_fail_cleanly) {
  static small_graph sg;
  size_t size = tm_build(small(&sg), model_buf(), MODEL_CAP), rejected = 0;
  MF_ASSERT(size > 0u);
  for (size_t len = 0; len < size; len++) {
    memcpy(copy_buf(), model_buf(), len);
    int status = run_all(copy_buf(), len);
    if (status == -1) MF_FAIL("length %u: failed without a reason", (unsigned)len);
    rejected += status != (int)MF_OK;
  }
  /* only the trailing alignment padding may go */
  MF_EXPECT(rejected + 16u >= size);
}

MF_TEST(byte_flips_fail_cleanly) {
  static small_graph sg;
  size_t size = tm_build(small(&sg), model_buf(), MODEL_CAP), rejected = 0;
  MF_ASSERT(size > 0u);
  static const uint8_t masks[] = {0xFF, 0x80, 0x01, 0x10};
  for (size_t at = 0; at < size; at++) {
    for (size_t m = 0; m < sizeof masks; m++) {
      memcpy(copy_buf(), model_buf(), size);
      copy_buf()[at] ^= masks[m];
      int status = run_all(copy_buf(), size);
      if (status == -1) MF_FAIL("flip %u at %u: failed without a reason", masks[m], (unsigned)at);
      rejected += status != (int)MF_OK;
    }
  }
  MF_EXPECT(rejected > 0u);
}

int main(void) {
  mf_board_init();
  static const mf_test_case cases[] = {
      MF_TEST_CASE(valid_model_maps_and_runs), MF_TEST_CASE(external_buffers),
      MF_TEST_CASE(graph_order_is_checked),
      MF_TEST_CASE(indices_are_checked),       MF_TEST_CASE(shapes_and_dtypes_are_checked),
      MF_TEST_CASE(quantization_is_checked),   MF_TEST_CASE(arguments_are_checked),
      MF_TEST_CASE(truncations_fail_cleanly),  MF_TEST_CASE(byte_flips_fail_cleanly)};
  return MF_TEST_RUN("test_model", cases);
}
