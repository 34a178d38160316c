/* The test runner: protocol lines through mf_log (mf_platform_log). */
#include "mf_test.h"

#include <stdarg.h>
#include <string.h>

#include "mf_log.h"

#define MF_TEST_LINE 160

static const char *base_name(const char *path) {
  const char *name = path;
  for (const char *p = path; *p != '\0'; p++) {
    if (*p == '/' || *p == '\\') name = p + 1;
  }
  return name;
}

void mf_test_fail(mf_test_ctx *t, const char *file, int line, const char *fmt, ...) {
  char message[MF_TEST_LINE];
  va_list args;
  va_start(args, fmt);
  mf_vformat(message, sizeof message, fmt, args);
  va_end(args);
  /* Keep the line on one line. */
  for (char *p = message; *p != '\0'; p++) {
    if (*p == '\n' || *p == '\r') *p = ' ';
  }
  if (t->failures++ == 0u) {
    mf_log("MF-CASE %s FAIL %s:%d %s", t->name, base_name(file), line, message);
  } else {
    mf_log("  also %s:%d %s", base_name(file), line, message);
  }
}

void mf_test_bench(const char *name, const char *fmt, ...) {
  char values[MF_TEST_LINE];
  va_list args;
  va_start(args, fmt);
  mf_vformat(values, sizeof values, fmt, args);
  va_end(args);
  mf_log("MF-BENCH %s %s", name, values);
}

int mf_test_str_eq(const char *a, const char *b) {
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int mf_test_str_contains(const char *haystack, const char *needle) {
  return haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
}

int mf_test_near(double a, double b, double tolerance) {
  double diff = a > b ? a - b : b - a;
  return diff <= tolerance;
}

int mf_test_run(const char *suite, const char *image_id, const mf_test_case *cases,
                size_t count) {
  unsigned long passed = 0, failed = 0;
  mf_log("MF-SYNC %s", image_id != NULL ? image_id : suite);
  for (size_t i = 0; i < count; i++) {
    mf_test_ctx t = {cases[i].name, 0};
    cases[i].fn(&t);
    if (t.failures == 0u) {
      mf_log("MF-CASE %s PASS", t.name);
      passed++;
    } else {
      failed++;
    }
  }
  mf_log("MF-SUMMARY passed=%lu failed=%lu", passed, failed);
  mf_log("%s", failed == 0u ? "~~~ALL TESTS PASSED~~~" : "~~~SOME TESTS FAILED~~~");
  return failed == 0u ? 0 : 1;
}
