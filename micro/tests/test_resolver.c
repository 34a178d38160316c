/* The resolver: capacity, replacement, custom ops by name, every built-in. */
#include <string.h>

#include "mf_board.h"
#include "mf_test.h"
#include "microforge.h"
#include "support/tm_ops.h"

static mf_status nothing(mf_kernel_ctx *ctx) {
  (void)ctx;
  return MF_OK;
}

static const mf_op_registration custom_a = {MF_CUSTOM_OP, 1, "OP_A", NULL, NULL, nothing, NULL};
static const mf_op_registration custom_b = {MF_CUSTOM_OP, 1, "OP_B", NULL, NULL, nothing, NULL};
static const mf_op_registration add_v1 = {0, 1, "ADD", NULL, NULL, nothing, NULL};
static const mf_op_registration add_v2 = {0, 2, "ADD", NULL, NULL, nothing, NULL};
static const mf_op_registration no_invoke = {1, 1, "BROKEN", NULL, NULL, NULL, NULL};

MF_TEST(capacity_is_enforced) {
  MF_RESOLVER_DEFINE(ops, 2);
  MF_EXPECT_STATUS(mf_resolver_add(&ops, &custom_a), MF_OK);
  MF_EXPECT_STATUS(mf_resolver_add(&ops, &add_v1), MF_OK);
  MF_EXPECT_STATUS(mf_resolver_add(&ops, &custom_b), MF_ERR_RESOLVER_FULL);
  MF_EXPECT_EQ_UINT(ops.count, 2);
  MF_EXPECT(mf_resolver_find(&ops, MF_CUSTOM_OP, "OP_B") == NULL);
}

MF_TEST(same_op_replaces) {
  MF_RESOLVER_DEFINE(ops, 2);
  MF_EXPECT_STATUS(mf_resolver_add(&ops, &add_v1), MF_OK);
  MF_EXPECT_STATUS(mf_resolver_add(&ops, &add_v2), MF_OK);
  MF_EXPECT_EQ_UINT(ops.count, 1);
  MF_EXPECT(mf_resolver_find(&ops, 0, NULL) == &add_v2);
}

MF_TEST(custom_ops_match_by_name) {
  const mf_op_registration *storage[4];
  mf_resolver ops;
  mf_resolver_init(&ops, storage, 4);
  MF_EXPECT_STATUS(mf_resolver_add(&ops, &custom_a), MF_OK);
  MF_EXPECT_STATUS(mf_resolver_add(&ops, &custom_b), MF_OK);
  MF_EXPECT_EQ_UINT(ops.count, 2);
  MF_EXPECT(mf_resolver_find(&ops, MF_CUSTOM_OP, "OP_B") == &custom_b);
  MF_EXPECT(mf_resolver_find(&ops, MF_CUSTOM_OP, "OP_C") == NULL);
  MF_EXPECT(mf_resolver_find(&ops, MF_CUSTOM_OP, NULL) == NULL);
  MF_EXPECT(mf_resolver_find(&ops, 0, NULL) == NULL);
}

MF_TEST(bad_arguments) {
  MF_RESOLVER_DEFINE(ops, 2);
  MF_EXPECT_STATUS(mf_resolver_add(&ops, NULL), MF_ERR_INVALID_ARG);
  MF_EXPECT_STATUS(mf_resolver_add(&ops, &no_invoke), MF_ERR_INVALID_ARG);
  MF_EXPECT_STATUS(mf_resolver_add(NULL, &add_v1), MF_ERR_INVALID_ARG);
  MF_EXPECT(mf_resolver_find(NULL, 0, NULL) == NULL);
  mf_resolver empty;
  mf_resolver_init(&empty, NULL, 8);
  MF_EXPECT_STATUS(mf_resolver_add(&empty, &add_v1), MF_ERR_RESOLVER_FULL);
}

MF_TEST(every_builtin_registers) {
  MF_RESOLVER_DEFINE(ops, MF_OP_COUNT);
  MF_ASSERT_STATUS(mf_resolver_add_all(&ops), MF_OK);
  MF_EXPECT_EQ_UINT(ops.count, MF_OP_COUNT);
#define MF_CHECK_OP(sym, code, text)                                  \
  do {                                                                \
    const mf_op_registration *reg = mf_resolver_find(&ops, code, NULL); \
    MF_EXPECT(reg == &mf_op_##sym);                                   \
    if (reg != NULL) {                                                \
      MF_EXPECT_STR_EQ(reg->name, text);                                \
      MF_EXPECT(reg->max_version >= 1u && reg->invoke != NULL);       \
    }                                                                 \
  } while (0);
  MF_FOR_EACH_OP(MF_CHECK_OP)
#undef MF_CHECK_OP
  MF_RESOLVER_DEFINE(small, MF_OP_COUNT - 1);
  MF_EXPECT_STATUS(mf_resolver_add_all(&small), MF_ERR_RESOLVER_FULL);
}

int main(void) {
  mf_board_init();
  static const mf_test_case cases[] = {
      MF_TEST_CASE(capacity_is_enforced), MF_TEST_CASE(same_op_replaces),
      MF_TEST_CASE(custom_ops_match_by_name), MF_TEST_CASE(bad_arguments),
      MF_TEST_CASE(every_builtin_registers)};
  return MF_TEST_RUN("test_resolver", cases);
}
