/* The memory planner on synthetic graphs: exact sizes on small graphs, no
 * overlap of buffers alive at the same time, results checked against a
 * reference evaluation, offline offsets honoured, and never larger than
 * TFLM's greedy planner (largest first, lowest fitting offset, 16-byte
 * alignment) on random graphs. */
#include <string.h>

#include "mf_board.h"
#include "mf_test.h"
#include "support/tm_session.h"

#define MODEL_CAP 32768
#define ARENA_CAP 65536
#define MAX_TENSORS 48
#define MAX_OPS 24
#define MAX_ELEMS 512

typedef struct graph_buf {
  tm_tensor tensors[MAX_TENSORS];
  tm_op ops[MAX_OPS];
  int32_t inputs[2], outputs[4];
  uint8_t options[MAX_OPS][16];
  int8_t constants[MAX_TENSORS][MAX_ELEMS];
  tm_graph graph;
} graph_buf;

static uint8_t *model_buf(void) {
  static _Alignas(16) uint8_t buf[MODEL_CAP];
  return buf;
}

static uint8_t *arena_buf(void) {
  static _Alignas(16) uint8_t buf[ARENA_CAP];
  return buf;
}

static void set_words(uint8_t *dst, uint32_t scratch, uint32_t persistent, uint32_t flags) {
  memcpy(dst, &scratch, 4);
  memcpy(dst + 4, &persistent, 4);
  memcpy(dst + 8, &flags, 4);
  memset(dst + 12, 0, 4);
}

static tm_op test_op(const uint8_t *options) {
  tm_op op = {.code = MF_CUSTOM_OP, .custom = "MF_TEST", .custom_options = options,
              .custom_options_size = 16};
  return op;
}

/* First and last node using tensor t (graph inputs from 0, outputs to the end). */
static int lifetime(const tm_graph *g, int32_t t, uint32_t *first, uint32_t *last) {
  int used = 0;
  uint32_t end = g->n_ops > 0u ? g->n_ops - 1u : 0u;
  *first = 0xFFFFu;
  *last = 0;
  for (uint32_t i = 0; i < g->n_inputs; i++) {
    if (g->inputs[i] == t) *first = 0, used = 1;
  }
  for (uint32_t j = 0; j < g->n_ops; j++) {
    const tm_op *op = &g->ops[j];
    for (uint32_t k = 0; k < op->n_in + op->n_out; k++) {
      int32_t x = k < op->n_in ? op->in[k] : op->out[k - op->n_in];
      if (x != t) continue;
      if (*first == 0xFFFFu) *first = j;
      *last = j;
      used = 1;
    }
  }
  for (uint32_t i = 0; i < g->n_outputs; i++) {
    if (g->outputs[i] == t) {
      if (*first == 0xFFFFu) *first = end;
      *last = end;
      used = 1;
    }
  }
  return used;
}

static size_t elements(const tm_tensor *t) {
  size_t n = 1;
  for (uint32_t d = 0; d < t->ndims; d++) n *= (size_t)t->dims[d];
  return n;
}

/* Planned buffers alive together never share bytes, and stay in the head. */
static void check_no_overlap(mf_test_ctx *mf_t, tm_session *s, const tm_graph *g) {
  for (uint32_t a = 0; a < g->n_tensors; a++) {
    uint32_t fa, la, fb, lb;
    mf_tensor_info ia, ib;
    if (g->tensors[a].data != NULL || g->tensors[a].variable || !lifetime(g, (int32_t)a, &fa, &la)) continue;
    MF_ASSERT_STATUS(mf_interpreter_tensor(&s->it, a, &ia), MF_OK);
    const uint8_t *pa = ia.data;
    MF_EXPECT(pa >= s->it.base && pa + ia.bytes <= s->it.base + s->it.head);
    MF_EXPECT_EQ_UINT((uintptr_t)pa % sizeof(void *), 0);
    for (uint32_t b = a + 1u; b < g->n_tensors; b++) {
      if (g->tensors[b].data != NULL || g->tensors[b].variable || !lifetime(g, (int32_t)b, &fb, &lb)) continue;
      if (la < fb || lb < fa) continue;
      MF_ASSERT_STATUS(mf_interpreter_tensor(&s->it, b, &ib), MF_OK);
      const uint8_t *pb = ib.data;
      if (ia.bytes == 0u || ib.bytes == 0u) continue;
      if (pa < pb + ib.bytes && pb < pa + ia.bytes) MF_FAIL("tensors %u and %u overlap", a, b);
    }
  }
}

/* Evaluates the graph with the MF_TEST semantics into values[tensor][i]. */
static void reference(const tm_graph *g, int8_t values[][MAX_ELEMS]) {
  for (uint32_t j = 0; j < g->n_ops; j++) {
    const tm_op *op = &g->ops[j];
    for (uint32_t o = 0; o < op->n_out; o++) {
      const tm_tensor *out = &g->tensors[op->out[o]];
      for (size_t e = 0; e < elements(out); e++) {
        uint32_t sum = 1;
        for (uint32_t i = 0; i < op->n_in; i++) {
          if (op->in[i] < 0) continue;
          size_t len = elements(&g->tensors[op->in[i]]);
          if (len != 0u) sum += (uint32_t)values[op->in[i]][e % len];
        }
        values[op->out[o]][e] = (int8_t)(uint8_t)sum;
      }
    }
  }
}

/* Invokes with a pattern input and compares every graph output. */
static void check_values(mf_test_ctx *mf_t, tm_session *s, const tm_graph *g) {
  static int8_t values[MAX_TENSORS][MAX_ELEMS];
  memset(values, 0, sizeof values);
  for (uint32_t t = 0; t < g->n_tensors; t++) {
    if (g->tensors[t].data != NULL) memcpy(values[t], g->tensors[t].data, g->tensors[t].data_size);
  }
  for (uint32_t i = 0; i < g->n_inputs; i++) {
    mf_tensor_info in;
    MF_ASSERT_STATUS(mf_interpreter_input(&s->it, i, &in), MF_OK);
    for (size_t e = 0; e < in.bytes; e++) values[g->inputs[i]][e] = (int8_t)(e * 7u + i * 3u + 1u);
    memcpy(in.data, values[g->inputs[i]], in.bytes);
  }
  reference(g, values);
  MF_ASSERT_STATUS(mf_interpreter_invoke(&s->it), MF_OK);
  for (uint32_t i = 0; i < g->n_outputs; i++) {
    mf_tensor_info out;
    MF_ASSERT_STATUS(mf_interpreter_output(&s->it, i, &out), MF_OK);
    if (memcmp(out.data, values[g->outputs[i]], out.bytes) != 0) MF_FAIL("output %u differs", i);
  }
}

/* in -> A -> B -> out, 64 bytes each: two buffers alive at a time. */
MF_TEST(chain_reuses_memory) {
  static uint8_t opts[3][16];
  static const tm_tensor tensors[] = {TM_INT8(1, 64), TM_INT8(1, 64), TM_INT8(1, 64), TM_INT8(1, 64)};
  for (int i = 0; i < 3; i++) set_words(opts[i], 0, 0, 0);
  tm_op ops[3];
  for (int i = 0; i < 3; i++) {
    ops[i] = test_op(opts[i]);
    ops[i].n_in = ops[i].n_out = 1;
    ops[i].in[0] = i;
    ops[i].out[0] = i + 1;
  }
  static const int32_t in[] = {0}, out[] = {3};
  tm_graph g = {tensors, 4, ops, 3, in, 1, out, 1, NULL, 0};
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, &g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  MF_EXPECT_EQ_UINT(s.it.head, 128);
  check_no_overlap(mf_t, &s, &g);
  check_values(mf_t, &s, &g);
}

/* A value kept alive across nodes, plus per-node scratch. */
MF_TEST(skip_connection_and_scratch) {
  static uint8_t opts[3][16];
  set_words(opts[0], 0, 0, 0);
  set_words(opts[1], 100, 0, 0);
  set_words(opts[2], 0, 0, 0);
  static const tm_tensor tensors[] = {TM_INT8(1, 64), TM_INT8(1, 64), TM_INT8(1, 32), TM_INT8(1, 16)};
  tm_op ops[3] = {test_op(opts[0]), test_op(opts[1]), test_op(opts[2])};
  ops[0].n_in = 1, ops[0].in[0] = 0, ops[0].n_out = 1, ops[0].out[0] = 1;
  ops[1].n_in = 1, ops[1].in[0] = 1, ops[1].n_out = 1, ops[1].out[0] = 2;
  ops[2].n_in = 2, ops[2].in[0] = 1, ops[2].in[1] = 2, ops[2].n_out = 1, ops[2].out[0] = 3;
  static const int32_t in[] = {0}, out[] = {3};
  tm_graph g = {tensors, 4, ops, 3, in, 1, out, 1, NULL, 0};
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, &g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  /* node 1 holds A (64), B (32) and its 100 scratch bytes */
  MF_EXPECT_EQ_UINT(s.it.head, 196);
  check_no_overlap(mf_t, &s, &g);
  check_values(mf_t, &s, &g);
}

/* OfflineMemoryAllocation offsets are used as given; -1 is planned online. */
MF_TEST(offline_offsets_are_honoured) {
  static uint8_t opts[2][16];
  set_words(opts[0], 0, 0, 0);
  set_words(opts[1], 0, 0, 0);
  static const tm_tensor tensors[] = {TM_INT8(1, 16), TM_INT8(1, 16), TM_INT8(1, 16)};
  tm_op ops[2] = {test_op(opts[0]), test_op(opts[1])};
  ops[0].n_in = 1, ops[0].in[0] = 0, ops[0].n_out = 1, ops[0].out[0] = 1;
  ops[1].n_in = 1, ops[1].in[0] = 1, ops[1].n_out = 1, ops[1].out[0] = 2;
  static const int32_t in[] = {0}, out[] = {2}, offline[] = {256, -1, 64};
  tm_graph g = {tensors, 3, ops, 2, in, 1, out, 1, offline, 0};
  tm_session s;
  MF_ASSERT_STATUS(tm_open(&s, &g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  mf_tensor_info info;
  MF_ASSERT_STATUS(mf_interpreter_tensor(&s.it, 0, &info), MF_OK);
  MF_EXPECT_EQ_UINT((uint8_t *)info.data - s.it.base, 256);
  MF_ASSERT_STATUS(mf_interpreter_tensor(&s.it, 2, &info), MF_OK);
  MF_EXPECT_EQ_UINT((uint8_t *)info.data - s.it.base, 64);
  MF_ASSERT_STATUS(mf_interpreter_tensor(&s.it, 1, &info), MF_OK);
  MF_EXPECT_EQ_UINT((uint8_t *)info.data - s.it.base, 0);
  MF_EXPECT_EQ_UINT(s.it.head, 272);
  check_values(mf_t, &s, &g);
}

MF_TEST(misaligned_offline_offset_is_rejected) {
  static uint8_t opts[16];
  set_words(opts, 0, 0, 0);
  static const tm_tensor tensors[] = {TM_INT8(1, 16), TM_INT8(1, 16)};
  tm_op ops[1] = {test_op(opts)};
  ops[0].n_in = 1, ops[0].in[0] = 0, ops[0].n_out = 1, ops[0].out[0] = 1;
  static const int32_t in[] = {0}, out[] = {1}, offline[] = {3, -1};
  tm_graph g = {tensors, 2, ops, 1, in, 1, out, 1, offline, 0};
  tm_session s;
  MF_EXPECT_STATUS(tm_open(&s, &g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_ERR_MODEL_INVALID);
  MF_EXPECT_REASON_CONTAINS(mf_interpreter_error(&s.it), "tensor 0: offline offset 3");
}

static uint32_t next_random(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

/* A random DAG of MF_TEST nodes: 1-3 inputs from earlier tensors (or a
 * constant), 1-2 fresh outputs, optional scratch. */
static void random_graph(graph_buf *gb, uint32_t seed) {
  uint32_t rng = seed, nt = 0, no = 2u + next_random(&rng) % (MAX_OPS - 2u);
  memset(gb, 0, sizeof *gb);
  gb->tensors[nt++] = (tm_tensor)TM_INT8(1, (int32_t)(1u + next_random(&rng) % 300u));
  for (uint32_t j = 0; j < no && nt + 3u < MAX_TENSORS; j++) {
    tm_op *op = &gb->ops[j];
    set_words(gb->options[j], next_random(&rng) % 3u == 0u ? 1u + next_random(&rng) % 200u : 0u, 0, 0);
    *op = test_op(gb->options[j]);
    op->n_in = (uint8_t)(1u + next_random(&rng) % 3u);
    for (uint32_t k = 0; k < op->n_in; k++) {
      if (next_random(&rng) % 6u == 0u) {
        uint32_t n = 1u + next_random(&rng) % 64u;
        for (uint32_t e = 0; e < n; e++) gb->constants[nt][e] = (int8_t)next_random(&rng);
        gb->tensors[nt] = (tm_tensor)TM_INT8(1, (int32_t)n);
        gb->tensors[nt].data = gb->constants[nt];
        gb->tensors[nt].data_size = n;
        op->in[k] = (int32_t)nt++;
      } else {
        uint32_t pick;
        do pick = next_random(&rng) % nt; while (gb->tensors[pick].data != NULL && nt > 1u);
        op->in[k] = (int32_t)pick;
      }
    }
    op->n_out = (uint8_t)(1u + next_random(&rng) % 2u);
    for (uint32_t k = 0; k < op->n_out; k++) {
      gb->tensors[nt] = (tm_tensor)TM_INT8(1, (int32_t)(1u + next_random(&rng) % 300u));
      op->out[k] = (int32_t)nt++;
    }
    gb->graph.n_ops = j + 1u;
  }
  gb->inputs[0] = 0;
  gb->outputs[0] = gb->ops[gb->graph.n_ops - 1u].out[0];
  uint32_t extra;
  do extra = next_random(&rng) % nt; while (gb->tensors[extra].data != NULL || extra == (uint32_t)gb->outputs[0]);
  gb->outputs[1] = (int32_t)extra;
  gb->graph.tensors = gb->tensors;
  gb->graph.n_tensors = nt;
  gb->graph.ops = gb->ops;
  gb->graph.inputs = gb->inputs;
  gb->graph.n_inputs = 1;
  gb->graph.outputs = gb->outputs;
  gb->graph.n_outputs = extra == 0u ? 1u : 2u;
}

/* TFLM's greedy planner: sizes rounded to 16, largest first (ties: the
 * buffer added last first; tensors are added before scratch), each at the
 * lowest offset clear of every placed buffer alive at the same time.
 * Returns the head size. */
static uint32_t tflm_greedy(const tm_graph *g, const uint8_t (*options)[16]) {
  uint32_t size[MAX_TENSORS + MAX_OPS], first[MAX_TENSORS + MAX_OPS], last[MAX_TENSORS + MAX_OPS];
  uint32_t offset[MAX_TENSORS + MAX_OPS], order[MAX_TENSORS + MAX_OPS], n = 0, head = 0;
  for (uint32_t t = 0; t < g->n_tensors; t++) {
    if (g->tensors[t].data != NULL || !lifetime(g, (int32_t)t, &first[n], &last[n])) continue;
    size[n++] = ((uint32_t)elements(&g->tensors[t]) + 15u) & ~15u;
  }
  for (uint32_t j = 0; j < g->n_ops; j++) {
    uint32_t scratch;
    memcpy(&scratch, options[j], 4);
    if (scratch == 0u) continue;
    first[n] = last[n] = j;
    size[n++] = (scratch + 15u) & ~15u;
  }
  /* TFLM lists the buffers last-added first, then sorts stably by size. */
  for (uint32_t i = 0; i < n; i++) order[i] = n - 1u - i;
  for (uint32_t i = 1; i < n; i++) { /* stable insertion sort, largest first */
    for (uint32_t k = i; k > 0u && size[order[k]] > size[order[k - 1u]]; k--) {
      uint32_t tmp = order[k];
      order[k] = order[k - 1u];
      order[k - 1u] = tmp;
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    uint32_t b = order[i], at = 0;
    for (int moved = 1; moved;) {
      moved = 0;
      for (uint32_t p = 0; p < i; p++) {
        uint32_t o = order[p];
        if (last[o] < first[b] || first[o] > last[b]) continue;
        if (offset[o] < at + size[b] && at < offset[o] + size[o]) at = offset[o] + size[o], moved = 1;
      }
    }
    offset[b] = at;
    if (at + size[b] > head) head = at + size[b];
  }
  return head;
}

MF_TEST(random_graphs_are_correct_and_tight) {
  static graph_buf gb;
  uint32_t total_ours = 0, total_tflm = 0;
  for (uint32_t seed = 1; seed <= 200u; seed++) {
    random_graph(&gb, seed);
    tm_session s;
    mf_status status = tm_open(&s, &gb.graph, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP);
    if (status != MF_OK) {
      MF_FAIL("seed %u: %s %s %s", seed, mf_status_name(status), mf_model_error(&s.model),
              mf_interpreter_error(&s.it));
      return;
    }
    uint32_t failures = mf_t->failures;
    check_no_overlap(mf_t, &s, &gb.graph);
    check_values(mf_t, &s, &gb.graph);
    uint32_t tflm = tflm_greedy(&gb.graph, (const uint8_t(*)[16])gb.options);
    if (s.it.head > tflm) MF_FAIL("seed %u: head %u > TFLM greedy %u", seed, (unsigned)s.it.head, tflm);
    if (mf_t->failures != failures) {
      MF_FAIL("seed %u failed", seed);
      return;
    }
    total_ours += (uint32_t)s.it.head;
    total_tflm += tflm;
  }
  mf_test_bench("planner_random_graphs", "ours=%u tflm_greedy=%u", total_ours, total_tflm);
}

int main(void) {
  mf_board_init();
  static const mf_test_case cases[] = {
      MF_TEST_CASE(chain_reuses_memory), MF_TEST_CASE(skip_connection_and_scratch),
      MF_TEST_CASE(offline_offsets_are_honoured), MF_TEST_CASE(misaligned_offline_offset_is_rejected),
      MF_TEST_CASE(random_graphs_are_correct_and_tight)};
  return MF_TEST_RUN("test_planner", cases);
}
