/* Runs a .tflite model on the host: raw input files in, raw output files out.
 *
 *   run_model MODEL [-a ARENA_BYTES] [-n REPEATS] [-b NAME] [-i INPUT]... [-o OUTPUT]...
 *
 * Inputs are given in model input order (missing ones are zeros) and must
 * hold exactly the tensor's bytes; they are copied in before every invoke.
 * Outputs are written after the last invoke.
 * Prints one MF-BENCH line (see mf_runner_bench). Exit code 0 on success,
 * 1 on a runtime error, 2 on a usage or file error. Under callgrind, the
 * instruction count per invoke is the difference between two repeat counts. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_runner.h"

#define MAX_FILES 16
#define MAX_PROFILE 1024

static int usage(void) {
  fprintf(stderr,
          "usage: run_model MODEL [-a ARENA_BYTES] [-n REPEATS] [-b NAME] "
          "[-i INPUT]... [-o OUTPUT]...\n");
  return 2;
}

/* Reads a whole file into 16-byte aligned memory. */
static void *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "run_model: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  void *data = NULL;
  long length = -1;
  if (fseek(f, 0, SEEK_END) == 0) length = ftell(f);
  if (length >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    data = aligned_alloc(16, ((size_t)length + 16) & ~(size_t)15);
    if (data != NULL && fread(data, 1, (size_t)length, f) != (size_t)length) {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  if (data == NULL) fprintf(stderr, "run_model: cannot read %s\n", path);
  *size = (size_t)(length < 0 ? 0 : length);
  return data;
}

static int parse_size(const char *text, size_t *value) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 0);
  if (errno != 0 || end == text || *end != '\0') return 0;
  *value = (size_t)v;
  return 1;
}

int main(int argc, char **argv) {
  const char *model_path = NULL, *name = "run_model";
  const char *inputs[MAX_FILES], *outputs[MAX_FILES];
  unsigned n_inputs = 0, n_outputs = 0;
  size_t arena_size = 1u << 20, repeats = 1;
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    if (arg[0] == '-' && arg[1] != '\0' && arg[2] == '\0') {
      if (a + 1 >= argc) return usage();
      const char *value = argv[++a];
      switch (arg[1]) {
        case 'a':
          if (!parse_size(value, &arena_size)) return usage();
          break;
        case 'n':
          if (!parse_size(value, &repeats) || repeats > 0xFFFFFFFFu) return usage();
          break;
        case 'b':
          name = value;
          break;
        case 'i':
          if (n_inputs == MAX_FILES) return usage();
          inputs[n_inputs++] = value;
          break;
        case 'o':
          if (n_outputs == MAX_FILES) return usage();
          outputs[n_outputs++] = value;
          break;
        default:
          return usage();
      }
    } else if (model_path == NULL) {
      model_path = arg;
    } else {
      return usage();
    }
  }
  if (model_path == NULL) return usage();

  size_t model_size = 0;
  void *model = read_file(model_path, &model_size);
  void *arena = aligned_alloc(16, (arena_size + 16) & ~(size_t)15);
  static mf_runner runner;
  static mf_profile_entry profile[MAX_PROFILE];
  void *input_data[MAX_FILES] = {0};
  size_t input_sizes[MAX_FILES] = {0};
  uint32_t input_count = 0;
  int code = 0;
  if (model == NULL || arena == NULL) {
    code = 2;
    goto done;
  }
  mf_status status = mf_runner_open(&runner, model, model_size, arena, arena_size);
  if (status == MF_ERR_ARENA_TOO_SMALL) {
    fprintf(stderr, "run_model: %s (use -a %zu)\n", mf_runner_error(&runner),
            mf_runner_arena_needed(&runner));
    code = 1;
    goto done;
  }
  if (status != MF_OK) {
    fprintf(stderr, "run_model: %s: %s\n", mf_status_name(status), mf_runner_error(&runner));
    code = 1;
    goto done;
  }
  mf_runner_set_profiler(&runner, profile, MAX_PROFILE);
  input_count = mf_runner_input_count(&runner);
  if (n_inputs > input_count || n_outputs > mf_runner_output_count(&runner) ||
      input_count > MAX_FILES) {
    fprintf(stderr, "run_model: the model has %u inputs and %u outputs\n",
            (unsigned)input_count, (unsigned)mf_runner_output_count(&runner));
    code = 2;
    goto done;
  }
  for (unsigned i = 0; i < input_count; i++) {
    mf_tensor_info info;
    if (mf_runner_input_info(&runner, i, &info) != MF_OK) {
      code = 1;
      goto done;
    }
    if (i < n_inputs) {
      input_data[i] = read_file(inputs[i], &input_sizes[i]);
    } else {
      input_sizes[i] = info.bytes;
      input_data[i] = calloc(1, info.bytes + 1);
    }
    if (input_data[i] == NULL) {
      code = 2;
      goto done;
    }
    if (input_sizes[i] != info.bytes) {
      fprintf(stderr, "run_model: %s has %zu bytes, input %u needs %zu\n", inputs[i],
              input_sizes[i], i, info.bytes);
      code = 2;
      goto done;
    }
  }
  status = mf_runner_bench(&runner, name, (uint32_t)repeats, (const void *const *)input_data,
                           input_sizes, input_count);
  if (status != MF_OK) {
    fprintf(stderr, "run_model: %s: %s\n", mf_status_name(status), mf_runner_error(&runner));
    code = 1;
    goto done;
  }
  for (unsigned i = 0; i < n_outputs; i++) {
    mf_tensor_info info;
    if (mf_runner_output_info(&runner, i, &info) != MF_OK) {
      code = 1;
      goto done;
    }
    FILE *f = fopen(outputs[i], "wb");
    if (f == NULL || fwrite(info.data, 1, info.bytes, f) != info.bytes) {
      fprintf(stderr, "run_model: cannot write %s\n", outputs[i]);
      code = 2;
    }
    if (f != NULL && fclose(f) != 0) code = 2;
    if (code != 0) goto done;
  }
done:
  for (unsigned i = 0; i < MAX_FILES; i++) free(input_data[i]);
  free(model);
  free(arena);
  return code;
}
