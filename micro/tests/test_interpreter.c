/* The interpreter: exact arena accounting, state, variables, output dims,
 * and the error texts of allocate and invoke. */
#include <string.h>

#include "mf_board.h"
#include "mf_test.h"
#include "support/tm_session.h"

#define MODEL_CAP 8192
#define ARENA_CAP 16384

static uint8_t *model_buf(void) {
  static _Alignas(16) uint8_t buf[MODEL_CAP];
  return buf;
}

static uint8_t *arena_buf(void) {
  static _Alignas(16) uint8_t buf[ARENA_CAP + 16];
  return buf;
}

typedef struct test_graph {
  uint8_t options[4][16];
  tm_tensor tensors[5];
  tm_op ops[4];
  int32_t inputs[1], outputs[1];
  tm_graph graph;
} test_graph;

static void set_words(uint8_t *dst, uint32_t scratch, uint32_t persistent, uint32_t flags,
                      uint32_t length) {
  memcpy(dst, &scratch, 4);
  memcpy(dst + 4, &persistent, 4);
  memcpy(dst + 8, &flags, 4);
  memcpy(dst + 12, &length, 4);
}

/* A chain of `n` MF_TEST nodes over int8 [1, 40] tensors; node i asks for
 * scratch[i] scratch and persistent[i] persistent bytes. */
static tm_graph *chain(test_graph *tg, uint32_t n, const uint32_t *scratch,
                       const uint32_t *persistent, const uint32_t *flags) {
  memset(tg, 0, sizeof *tg);
  for (uint32_t i = 0; i <= n; i++) tg->tensors[i] = (tm_tensor)TM_INT8(1, 40);
  for (uint32_t i = 0; i < n; i++) {
    set_words(tg->options[i], scratch ? scratch[i] : 0u, persistent ? persistent[i] : 0u,
              flags ? flags[i] : 0u, 24);
    tm_op *op = &tg->ops[i];
    op->code = MF_CUSTOM_OP;
    op->custom = "MF_TEST";
    op->custom_options = tg->options[i];
    op->custom_options_size = 16;
    op->n_in = op->n_out = 1;
    op->in[0] = (int32_t)i;
    op->out[0] = (int32_t)i + 1;
  }
  tg->inputs[0] = 0;
  tg->outputs[0] = (int32_t)n;
  tg->graph = (tm_graph){tg->tensors, n + 1u, tg->ops, n, tg->inputs, 1, tg->outputs, 1, NULL, 0};
  return &tg->graph;
}

/* Every arena size below the reported need fails and reports exactly it;
 * the need itself succeeds and equals the arena used. */
static void check_exact_need(mf_test_ctx *mf_t, const tm_graph *g, uint32_t skew) {
  tm_session s;
  uint8_t *arena = arena_buf() + skew;
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena, ARENA_CAP), MF_OK);
  size_t used = mf_interpreter_arena_used(&s.it);
  MF_ASSERT(used > 0u && used < ARENA_CAP);
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena, used), MF_OK);
  MF_EXPECT_EQ_UINT(mf_interpreter_arena_used(&s.it), used);
  for (size_t size = 0; size < used; size++) {
    mf_status status = tm_open(&s, g, model_buf(), MODEL_CAP, arena, size);
    if (status != MF_ERR_ARENA_TOO_SMALL) {
      MF_FAIL("skew %u size %u: %s", skew, (unsigned)size, mf_status_name(status));
      return;
    }
    size_t needed = mf_interpreter_arena_needed(&s.it);
    const char *error = mf_interpreter_error(&s.it);
    if (s.it.needed_kind == MF_NEED_AT_LEAST) {
      if (needed > used || needed <= size) MF_FAIL("skew %u size %u: lower bound %u", skew, (unsigned)size, (unsigned)needed);
    } else if (s.it.needed_kind == MF_NEED_ESTIMATE) {
      /* An output shape was not stored: retrying with the estimate converges. */
      if (tm_open(&s, g, model_buf(), MODEL_CAP, arena, needed) != MF_OK &&
          tm_open(&s, g, model_buf(), MODEL_CAP, arena, mf_interpreter_arena_needed(&s.it)) != MF_OK)
        MF_FAIL("skew %u size %u: estimate %u does not converge", skew, (unsigned)size, (unsigned)needed);
    } else if (needed != used) {
      MF_FAIL("skew %u size %u: needed %u, expected %u (%s)", skew, (unsigned)size, (unsigned)needed,
              (unsigned)used, error);
      return;
    }
  }
}

MF_TEST(arena_needed_is_exact) {
  static test_graph tg;
  static const uint32_t scratch[] = {0, 48, 0, 200}, persistent[] = {13, 0, 100, 7};
  const tm_graph *g = chain(&tg, 4, scratch, persistent, NULL);
  for (uint32_t skew = 0; skew < 8u; skew += 3u) check_exact_need(mf_t, g, skew);
}

MF_TEST(arena_too_small_message) {
  static test_graph tg;
  static const uint32_t persistent[] = {1000, 1000};
  const tm_graph *g = chain(&tg, 2, NULL, persistent, NULL);
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  size_t used = mf_interpreter_arena_used(&s.it);
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), 1024), MF_ERR_ARENA_TOO_SMALL);
  char expected[96];
  mf_format(expected, sizeof expected, "arena too small: %u bytes needed, 1024 given", (unsigned)used);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), expected);
  MF_EXPECT_EQ_UINT(mf_interpreter_arena_needed(&s.it), used);
}

MF_TEST(empty_arena_is_a_clean_error) {
  static test_graph tg;
  const tm_graph *g = chain(&tg, 2, NULL, NULL, NULL);
  tm_session s;
  MF_EXPECT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), 0), MF_ERR_ARENA_TOO_SMALL);
  MF_EXPECT_REASON_CONTAINS(mf_interpreter_error(&s.it), "arena too small: at least ");
  MF_EXPECT_REASON_CONTAINS(mf_interpreter_error(&s.it), " bytes needed, 0 given");
  MF_EXPECT(mf_interpreter_arena_needed(&s.it) > 0u);
  /* a NULL arena of size 0 too; a NULL arena with a size is an argument error */
  MF_EXPECT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, NULL, 0), MF_ERR_ARENA_TOO_SMALL);
  MF_EXPECT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, NULL, 64), MF_ERR_INVALID_ARG);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), "arena is NULL");
}

MF_TEST(calls_out_of_order) {
  static test_graph tg;
  const tm_graph *g = chain(&tg, 1, NULL, NULL, NULL);
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), 8), MF_ERR_ARENA_TOO_SMALL);
  MF_EXPECT_STATUS(mf_interpreter_invoke(&s.it), MF_ERR_STATE);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), "invoke before a successful allocate");
  mf_tensor_info info;
  MF_EXPECT_STATUS(mf_interpreter_input(&s.it, 0, &info), MF_ERR_STATE);
  MF_EXPECT_EQ_UINT(mf_interpreter_arena_used(&s.it), 0);
  MF_EXPECT_STATUS(mf_interpreter_reset_state(&s.it), MF_ERR_STATE);
  mf_model unmapped;
  MF_EXPECT_STATUS(mf_model_map(&unmapped, NULL, 0), MF_ERR_MODEL_INVALID);
  MF_EXPECT_STATUS(mf_interpreter_init(&s.it, &unmapped, &s.resolver, arena_buf(), 64), MF_ERR_INVALID_ARG);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), "model is not mapped");
  MF_EXPECT_STATUS(mf_interpreter_allocate(NULL), MF_ERR_INVALID_ARG);
  /* A second allocate on a ready interpreter starts over and succeeds. */
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  MF_EXPECT_STATUS(mf_interpreter_allocate(&s.it), MF_OK);
  MF_EXPECT_STATUS(mf_interpreter_invoke(&s.it), MF_OK);
  MF_EXPECT_STATUS(mf_interpreter_input(&s.it, 1, &info), MF_ERR_INVALID_ARG);
}

MF_TEST(kernel_errors_name_the_node) {
  static test_graph tg;
  static const uint32_t fail_prepare[] = {0, TM_FLAG_FAIL_PREPARE}, fail_invoke[] = {TM_FLAG_FAIL_INVOKE, 0};
  static const uint32_t lie[] = {0, TM_FLAG_LIE_ARENA};
  tm_session s;
  MF_EXPECT_STATUS(tm_open(&s, chain(&tg, 2, NULL, NULL, fail_prepare), model_buf(), MODEL_CAP,
                           arena_buf(), ARENA_CAP), MF_ERR_KERNEL);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), "node 1 MF_TEST: asked to fail in prepare (7)");
  MF_ASSERT_STATUS(tm_open(&s, chain(&tg, 2, NULL, NULL, fail_invoke), model_buf(), MODEL_CAP,
                           arena_buf(), ARENA_CAP), MF_OK);
  MF_EXPECT_STATUS(mf_interpreter_invoke(&s.it), MF_ERR_KERNEL);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), "node 0 MF_TEST: asked to fail in invoke");
  MF_EXPECT_STATUS(tm_open(&s, chain(&tg, 2, NULL, NULL, lie), model_buf(), MODEL_CAP, arena_buf(),
                           ARENA_CAP), MF_ERR_KERNEL);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), "node 1 MF_TEST: prepare failed (MF_ERR_ARENA_TOO_SMALL)");
}

MF_TEST(unsupported_ops_are_named) {
  static test_graph tg;
  tm_graph *g = chain(&tg, 3, NULL, NULL, NULL);
  tm_session s;
  tg.ops[2].code = 99;
  MF_EXPECT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_ERR_OP_UNSUPPORTED);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), "node 2: op #99 is not registered");
  tg.ops[2].code = 9; /* FULLY_CONNECTED: not in this resolver */
#ifdef MF_OP_NAMES
  const char *expected = "node 2: op FULLY_CONNECTED is not registered";
#else
  const char *expected = "node 2: op #9 is not registered";
#endif
  MF_EXPECT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_ERR_OP_UNSUPPORTED);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), expected);
  tg.ops[2].code = MF_CUSTOM_OP;
  tg.ops[2].custom = "MY_OP";
  MF_EXPECT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_ERR_OP_UNSUPPORTED);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), "node 2: op MY_OP is not registered");
  tg.ops[2].code = 3; /* registered as CONV_2D up to version 2 */
  tg.ops[2].version = 5;
  MF_EXPECT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_ERR_OP_UNSUPPORTED);
  MF_EXPECT_REASON(mf_interpreter_error(&s.it), "node 2: op CONV_2D version 5 is not supported (max 2)");
  tg.ops[2].version = 2;
  MF_EXPECT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
}

MF_TEST(variables_keep_state_and_reset) {
  static test_graph tg;
  static const int8_t initial[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  tm_graph *g = chain(&tg, 1, NULL, NULL, NULL);
  /* node 0 reads the input and two variables: an int8 one with a zero point
   * (its buffer data is ignored, as in TFLM) and an unquantized one */
  tg.tensors[2] = (tm_tensor){.dtype = MF_INT8, .ndims = 1, .dims = {8}, .variable = 1,
                              .data = initial, .data_size = 8, .channels = 1,
                              .zero_point = -3};
  tg.tensors[3] = (tm_tensor){.dtype = MF_INT8, .ndims = 1, .dims = {4}, .variable = 1};
  tg.ops[0].n_in = 3;
  tg.ops[0].in[1] = 2;
  tg.ops[0].in[2] = 3;
  g->n_tensors = 4;
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  mf_tensor_info state8, plain;
  MF_ASSERT_STATUS(mf_interpreter_tensor(&s.it, 2, &state8), MF_OK);
  MF_ASSERT_STATUS(mf_interpreter_tensor(&s.it, 3, &plain), MF_OK);
  MF_EXPECT_EQ_INT(((int8_t *)state8.data)[0], -3);
  MF_EXPECT_EQ_INT(((int8_t *)state8.data)[7], -3);
  MF_EXPECT_EQ_INT(((int8_t *)plain.data)[3], 0);
  /* variables live in the persistent tail, not in the planned head */
  MF_EXPECT((uint8_t *)state8.data >= s.it.base + s.it.head);
  memset(state8.data, 9, 8);
  memset(plain.data, 9, 4);
  MF_EXPECT_STATUS(mf_interpreter_reset_state(&s.it), MF_OK);
  MF_EXPECT_EQ_INT(((int8_t *)state8.data)[5], -3);
  MF_EXPECT_EQ_INT(((int8_t *)plain.data)[0], 0);
}

MF_TEST(kernels_can_reshape_outputs) {
  static test_graph tg;
  static const uint32_t flags[] = {TM_FLAG_SET_DIMS, 0};
  tm_graph *g = chain(&tg, 2, NULL, NULL, flags);
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  mf_tensor_info info;
  MF_ASSERT_STATUS(mf_interpreter_tensor(&s.it, 1, &info), MF_OK);
  MF_EXPECT_EQ_UINT(info.ndims, 2);
  MF_EXPECT_EQ_INT(info.dims[1], 24);
  MF_EXPECT_EQ_UINT(info.bytes, 24);
  MF_EXPECT_STATUS(mf_interpreter_invoke(&s.it), MF_OK);
  check_exact_need(mf_t, g, 0);
}

MF_TEST(two_interpreters_side_by_side) {
  static test_graph tg;
  static const uint32_t scratch[] = {16, 0, 32};
  const tm_graph *g = chain(&tg, 3, scratch, NULL, NULL);
  static tm_session a, b;
  static _Alignas(16) uint8_t arena_b[4096];
  MF_ASSERT_STATUS(tm_open(&a, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  MF_ASSERT_STATUS(tm_open_bytes(&b, model_buf(), a.model_size, arena_b, sizeof arena_b), MF_OK);
  mf_tensor_info in_a, in_b, out_a, out_b;
  MF_ASSERT_STATUS(mf_interpreter_input(&a.it, 0, &in_a), MF_OK);
  MF_ASSERT_STATUS(mf_interpreter_input(&b.it, 0, &in_b), MF_OK);
  memset(in_a.data, 3, in_a.bytes);
  memset(in_b.data, 5, in_b.bytes);
  MF_ASSERT_STATUS(mf_interpreter_invoke(&a.it), MF_OK);
  MF_ASSERT_STATUS(mf_interpreter_invoke(&b.it), MF_OK);
  MF_ASSERT_STATUS(mf_interpreter_output(&a.it, 0, &out_a), MF_OK);
  MF_ASSERT_STATUS(mf_interpreter_output(&b.it, 0, &out_b), MF_OK);
  /* each node adds 1: 3 nodes */
  MF_EXPECT_EQ_INT(((int8_t *)out_a.data)[0], 6);
  MF_EXPECT_EQ_INT(((int8_t *)out_b.data)[0], 8);
  MF_EXPECT_EQ_UINT(mf_interpreter_arena_used(&a.it), mf_interpreter_arena_used(&b.it));
}

MF_TEST(profiler_records_each_node) {
  static test_graph tg;
  const tm_graph *g = chain(&tg, 3, NULL, NULL, NULL);
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  mf_profile_entry entries[2];
  mf_interpreter_set_profiler(&s.it, entries, 2);
  MF_ASSERT_STATUS(mf_interpreter_invoke(&s.it), MF_OK);
#ifdef MF_PROFILE
  MF_EXPECT_EQ_UINT(mf_interpreter_profile_count(&s.it), 2);
  MF_EXPECT_STR_EQ(entries[1].op, "MF_TEST");
#else
  MF_EXPECT_EQ_UINT(mf_interpreter_profile_count(&s.it), 0);
#endif
}

int main(void) {
  mf_board_init();
  static const mf_test_case cases[] = {
      MF_TEST_CASE(arena_needed_is_exact),      MF_TEST_CASE(arena_too_small_message),
      MF_TEST_CASE(empty_arena_is_a_clean_error), MF_TEST_CASE(calls_out_of_order),
      MF_TEST_CASE(kernel_errors_name_the_node), MF_TEST_CASE(unsupported_ops_are_named),
      MF_TEST_CASE(variables_keep_state_and_reset), MF_TEST_CASE(kernels_can_reshape_outputs),
      MF_TEST_CASE(two_interpreters_side_by_side), MF_TEST_CASE(profiler_records_each_node)};
  return MF_TEST_RUN("test_interpreter", cases);
}
