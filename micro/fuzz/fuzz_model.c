/* Fuzzing the model verifier, the interpreter and the kernels with
 * arbitrary bytes: map, allocate with every built-in kernel at a few arena
 * sizes, invoke. Invariants that abort (so the fuzzer reports them):
 *   - every failure leaves a reason;
 *   - a success never uses more arena than given;
 *   - ARENA_TOO_SMALL reports a need above the size given, and (unless it is
 *     a bound or an estimate) the reported need is enough to get past the
 *     arena stage.
 *
 * Builds two ways:
 *   clang -fsanitize=fuzzer,address,undefined ...        libFuzzer entry point
 *   gcc -fsanitize=address,undefined -DMF_FUZZ_MAIN ...  runs the files given:
 *     fuzz_model [-v] FILE...   prints per file
 *       FILE <path>
 *       MAP <status> <reason>
 *       ALLOC <arena bytes> <status> used=<n> needed=<n> head=<planned bytes> <reason>
 *       SCRATCH <node>=<bytes> ...    (after a successful allocation)
 *       INVOKE <status> <reason>
 *     and "DONE <files>" at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "microforge.h"

#define MODEL_ALIGN 16u
#define MAX_ARENA (512u * 1024u)

static const size_t arena_sizes[] = {0, 512, 16u * 1024u, 256u * 1024u};

typedef struct fuzz_out {
  FILE *report; /* NULL when fuzzing */
} fuzz_out;

/* Log lines of kernels: kept quiet while fuzzing. */
static int verbose_log;

void mf_platform_log(const char *text, size_t len) {
  if (verbose_log) fwrite(text, 1, len, stdout);
}

uint32_t mf_platform_ticks(void) {
  static uint32_t ticks;
  return ++ticks;
}

static void check(int condition, const char *what, const char *detail) {
  if (condition) return;
  fprintf(stderr, "invariant broken: %s (%s)\n", what, detail);
  abort();
}

static uint8_t *arena_memory(void) {
  static _Alignas(16) uint8_t arena[MAX_ARENA];
  return arena;
}

/* One allocation (and invoke) attempt at `size` arena bytes. */
static mf_status run_arena(const mf_model *model, const mf_resolver *ops, size_t size,
                           const fuzz_out *out, int retry_need) {
  static mf_interpreter it;
  mf_status status = mf_interpreter_init(&it, model, ops, arena_memory(), size);
  check(status == MF_OK, "init", mf_interpreter_error(&it));
  status = mf_interpreter_allocate(&it);
  const char *error = mf_interpreter_error(&it);
  check(status == MF_OK || error[0] != '\0', "allocate failed without a reason", mf_status_name(status));
  if (out->report != NULL)
    fprintf(out->report, "ALLOC %zu %s used=%zu needed=%zu head=%zu %s\n", size,
            mf_status_name(status), mf_interpreter_arena_used(&it), mf_interpreter_arena_needed(&it),
            status == MF_OK ? it.head : (size_t)0, error);
  if (status == MF_ERR_ARENA_TOO_SMALL) {
    size_t needed = mf_interpreter_arena_needed(&it);
    check(needed > size, "need not above the size given", error);
    int exact = it.needed_kind == MF_NEED_EXACT;
    check(exact == (strstr(error, "at least") == NULL && strstr(error, "(estimate") == NULL),
          "the text disagrees with needed_kind", error);
    if (exact && retry_need && needed <= MAX_ARENA) {
      mf_status again = run_arena(model, ops, needed, out, 0);
      check(again != MF_ERR_ARENA_TOO_SMALL, "the reported need was not enough", error);
    }
    return status;
  }
  if (status != MF_OK) return status;
  check(mf_interpreter_arena_used(&it) <= size, "used more arena than given", "");
  if (out->report != NULL) {
    fprintf(out->report, "SCRATCH");
    for (uint32_t i = 0; i < it.node_count; i++) {
      if (it.nodes[i].scratch_bytes != 0u) fprintf(out->report, " %u=%u", i, it.nodes[i].scratch_bytes);
    }
    fprintf(out->report, "\n");
  }
  for (uint32_t i = 0; i < mf_interpreter_input_count(&it); i++) {
    mf_tensor_info in;
    if (mf_interpreter_input(&it, i, &in) == MF_OK && in.data != NULL) {
      for (size_t b = 0; b < in.bytes; b++) ((uint8_t *)in.data)[b] = (uint8_t)(b * 31u + 7u);
    }
  }
  status = mf_interpreter_invoke(&it);
  error = mf_interpreter_error(&it);
  check(status == MF_OK || error[0] != '\0', "invoke failed without a reason", mf_status_name(status));
  if (out->report != NULL) fprintf(out->report, "INVOKE %s %s\n", mf_status_name(status), error);
  return status;
}

static void run_model(const uint8_t *data, size_t size, const fuzz_out *out) {
  /* The runtime needs a 4-byte aligned model: copy into aligned memory. */
  uint8_t *copy = aligned_alloc(MODEL_ALIGN, (size + MODEL_ALIGN) / MODEL_ALIGN * MODEL_ALIGN);
  if (copy == NULL) return;
  if (size > 0u) memcpy(copy, data, size);
  static mf_model model;
  mf_status status = mf_model_map(&model, copy, size);
  check(status == MF_OK || mf_model_error(&model)[0] != '\0', "map failed without a reason", "");
  if (out->report != NULL) fprintf(out->report, "MAP %s %s\n", mf_status_name(status), mf_model_error(&model));
  if (status == MF_OK) {
    static const mf_op_registration *storage[MF_OP_COUNT];
    mf_resolver ops;
    mf_resolver_init(&ops, storage, MF_OP_COUNT);
    check(mf_resolver_add_all(&ops) == MF_OK, "add_all", "");
    for (size_t i = 0; i < sizeof arena_sizes / sizeof arena_sizes[0]; i++) {
      status = run_arena(&model, &ops, arena_sizes[i], out, 1);
      if (status != MF_ERR_ARENA_TOO_SMALL) break;
    }
  }
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const fuzz_out out = {NULL};
  run_model(data, size, &out);
  return 0;
}

#ifdef MF_FUZZ_MAIN
int main(int argc, char **argv) {
  const fuzz_out out = {stdout};
  int files = 0;
  for (int a = 1; a < argc; a++) {
    if (strcmp(argv[a], "-v") == 0) {
      verbose_log = 1;
      continue;
    }
    FILE *f = fopen(argv[a], "rb");
    if (f == NULL) {
      fprintf(stderr, "cannot open %s\n", argv[a]);
      return 2;
    }
    uint8_t *data = NULL;
    size_t size = 0, cap = 0, n;
    do {
      if (size == cap) {
        cap = cap ? cap * 2u : 65536u;
        uint8_t *grown = realloc(data, cap);
        if (grown == NULL) {
          free(data);
          fclose(f);
          return 2;
        }
        data = grown;
      }
      n = fread(data + size, 1, cap - size, f);
      size += n;
    } while (n > 0u);
    fclose(f);
    printf("FILE %s\n", argv[a]);
    run_model(data, size, &out);
    fflush(stdout);
    free(data);
    files++;
  }
  printf("DONE %d\n", files);
  return 0;
}
#endif
