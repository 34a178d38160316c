/* mf_format / mf_vformat: every conversion, modifier, precision and truncation. */
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
  FORMATS("beef ffffffff 0", "%x %x %x", 0xbeefu, 0xFFFFFFFFu, 0u);
  FORMATS("-5 7 123456789 -9", "%ld %lu %zu %li", -5L, 7UL, (size_t)123456789u, -9L);
  FORMATS("4294967295 -1", "%lu %ld", 4294967295UL, -1L);
}

MF_TEST(strings_and_chars) {
  FORMATS("abc|xy|(null)", "%s|%c%c|%s", "abc", 'x', 'y', (const char *)NULL);
  FORMATS("100% done", "%d%% done", 100);
  FORMATS("", "%s", "");
  /* no widths or flags: the conversion letter after them still reads its argument */
  FORMATS("q", "%q");
  FORMATS("trailing ", "trailing %");
}

MF_TEST(fixed_point) {
  FORMATS("3.141590", "%f", 3.14159);
  FORMATS("-2.25 8 0.000000", "%.2f %.0f %f", -2.25, 7.9, 0.0);
  FORMATS("0.0000100", "%.7f", 1e-5);
  FORMATS("3.142 2.50", "%.3f %.2f", 3.14159, 2.5);
  FORMATS("-0.500", "%.3f", -0.5);
  FORMATS("1234567.000", "%.3f", 1234567.0);
  FORMATS("nan inf -inf", "%f %f %f", 0.0 / 0.0, 1.0 / 0.0, -1.0 / 0.0);
  FORMATS("0.123456789", "%.12f", 0.123456789);              /* precision capped at 9 */
  FORMATS("0.999 1.000", "%.3f %.3f", 0.9994, 0.9996);        /* rounds, carrying into the units */
  /* from 2^32 on: float precision (7 significant digits at least), then zeros */
  FORMATS("4294967295 10000000000", "%.0f %.0f", 4294967295.0, 1e10);
  static const struct {
    double value;
    const char *digits;
    uint32_t length;
  } big[] = {{4294967296.0, "4294967", 10}, {1.23456789e20, "1234567", 21},
             {-3.4028234663852886e38, "-3402823", 40}}; /* the last is -FLT_MAX */
  for (uint32_t i = 0; i < sizeof big / sizeof big[0]; i++) {
    char text[64];
    size_t n = strlen(big[i].digits);
    MF_EXPECT_EQ_UINT(mf_format(text, sizeof text, "%.1f", big[i].value), big[i].length + 2u);
    MF_EXPECT(memcmp(text, big[i].digits, n) == 0 && memcmp(text + big[i].length, ".0", 3) == 0);
    MF_EXPECT(text[big[i].length - 1u] == '0');
  }
  FORMATS("0.000000 1.401298", "%f %f", 1.401298464e-45, 1.401298); /* a float denormal prints as 0 */
  FORMATS("inf -inf", "%f %.2f", 1e39, -1e300); /* beyond the float range */
  FORMATS("0.1 0.2 0.30", "%.1f %.1f %.2f", (double)0.1f, (double)0.2f, (double)0.3f);
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
      MF_TEST_CASE(integers),        MF_TEST_CASE(strings_and_chars), MF_TEST_CASE(fixed_point),
      MF_TEST_CASE(truncation_keeps_nul), MF_TEST_CASE(status_and_dtype_names),
      MF_TEST_CASE(tensor_counts_and_zero_points)};
  return MF_TEST_RUN("test_format", cases);
}
