/* mf_format / mf_vformat: every conversion, flag, width and truncation. */
#include <string.h>

#include "mf_board.h"
#include "mf_log.h"
#include "mf_test.h"
#include "microforge.h"

#define FORMATS(expected, ...)                                  \
  do {                                                          \
    char buf_[96];                                              \
    size_t len_ = mf_format(buf_, sizeof buf_, __VA_ARGS__);    \
    MF_EXPECT_STR_EQ(buf_, expected);                           \
    MF_EXPECT_EQ_UINT(len_, strlen(expected));                  \
  } while (0)

MF_TEST(integers) {
  FORMATS("-123 45 4000000000", "%d %i %u", -123, 45, 4000000000u);
  FORMATS("0 -2147483648 2147483647", "%d %d %d", 0, -2147483647 - 1, 2147483647);
  FORMATS("beef BEEF 0", "%x %X %x", 0xbeefu, 0xBEEFu, 0u);
  FORMATS("-5 7 123456789", "%ld %lu %zu", -5L, 7UL, (size_t)123456789u);
}

MF_TEST(width_and_flags) {
  FORMATS("[   42] [42   ] [00042]", "[%5d] [%-5d] [%05d]", 42, 42, 42);
  FORMATS("[-0042] [-42  ] [  -42]", "[%05d] [%-5d] [%5d]", -42, -42, -42);
  FORMATS("[000ff]", "[%05x]", 0xffu);
  FORMATS("[   ab] [ab   ]", "[%5s] [%-5s]", "ab", "ab");
  FORMATS("[12345678]", "[%3d]", 12345678);
}

MF_TEST(strings_and_chars) {
  FORMATS("abc|xy|(null)", "%s|%c%c|%s", "abc", 'x', 'y', (const char *)NULL);
  FORMATS("tru", "%.3s", "truncate");
  FORMATS("100% done", "%d%% done", 100);
  FORMATS("0x1234", "%p", (void *)(uintptr_t)0x1234u);
}

MF_TEST(fixed_point) {
  FORMATS("3.141590", "%f", 3.14159);
  FORMATS("-2.25 8 0.000000", "%.2f %.0f %f", -2.25, 7.9, 0.0);
  FORMATS("0.0000100", "%.7f", 1e-5);
  FORMATS("[   3.142] [2.50    ]", "[%8.3f] [%-8.2f]", 3.14159, 2.5);
  FORMATS("-0.500", "%.3f", -0.5);
  FORMATS("1234567.000", "%.3f", 1234567.0);
  FORMATS("nan", "%f", 0.0 / 0.0);
}

MF_TEST(truncation_keeps_nul) {
  char small[5];
  memset(small, 'x', sizeof small);
  MF_EXPECT_EQ_UINT(mf_format(small, sizeof small, "%s", "abcdefgh"), 4);
  MF_EXPECT_STR_EQ(small, "abcd");
  MF_EXPECT_EQ_UINT(mf_format(small, 1, "%d", 12345), 0);
  MF_EXPECT_EQ_INT(small[0], 0);
  /* size 0 writes nothing at all */
  small[0] = 'q';
  MF_EXPECT_EQ_UINT(mf_format(small, 0, "abc"), 0);
  MF_EXPECT_EQ_INT(small[0], 'q');
}

MF_TEST(status_and_dtype_names) {
  MF_EXPECT_STR_EQ(mf_status_name(MF_OK), "MF_OK");
  MF_EXPECT_STR_EQ(mf_status_name(MF_ERR_ARENA_TOO_SMALL), "MF_ERR_ARENA_TOO_SMALL");
  MF_EXPECT_STR_EQ(mf_status_name((mf_status)99), "MF_ERR_UNKNOWN");
  MF_EXPECT_STR_EQ(mf_dtype_name(MF_INT8), "int8");
  MF_EXPECT_STR_EQ(mf_dtype_name(MF_FLOAT32), "float32");
  MF_EXPECT_STR_EQ(mf_dtype_name((mf_dtype)77), "unknown");
  MF_EXPECT_EQ_UINT(mf_dtype_size(MF_INT16), 2);
  MF_EXPECT_EQ_UINT(mf_dtype_size(MF_INT64), 8);
  MF_EXPECT_EQ_UINT(mf_dtype_size(MF_STRING), 0);
  MF_EXPECT_EQ_UINT(mf_dtype_size((mf_dtype)200), 0);
}

MF_TEST(tensor_counts_and_zero_points) {
  static const int32_t dims[] = {2, 3, 4};
  mf_tensor t = {NULL, dims, MF_INT16, 3, 0};
  MF_EXPECT_EQ_UINT(mf_tensor_elements(&t), 24);
  MF_EXPECT_EQ_UINT(mf_tensor_bytes(&t), 48);
  t.ndims = 0;
  MF_EXPECT_EQ_UINT(mf_tensor_elements(&t), 1);
  /* int64 zero points, read from unaligned storage */
  uint8_t raw[17] = {0};
  int64_t zp0 = -128, zp1 = 5;
  memcpy(raw + 1, &zp0, 8);
  memcpy(raw + 9, &zp1, 8);
  mf_quant q = {1.0f, -128, 2, 0, NULL, raw + 1};
  MF_EXPECT_EQ_INT(mf_quant_zero_point(&q, 0), -128);
  MF_EXPECT_EQ_INT(mf_quant_zero_point(&q, 1), 5);
  MF_EXPECT_EQ_INT(mf_quant_zero_point(&q, 2), 0);
}

int main(void) {
  mf_board_init();
  static const mf_test_case cases[] = {
      MF_TEST_CASE(integers),        MF_TEST_CASE(width_and_flags),
      MF_TEST_CASE(strings_and_chars), MF_TEST_CASE(fixed_point),
      MF_TEST_CASE(truncation_keeps_nul), MF_TEST_CASE(status_and_dtype_names),
      MF_TEST_CASE(tensor_counts_and_zero_points)};
  return MF_TEST_RUN("test_format", cases);
}
