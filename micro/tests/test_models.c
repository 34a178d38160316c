/* The shared TFLM example models (embedded by the build from tests.toml):
 * each maps, allocates with every built-in kernel, runs, and reports its
 * arena figures. On 32-bit targets the arena used must not exceed TFLM's
 * Cortex-M4 figure for the same model; the need reported for a short arena
 * is exact. */
#include <string.h>

#include "mf_board.h"
#include "mf_test.h"
#include "microforge.h"
#include "model_hello_world_float.h"
#include "model_hello_world_int8.h"
#include "model_magic_wand.h"
#include "model_micro_speech.h"
#include "model_person_detect.h"

#define ARENA_CAP (120u * 1024u)

typedef struct shared_model {
  const char *name;
  const uint8_t *data;
  const uint32_t *size;
  uint32_t tflm_arena; /* TFLM's arena on Cortex-M4 */
} shared_model;

static uint8_t *arena_buf(void) {
  static _Alignas(16) uint8_t buf[ARENA_CAP];
  return buf;
}

typedef struct session {
  mf_model model;
  const mf_op_registration *storage[MF_OP_COUNT];
  mf_resolver resolver;
  mf_interpreter it;
} session;

static mf_status open_model(session *s, const shared_model *m, size_t arena_size) {
  mf_status status = mf_model_map(&s->model, m->data, *m->size);
  if (status != MF_OK) return status;
  mf_resolver_init(&s->resolver, s->storage, MF_OP_COUNT);
  status = mf_resolver_add_all(&s->resolver);
  if (status == MF_OK) status = mf_interpreter_init(&s->it, &s->model, &s->resolver, arena_buf(), arena_size);
  return status == MF_OK ? mf_interpreter_allocate(&s->it) : status;
}

static void check_model(mf_test_ctx *mf_t, const shared_model *m) {
  static session s;
  mf_status status = open_model(&s, m, ARENA_CAP);
  if (status != MF_OK) {
    MF_FAIL("%s: %s %s%s", m->name, mf_status_name(status), mf_model_error(&s.model),
            s.model.data != NULL ? mf_interpreter_error(&s.it) : "");
    return;
  }
  size_t used = mf_interpreter_arena_used(&s.it);
  mf_tensor_info in, out;
  MF_ASSERT_STATUS(mf_interpreter_input(&s.it, 0, &in), MF_OK);
  memset(in.data, 0, in.bytes);
  MF_ASSERT_STATUS(mf_interpreter_invoke(&s.it), MF_OK);
  MF_ASSERT_STATUS(mf_interpreter_output(&s.it, 0, &out), MF_OK);
  MF_EXPECT(out.bytes > 0u && out.data != NULL);
  mf_test_bench(m->name, "arena_used=%u head=%u tail=%u tflm_m4=%u pointer_bytes=%u",
                (unsigned)used, (unsigned)s.it.head, (unsigned)s.it.tail, m->tflm_arena,
                (unsigned)sizeof(void *));
  if (sizeof(void *) == 4u && used > m->tflm_arena)
    MF_FAIL("%s: arena used %u > TFLM's %u", m->name, (unsigned)used, m->tflm_arena);
  /* exact need: one byte less fails and names the size */
  MF_ASSERT_STATUS(open_model(&s, m, used - 1u), MF_ERR_ARENA_TOO_SMALL);
  MF_EXPECT_EQ_UINT(mf_interpreter_arena_needed(&s.it), used);
  MF_ASSERT_STATUS(open_model(&s, m, used), MF_OK);
}

static const shared_model models[] = {
    {"hello_world_int8", model_hello_world_int8, &model_hello_world_int8_len, 676},
    {"hello_world_float", model_hello_world_float, &model_hello_world_float_len, 736},
    {"micro_speech_quantized", model_micro_speech, &model_micro_speech_len, 6788},
    {"magic_wand", model_magic_wand, &model_magic_wand_len, 15168},
    {"person_detect", model_person_detect, &model_person_detect_len, 82292},
};

MF_TEST(hello_world_int8) { check_model(mf_t, &models[0]); }
MF_TEST(hello_world_float) { check_model(mf_t, &models[1]); }
MF_TEST(micro_speech_quantized) { check_model(mf_t, &models[2]); }
MF_TEST(magic_wand) { check_model(mf_t, &models[3]); }
MF_TEST(person_detect) { check_model(mf_t, &models[4]); }

int main(void) {
  mf_board_init();
  static const mf_test_case cases[] = {
      MF_TEST_CASE(hello_world_int8), MF_TEST_CASE(hello_world_float),
      MF_TEST_CASE(micro_speech_quantized), MF_TEST_CASE(magic_wand), MF_TEST_CASE(person_detect)};
  return MF_TEST_RUN("test_models", cases);
}
