/* A tiny C test framework. It prints the protocol lines of
 * docs/architecture.md through mf_platform_log, so the same test program
 * runs unchanged on the host and on boards:
 *
 *   MF-SYNC <image-id>
 *   MF-CASE <name> PASS
 *   MF-CASE <name> FAIL <file>:<line> <message>
 *   MF-SUMMARY passed=<n> failed=<n>
 *   ~~~ALL TESTS PASSED~~~   or   ~~~SOME TESTS FAILED~~~
 *
 *   MF_TEST(adds) { MF_EXPECT_EQ_INT(1 + 1, 2); }
 *   int main(void) {
 *     mf_board_init();
 *     static const mf_test_case cases[] = {MF_TEST_CASE(adds)};
 *     return MF_TEST_RUN("my_suite", cases);
 *   }
 *
 * A case fails at its first failed expectation (the MF-CASE line names it);
 * later failures in the same case are logged as plain lines. MF_ASSERT_*
 * also leave the case at once. State lives in the mf_test_ctx a case gets,
 * never in globals. */
#ifndef MF_TEST_H
#define MF_TEST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mf_test_ctx {
  const char *name;  /* the running case */
  uint32_t failures; /* in the running case */
} mf_test_ctx;

typedef void (*mf_test_fn)(mf_test_ctx *mf_t);

typedef struct mf_test_case {
  const char *name;
  mf_test_fn fn;
} mf_test_case;

/* The image id of the MF-SYNC line; the build may define it per image. */
#ifndef MF_IMAGE_ID
#define MF_IMAGE_ID NULL
#endif

/* Runs every case, prints the summary and returns the exit code (0 when all
 * passed). `image_id` NULL prints the suite name in the MF-SYNC line. */
int mf_test_run(const char *suite, const char *image_id, const mf_test_case *cases,
                size_t count);
/* Records a failure of the running case at file:line. */
void mf_test_fail(mf_test_ctx *t, const char *file, int line, const char *fmt, ...);
/* Prints one benchmark line: "MF-BENCH <name> <key=value ...>". */
void mf_test_bench(const char *name, const char *fmt, ...);

/* Helpers behind the macros; 1 when the check holds. */
int mf_test_str_eq(const char *a, const char *b);
int mf_test_str_contains(const char *haystack, const char *needle);
int mf_test_near(double a, double b, double tolerance);

#define MF_TEST(name) static void mf_test_##name(mf_test_ctx *mf_t)
#define MF_TEST_CASE(name) {#name, mf_test_##name}
#define MF_TEST_RUN(suite, cases) \
  mf_test_run((suite), MF_IMAGE_ID, (cases), sizeof(cases) / sizeof((cases)[0]))

#define MF_FAIL(...) mf_test_fail(mf_t, __FILE__, __LINE__, __VA_ARGS__)

#define MF_EXPECT(cond)                           \
  do {                                            \
    if (!(cond)) MF_FAIL("expected %s", #cond);   \
  } while (0)

#define MF_ASSERT(cond)                \
  do {                                 \
    if (!(cond)) {                     \
      MF_FAIL("expected %s", #cond);   \
      return;                          \
    }                                  \
  } while (0)

#define MF_CHECK_INT_(a, b, on_fail)                                                  \
  do {                                                                                \
    long mf_a_ = (long)(a), mf_b_ = (long)(b);                                        \
    if (mf_a_ != mf_b_) {                                                             \
      MF_FAIL("%s == %s: %ld != %ld", #a, #b, mf_a_, mf_b_);                          \
      on_fail;                                                                        \
    }                                                                                 \
  } while (0)

#define MF_CHECK_UINT_(a, b, on_fail)                                                 \
  do {                                                                                \
    unsigned long mf_a_ = (unsigned long)(a), mf_b_ = (unsigned long)(b);             \
    if (mf_a_ != mf_b_) {                                                             \
      MF_FAIL("%s == %s: %lu != %lu", #a, #b, mf_a_, mf_b_);                          \
      on_fail;                                                                        \
    }                                                                                 \
  } while (0)

#define MF_CHECK_STR_(a, b, on_fail)                                                  \
  do {                                                                                \
    const char *mf_a_ = (a), *mf_b_ = (b);                                            \
    if (!mf_test_str_eq(mf_a_, mf_b_)) {                                              \
      MF_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, mf_a_, mf_b_);                    \
      on_fail;                                                                        \
    }                                                                                 \
  } while (0)

#define MF_EXPECT_EQ_INT(a, b) MF_CHECK_INT_(a, b, (void)0)
#define MF_ASSERT_EQ_INT(a, b) MF_CHECK_INT_(a, b, return)
#define MF_EXPECT_EQ_UINT(a, b) MF_CHECK_UINT_(a, b, (void)0)
#define MF_ASSERT_EQ_UINT(a, b) MF_CHECK_UINT_(a, b, return)
#define MF_EXPECT_STR_EQ(a, b) MF_CHECK_STR_(a, b, (void)0)
#define MF_ASSERT_STR_EQ(a, b) MF_CHECK_STR_(a, b, return)

/* Compares two mf_status values and prints their names. */
#define MF_EXPECT_STATUS(a, b)                                                        \
  do {                                                                                \
    int mf_a_ = (int)(a), mf_b_ = (int)(b);                                           \
    if (mf_a_ != mf_b_)                                                               \
      MF_FAIL("%s: %s, expected %s", #a, mf_status_name((mf_status)mf_a_),            \
              mf_status_name((mf_status)mf_b_));                                      \
  } while (0)

#define MF_ASSERT_STATUS(a, b)                                                        \
  do {                                                                                \
    int mf_a_ = (int)(a), mf_b_ = (int)(b);                                           \
    if (mf_a_ != mf_b_) {                                                             \
      MF_FAIL("%s: %s, expected %s", #a, mf_status_name((mf_status)mf_a_),            \
              mf_status_name((mf_status)mf_b_));                                      \
      return;                                                                         \
    }                                                                                 \
  } while (0)

#define MF_EXPECT_STR_CONTAINS(haystack, needle)                                      \
  do {                                                                                \
    const char *mf_h_ = (haystack), *mf_n_ = (needle);                                \
    if (!mf_test_str_contains(mf_h_, mf_n_))                                          \
      MF_FAIL("%s contains \"%s\": \"%s\"", #haystack, mf_n_, mf_h_ ? mf_h_ : "(null)"); \
  } while (0)

/* An error text: compared in full, or (when texts are stripped at compile
 * time, MF_STRIP_LOGS) only required to be there. */
#ifdef MF_STRIP_LOGS
#define MF_EXPECT_REASON(text, expected) \
  MF_EXPECT((text) != NULL && (text)[0] != '\0' && (expected) != NULL)
#define MF_EXPECT_REASON_CONTAINS(text, part) \
  MF_EXPECT((text) != NULL && (text)[0] != '\0' && (part) != NULL)
#else
#define MF_EXPECT_REASON(text, expected) MF_EXPECT_STR_EQ(text, expected)
#define MF_EXPECT_REASON_CONTAINS(text, part) MF_EXPECT_STR_CONTAINS(text, part)
#endif

#define MF_EXPECT_NEAR(a, b, tolerance)                                               \
  do {                                                                                \
    double mf_a_ = (double)(a), mf_b_ = (double)(b);                                  \
    if (!mf_test_near(mf_a_, mf_b_, (tolerance)))                                     \
      MF_FAIL("%s ~= %s: %f != %f", #a, #b, mf_a_, mf_b_);                            \
  } while (0)

#ifdef __cplusplus
}
#endif

#endif
