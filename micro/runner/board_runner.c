/* The model runner as board firmware: the model and its inputs are built in.
 *
 * The build links two generated arrays (16-byte aligned):
 *   mf_runner_model[]   the .tflite file (MODEL=)
 *   mf_runner_inputs[]  an inputs file (INPUTS=), written by `microforge run`;
 *                       empty: one invoke on zero inputs
 *
 * Inputs file, little-endian 32-bit words:
 *   "MFRI" version=1 sets inputs repeats reserved
 *   then sets x inputs records: bytes, data padded to a multiple of 4
 *   (inputs = 0: every set runs on zero inputs)
 *
 * Every set starts from reset state and runs `repeats` invokes, its inputs
 * copied in before each. It prints over the console:
 *   MF-SYNC <image-id>
 *   MF-RUN sets=<n> inputs=<n> outputs=<n> repeats=<n> arena_used=<b> arena_size=<b>
 *   MF-TENSOR output <i> dtype=<code> bytes=<n> dims=<d0>,<d1>,...
 *   MF-BENCH set<k> invokes=<n> ticks=<total> ticks_per_invoke=<avg>
 *            ticks_min=<t> ticks_max=<t> arena_used=<b>
 *   MF-BENCH set<k>.op<n> op=<OPNAME> ticks=<t>      (built with MF_PROFILE)
 *   MF-OUT <set> <output> <offset> <hex>             (64 bytes a line)
 *   MF-ERROR <status> <reason>                       (then exit code 1 or 2)
 * Exit code 0 when every set ran, 1 on a runtime error, 2 on a bad inputs file. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mf_board.h"
#include "mf_runner.h"

#ifndef MF_IMAGE_ID
#define MF_IMAGE_ID "run_model"
#endif
#ifndef MF_RUNNER_ARENA_BYTES
#define MF_RUNNER_ARENA_BYTES (1024u * 1024u)
#endif
#define MF_RUNNER_MAX_INPUTS 16u
#define MF_RUNNER_MAX_PROFILE 512u
#define MF_RUNNER_HEX_BYTES 64u
#define MF_RUNNER_HEADER_WORDS 6u
#define MF_RUNNER_VERSION 1u

extern const uint8_t mf_runner_model[];
extern const uint32_t mf_runner_model_len;
extern const uint8_t mf_runner_inputs[];
extern const uint32_t mf_runner_inputs_len;

typedef struct run_plan {
  uint32_t sets;
  uint32_t inputs;
  uint32_t repeats;
  const uint8_t *records; /* the first record; NULL: zero inputs */
} run_plan;

static uint32_t read_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}

static void write_text(const char *text) { mf_platform_log(text, strlen(text)); }

static int report_error(const char *status, const char *reason) {
  write_text("MF-ERROR ");
  write_text(status);
  write_text(" ");
  write_text(reason);
  write_text("\n");
  return 1;
}

/* Decimal text of a 64-bit value (mf_format has no %llu). */
static const char *u64_text(uint64_t value, char *buf, size_t size) {
  size_t at = size - 1;
  buf[at] = '\0';
  do {
    buf[--at] = (char)('0' + (int)(value % 10u));
    value /= 10u;
  } while (value != 0u && at > 0);
  return &buf[at];
}

/* Checks the whole inputs file before anything runs; "" when it is sound. */
static const char *read_plan(const uint8_t *data, uint32_t size, run_plan *plan) {
  if (size == 0u) {
    plan->sets = 1u;
    plan->inputs = 0u;
    plan->repeats = 1u;
    plan->records = NULL;
    return "";
  }
  if (size < MF_RUNNER_HEADER_WORDS * 4u) return "inputs file shorter than its header";
  if (memcmp(data, "MFRI", 4) != 0) return "inputs file does not start with MFRI";
  if (read_u32(data + 4) != MF_RUNNER_VERSION) return "inputs file version is not 1";
  plan->sets = read_u32(data + 8);
  plan->inputs = read_u32(data + 12);
  plan->repeats = read_u32(data + 16);
  plan->records = plan->inputs > 0u ? data + MF_RUNNER_HEADER_WORDS * 4u : NULL;
  if (plan->sets == 0u || plan->repeats == 0u) return "inputs file has no sets or no repeats";
  if (plan->inputs > MF_RUNNER_MAX_INPUTS) return "inputs file has more than 16 inputs a set";
  uint32_t at = MF_RUNNER_HEADER_WORDS * 4u;
  for (uint32_t n = 0; n < plan->sets; n++) {
    for (uint32_t i = 0; i < plan->inputs; i++) {
      if (size - at < 4u) return "inputs file ends inside a record";
      uint32_t bytes = read_u32(data + at);
      at += 4u;
      uint32_t padded = bytes + ((4u - (bytes & 3u)) & 3u);
      if (bytes > size || padded < bytes || size - at < padded) {
        return "inputs file ends inside a record";
      }
      at += padded;
    }
  }
  if (at != size) return "inputs file has bytes after its last record";
  return "";
}

/* Points at set `n`'s data and byte sizes, in input order. */
static void set_inputs(const run_plan *plan, uint32_t n, const void **data, size_t *sizes) {
  const uint8_t *p = plan->records;
  for (uint32_t k = 0; k <= n; k++) {
    for (uint32_t i = 0; i < plan->inputs; i++) {
      uint32_t bytes = read_u32(p);
      data[i] = p + 4;
      sizes[i] = bytes;
      p += 4u + bytes + ((4u - (bytes & 3u)) & 3u);
    }
  }
}

static void print_tensor(mf_runner *r, uint32_t i) {
  mf_tensor_info info;
  if (mf_runner_output_info(r, i, &info) != MF_OK) return;
  char dims[96];
  size_t used = 0;
  dims[0] = '\0';
  for (uint32_t d = 0; d < info.ndims && used + 14u < sizeof dims; d++) {
    used += mf_format(dims + used, sizeof dims - used, d == 0 ? "%d" : ",%d", (int)info.dims[d]);
  }
  mf_log("MF-TENSOR output %u dtype=%u bytes=%zu dims=%s", (unsigned)i, (unsigned)info.dtype,
         info.bytes, dims);
}

static void print_output(mf_runner *r, uint32_t set, uint32_t i) {
  static const char digits[] = "0123456789abcdef";
  mf_tensor_info info;
  if (mf_runner_output_info(r, i, &info) != MF_OK) return;
  const uint8_t *bytes = (const uint8_t *)info.data;
  for (size_t at = 0; at < info.bytes; at += MF_RUNNER_HEX_BYTES) {
    size_t n = info.bytes - at < MF_RUNNER_HEX_BYTES ? info.bytes - at : MF_RUNNER_HEX_BYTES;
    char hex[2u * MF_RUNNER_HEX_BYTES + 1u];
    for (size_t k = 0; k < n; k++) {
      hex[2u * k] = digits[bytes[at + k] >> 4];
      hex[2u * k + 1u] = digits[bytes[at + k] & 15u];
    }
    hex[2u * n] = '\0';
    mf_log("MF-OUT %u %u %zu %s", (unsigned)set, (unsigned)i, at, hex);
  }
}

static mf_status zero_inputs(mf_runner *r) {
  for (uint32_t i = 0; i < mf_runner_input_count(r); i++) {
    if (i < r->cached_inputs) {
      if (r->input_bytes[i] > 0u) memset(r->input_data[i], 0, r->input_bytes[i]);
      continue;
    }
    mf_tensor_info info;
    mf_status status = mf_runner_input_info(r, i, &info);
    if (status != MF_OK) return status;
    if (info.bytes > 0u) memset(info.data, 0, info.bytes);
  }
  return MF_OK;
}

/* One set: reset state, `repeats` timed invokes, then its outputs. */
static int run_set(mf_runner *r, const run_plan *plan, uint32_t set, mf_profile_entry *profile) {
  const void *data[MF_RUNNER_MAX_INPUTS] = {0};
  size_t sizes[MF_RUNNER_MAX_INPUTS] = {0};
  if (plan->records != NULL) {
    set_inputs(plan, set, data, sizes);
  }
  if (mf_runner_reset_state(r) != MF_OK) {
    return report_error(mf_status_name(r->status), mf_runner_error(r));
  }
  uint64_t total = 0;
  uint32_t least = UINT32_MAX, most = 0;
  for (uint32_t n = 0; n < plan->repeats; n++) {
    uint32_t start = mf_platform_ticks();
    mf_status status = plan->records == NULL ? zero_inputs(r) : MF_OK;
    if (status == MF_OK) status = mf_runner_step(r, data, sizes, plan->inputs);
    uint32_t ticks = mf_platform_ticks() - start;
    if (status != MF_OK) return report_error(mf_status_name(status), mf_runner_error(r));
    total += ticks;
    if (ticks < least) least = ticks;
    if (ticks > most) most = ticks;
  }
  char total_text[24];
  mf_log("MF-BENCH set%u invokes=%u ticks=%s ticks_per_invoke=%u ticks_min=%u ticks_max=%u "
         "arena_used=%zu",
         (unsigned)set, (unsigned)plan->repeats, u64_text(total, total_text, sizeof total_text),
         (unsigned)(total / plan->repeats), (unsigned)least, (unsigned)most,
         mf_runner_arena_used(r));
  uint32_t entries = mf_interpreter_profile_count(&r->interp);
  if (entries > MF_RUNNER_MAX_PROFILE) entries = MF_RUNNER_MAX_PROFILE;
  for (uint32_t n = 0; profile != NULL && n < entries; n++) {
    mf_log("MF-BENCH set%u.op%u op=%s ticks=%u", (unsigned)set, (unsigned)n,
           profile[n].op != NULL ? profile[n].op : "?", (unsigned)profile[n].ticks);
  }
  for (uint32_t i = 0; i < mf_runner_output_count(r); i++) print_output(r, set, i);
  return 0;
}

static int run(void) {
  static _Alignas(16) uint8_t arena[MF_RUNNER_ARENA_BYTES];
  static mf_runner runner;
#ifdef MF_PROFILE
  static mf_profile_entry profile_entries[MF_RUNNER_MAX_PROFILE];
  mf_profile_entry *profile = profile_entries;
#else
  mf_profile_entry *profile = NULL;
#endif
  mf_runner *r = &runner;
  run_plan plan;
  const char *bad = read_plan(mf_runner_inputs, mf_runner_inputs_len, &plan);
  if (bad[0] != '\0') {
    report_error("MF_ERR_INVALID_ARG", bad);
    return 2;
  }
  mf_status status = mf_runner_open(r, mf_runner_model, mf_runner_model_len, arena, sizeof arena);
  if (status == MF_ERR_ARENA_TOO_SMALL) {
    char text[MF_RUNNER_ERROR_LEN + 48];
    mf_format(text, sizeof text, "%s (the model needs %zu bytes, the arena has %zu)",
              mf_runner_error(r), mf_runner_arena_needed(r), sizeof arena);
    return report_error(mf_status_name(status), text);
  }
  if (status != MF_OK) return report_error(mf_status_name(status), mf_runner_error(r));
  if (profile != NULL) mf_runner_set_profiler(r, profile, MF_RUNNER_MAX_PROFILE);
  uint32_t inputs = mf_runner_input_count(r);
  if (plan.records != NULL && plan.inputs != inputs) {
    char text[96];
    mf_format(text, sizeof text, "the inputs file has %u inputs a set, the model %u",
              (unsigned)plan.inputs, (unsigned)inputs);
    report_error("MF_ERR_INVALID_ARG", text);
    return 2;
  }
  mf_log("MF-RUN sets=%u inputs=%u outputs=%u repeats=%u arena_used=%zu arena_size=%zu",
         (unsigned)plan.sets, (unsigned)inputs, (unsigned)mf_runner_output_count(r),
         (unsigned)plan.repeats, mf_runner_arena_used(r), sizeof arena);
  for (uint32_t i = 0; i < mf_runner_output_count(r); i++) print_tensor(r, i);
  for (uint32_t set = 0; set < plan.sets; set++) {
    int code = run_set(r, &plan, set, profile);
    if (code != 0) return code;
  }
  return 0;
}

int main(void) {
  mf_board_init();
  mf_log("MF-SYNC %s", MF_IMAGE_ID);
  return run();
}
