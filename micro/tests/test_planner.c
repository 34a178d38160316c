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

static uint32_t op_flags(const tm_op *op) {
  uint32_t flags = 0;
  if (op->custom_options != NULL && op->custom_options_size >= 12u) memcpy(&flags, op->custom_options + 8, 4);
  return flags;
}

static int in_list(const int32_t *list, uint32_t n, int32_t t) {
  for (uint32_t i = 0; i < n; i++) {
    if (list[i] == t) return 1;
  }
  return 0;
}

/* The alias rule, evaluated on the graph: roots[t] is the tensor whose
 * memory t uses (t itself when it has its own). A TM_FLAG_COPY node's output
 * joins its input's group when both are activations of the same size, no
 * later node reads the input, the input is no graph output, a graph input
 * would not share with a graph output, and there is no offline plan. */
static void alias_roots(const tm_graph *g, int32_t *roots) {
  for (uint32_t t = 0; t < g->n_tensors; t++) roots[t] = (int32_t)t;
  for (uint32_t j = 0; j < g->n_ops && g->offline_offsets == NULL; j++) {
    const tm_op *op = &g->ops[j];
    if ((op_flags(op) & TM_FLAG_COPY) == 0u || op->n_in < 1u || op->n_out < 1u || op->in[0] < 0) continue;
    int32_t x = op->in[0], o = op->out[0], root = roots[x];
    const tm_tensor *tx = &g->tensors[x], *to = &g->tensors[o];
    int later = 0;
    for (uint32_t k = j + 1u; k < g->n_ops; k++) later |= in_list(g->ops[k].in, g->ops[k].n_in, x);
    if (tx->data != NULL || to->data != NULL || tx->variable || to->variable || later ||
        elements(tx) != elements(to) || in_list(g->outputs, g->n_outputs, x) ||
        (in_list(g->inputs, g->n_inputs, root) && in_list(g->outputs, g->n_outputs, o)))
      continue;
    roots[o] = root;
  }
}

/* Lifetime of the group of root r: the union of its members'. */
static int group_lifetime(const tm_graph *g, const int32_t *roots, int32_t r, uint32_t *first,
                          uint32_t *last) {
  int used = 0;
  *first = 0xFFFFu;
  *last = 0;
  for (uint32_t t = 0; t < g->n_tensors; t++) {
    uint32_t f, l;
    if (roots[t] != r || !lifetime(g, (int32_t)t, &f, &l)) continue;
    used = 1;
    if (f < *first) *first = f;
    if (l > *last) *last = l;
  }
  return used;
}

/* Tensors of one group share their data pointer; planned groups alive
 * together never share bytes, and stay in the head. */
static void check_groups(mf_test_ctx *mf_t, tm_session *s, const tm_graph *g) {
  static int32_t roots[64];
  alias_roots(g, roots);
  for (uint32_t a = 0; a < g->n_tensors; a++) {
    uint32_t fa, la, fb, lb;
    mf_tensor_info ia, ib;
    if (g->tensors[a].data != NULL || g->tensors[a].variable || !lifetime(g, (int32_t)a, &fa, &la)) continue;
    MF_ASSERT_STATUS(mf_interpreter_tensor(&s->it, a, &ia), MF_OK);
    const uint8_t *pa = ia.data;
    MF_EXPECT(pa >= s->it.base && pa + ia.bytes <= s->it.base + s->it.head);
    MF_EXPECT_EQ_UINT((uintptr_t)pa % sizeof(void *), 0);
    group_lifetime(g, roots, roots[a], &fa, &la);
    for (uint32_t b = a + 1u; b < g->n_tensors; b++) {
      if (g->tensors[b].data != NULL || g->tensors[b].variable || !lifetime(g, (int32_t)b, &fb, &lb)) continue;
      MF_ASSERT_STATUS(mf_interpreter_tensor(&s->it, b, &ib), MF_OK);
      const uint8_t *pb = ib.data;
      if (roots[a] == roots[b]) {
        if (pa != pb) MF_FAIL("tensors %u and %u should share memory", a, b);
        continue;
      }
      group_lifetime(g, roots, roots[b], &fb, &lb);
      if (la < fb || lb < fa || ia.bytes == 0u || ib.bytes == 0u) continue;
      if (pa < pb + ib.bytes && pb < pa + ia.bytes) MF_FAIL("tensors %u and %u overlap", a, b);
    }
  }
}

/* Evaluates the graph with the MF_TEST semantics into values[tensor][i]. */
static void reference(const tm_graph *g, int8_t values[][MAX_ELEMS]) {
  for (uint32_t j = 0; j < g->n_ops; j++) {
    const tm_op *op = &g->ops[j];
    if (op_flags(op) & (TM_FLAG_COPY | TM_FLAG_COPY_INIT)) {
      size_t len = elements(&g->tensors[op->in[0]]);
      for (size_t e = 0; e < elements(&g->tensors[op->out[0]]); e++)
        values[op->out[0]][e] = values[op->in[0]][e % len];
      continue;
    }
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
  check_groups(mf_t, &s, &g);
  check_values(mf_t, &s, &g);
}

/* A value kept alive across nodes, plus per-node scratch. */
MF_TEST(skip_connection_and_scratch) {
  static uint8_t opts[3][16];
  set_words(opts[0], 0, 0, 0);
  set_words(opts[1], 96, 0, 0);
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
  /* node 1 holds A (64), B (32) and its 96 scratch bytes */
  MF_EXPECT_EQ_UINT(s.it.head, 192);
  check_groups(mf_t, &s, &g);
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

/* ---- aliases: a node may ask that its output share its input's memory ---- */

typedef struct alias_graph {
  uint8_t opts[6][16];
  tm_tensor tensors[8];
  tm_op ops[6];
  int32_t inputs[1], outputs[2];
  tm_graph graph;
} alias_graph;

/* A chain of `n` nodes over tensors 0..n (int8 [1, sizes[i]]): node i reads
 * tensor i and writes tensor i + 1; flags[i] are its TM_FLAG_* bits. The
 * graph input is tensor 0, the output tensor n. */
static tm_graph *alias_chain(alias_graph *ag, uint32_t n, const int32_t *sizes, const uint32_t *flags) {
  memset(ag, 0, sizeof *ag);
  for (uint32_t i = 0; i <= n; i++) ag->tensors[i] = (tm_tensor)TM_INT8(1, sizes[i]);
  for (uint32_t i = 0; i < n; i++) {
    set_words(ag->opts[i], 0, 0, flags[i]);
    ag->ops[i] = test_op(ag->opts[i]);
    ag->ops[i].n_in = ag->ops[i].n_out = 1;
    ag->ops[i].in[0] = (int32_t)i;
    ag->ops[i].out[0] = (int32_t)i + 1;
  }
  ag->inputs[0] = 0;
  ag->outputs[0] = (int32_t)n;
  ag->graph = (tm_graph){ag->tensors, n + 1u, ag->ops, n, ag->inputs, 1, ag->outputs, 1, NULL, 0};
  return &ag->graph;
}

/* Opens the graph, checks the sharing against the rule, the placement and
 * the results; returns 1 when tensors a and b share memory. */
static int shares(mf_test_ctx *mf_t, tm_session *s, const tm_graph *g, uint32_t a, uint32_t b) {
  mf_tensor_info ia, ib;
  if (tm_open(s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP) != MF_OK) {
    MF_FAIL("open: %s %s", mf_model_error(&s->model), mf_interpreter_error(&s->it));
    return -1;
  }
  check_groups(mf_t, s, g);
  check_values(mf_t, s, g);
  if (mf_interpreter_tensor(&s->it, a, &ia) != MF_OK || mf_interpreter_tensor(&s->it, b, &ib) != MF_OK) return -1;
  return ia.data == ib.data;
}

/* in -> A -> copy -> B -> out: A's last reader is the copy, so B takes A's
 * memory and the peak (A and B alive at the copy) halves. */
MF_TEST(alias_shares_memory_and_shrinks_the_plan) {
  static alias_graph ag;
  static const int32_t sizes[] = {16, 64, 64, 16};
  static const uint32_t copy[] = {0, TM_FLAG_COPY, 0}, plain[] = {0, 0, 0};
  tm_session s;
  MF_EXPECT_EQ_INT(shares(mf_t, &s, alias_chain(&ag, 3, sizes, plain), 1, 2), 0);
  MF_EXPECT_EQ_UINT(s.it.head, 128);
  MF_EXPECT_EQ_INT(shares(mf_t, &s, alias_chain(&ag, 3, sizes, copy), 1, 2), 1);
  MF_EXPECT_EQ_UINT(s.it.head, 80);
}

/* Chained copies form one group; a copy straight off the graph input too. */
MF_TEST(alias_chains_and_graph_inputs) {
  static alias_graph ag;
  static const int32_t sizes[] = {64, 64, 64, 64, 16};
  static const uint32_t flags[] = {TM_FLAG_COPY, TM_FLAG_COPY, TM_FLAG_COPY, 0};
  tm_session s;
  const tm_graph *g = alias_chain(&ag, 4, sizes, flags);
  MF_EXPECT_EQ_INT(shares(mf_t, &s, g, 0, 3), 1);
  MF_EXPECT_EQ_INT(shares(mf_t, &s, g, 1, 2), 1);
  MF_EXPECT_EQ_UINT(s.it.head, 80);
}

/* No sharing when the input is read again later, is a graph output, or is
 * a graph input whose copy is a graph output. */
MF_TEST(alias_refused_while_the_input_lives_on) {
  static alias_graph ag;
  static const int32_t sizes[] = {16, 64, 64, 16};
  static const uint32_t flags[] = {0, TM_FLAG_COPY, 0};
  tm_session s;
  tm_graph *g = alias_chain(&ag, 3, sizes, flags);
  ag.ops[2].n_in = 2, ag.ops[2].in[1] = 1; /* node 2 reads A too */
  MF_EXPECT_EQ_INT(shares(mf_t, &s, g, 1, 2), 0);
  g = alias_chain(&ag, 3, sizes, flags);
  ag.outputs[1] = 1, g->n_outputs = 2; /* A is a graph output */
  MF_EXPECT_EQ_INT(shares(mf_t, &s, g, 1, 2), 0);
  static const int32_t two[] = {64, 64};
  static const uint32_t one_copy[] = {TM_FLAG_COPY};
  g = alias_chain(&ag, 1, two, one_copy); /* graph input copied to the graph output */
  MF_EXPECT_EQ_INT(shares(mf_t, &s, g, 0, 1), 0);
}

/* No sharing across sizes, with constants or variables, under an offline plan,
 * when the kernel changes the output's shape after asking, or when it asks in
 * init (shapes are not final then). */
MF_TEST(alias_refused_for_other_buffers) {
  static alias_graph ag;
  static const int8_t weights[64] = {5, 6, 7};
  static const int32_t sizes[] = {16, 64, 32, 16}, same[] = {16, 64, 64, 16}, grows[] = {16, 32, 32, 16};
  static const uint32_t flags[] = {0, TM_FLAG_COPY, 0};
  tm_session s;
  MF_EXPECT_EQ_INT(shares(mf_t, &s, alias_chain(&ag, 3, sizes, flags), 1, 2), 0);
  tm_graph *g = alias_chain(&ag, 3, same, flags);
  ag.tensors[4] = (tm_tensor)TM_INT8(1, 64); /* the copy reads a constant */
  ag.tensors[4].data = weights, ag.tensors[4].data_size = 64;
  ag.ops[1].in[0] = 4, g->n_tensors = 5;
  MF_EXPECT_EQ_INT(shares(mf_t, &s, g, 4, 2), 0);
  g = alias_chain(&ag, 3, same, flags);
  ag.tensors[4] = (tm_tensor){.dtype = MF_INT8, .ndims = 2, .dims = {1, 64}, .variable = 1};
  ag.ops[1].in[0] = 4, g->n_tensors = 5; /* the copy reads a variable */
  MF_EXPECT_EQ_INT(shares(mf_t, &s, g, 4, 2), 0);
  static const int32_t offline[] = {-1, -1, -1, -1};
  g = alias_chain(&ag, 3, same, flags);
  g->offline_offsets = offline;
  MF_EXPECT_EQ_INT(shares(mf_t, &s, g, 1, 2), 0);
  /* asks while both are 32 bytes, then makes its output 64: no sharing */
  static const uint32_t then_grow[] = {0, TM_FLAG_COPY | TM_FLAG_SET_DIMS, 0};
  g = alias_chain(&ag, 3, grows, then_grow);
  memcpy(ag.opts[1] + 12, &(uint32_t){64}, 4);
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  ag.tensors[2].dims[1] = 64; /* the shape the kernel set, for the checks */
  check_groups(mf_t, &s, g);
  check_values(mf_t, &s, g);
  MF_EXPECT(s.it.tensors[1].data != s.it.tensors[2].data);
  /* asks in init, while the input is still 64 bytes; node 0 then makes it 32 */
  static const int32_t shrinks[] = {16, 64, 64, 16};
  static const uint32_t init_ask[] = {TM_FLAG_SET_DIMS, TM_FLAG_COPY_INIT, 0};
  g = alias_chain(&ag, 3, shrinks, init_ask);
  memcpy(ag.opts[0] + 12, &(uint32_t){32}, 4);
  MF_ASSERT_STATUS(tm_open(&s, g, model_buf(), MODEL_CAP, arena_buf(), ARENA_CAP), MF_OK);
  ag.tensors[1].dims[1] = 32;
  check_groups(mf_t, &s, g);
  check_values(mf_t, &s, g);
  MF_EXPECT(s.it.tensors[1].data != s.it.tensors[2].data);
}

static uint32_t next_random(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

/* A random DAG of MF_TEST nodes: 1-3 inputs from earlier tensors (or a
 * constant), 1-2 fresh outputs, optional scratch; a quarter of them are
 * copies (one input, one output, mostly of the same size) that request an
 * alias. */
static void random_graph(graph_buf *gb, uint32_t seed) {
  uint32_t rng = seed, nt = 0, no = 2u + next_random(&rng) % (MAX_OPS - 2u);
  memset(gb, 0, sizeof *gb);
  gb->tensors[nt++] = (tm_tensor)TM_INT8(1, (int32_t)(1u + next_random(&rng) % 300u));
  for (uint32_t j = 0; j < no && nt + 3u < MAX_TENSORS; j++) {
    tm_op *op = &gb->ops[j];
    uint32_t copy = next_random(&rng) % 4u == 0u ? TM_FLAG_COPY : 0u;
    set_words(gb->options[j], next_random(&rng) % 3u == 0u ? 1u + next_random(&rng) % 200u : 0u, 0, copy);
    *op = test_op(gb->options[j]);
    op->n_in = (uint8_t)(copy ? 1u : 1u + next_random(&rng) % 3u);
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
    op->n_out = (uint8_t)(copy ? 1u : 1u + next_random(&rng) % 2u);
    for (uint32_t k = 0; k < op->n_out; k++) {
      gb->tensors[nt] = (tm_tensor)TM_INT8(1, (int32_t)(1u + next_random(&rng) % 300u));
      /* a copy mostly keeps its input's size (aliasing needs that) */
      if (copy && next_random(&rng) % 8u != 0u) {
        gb->tensors[nt] = gb->tensors[op->in[0]];
        gb->tensors[nt].data = NULL;
        gb->tensors[nt].data_size = 0;
      }
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

/* TFLM's greedy planner (on the buffers our planner gets: an alias group is
 * one): sizes rounded to 16, largest first (ties: the
 * buffer added last first; tensors are added before scratch), each at the
 * lowest offset clear of every placed buffer alive at the same time.
 * Returns the head size. */
static uint32_t tflm_greedy(const tm_graph *g, const uint8_t (*options)[16]) {
  uint32_t size[MAX_TENSORS + MAX_OPS], first[MAX_TENSORS + MAX_OPS], last[MAX_TENSORS + MAX_OPS];
  uint32_t offset[MAX_TENSORS + MAX_OPS], order[MAX_TENSORS + MAX_OPS], n = 0, head = 0;
  int32_t roots[MAX_TENSORS];
  alias_roots(g, roots); /* a group of aliases is one buffer, as the planner sees it */
  for (uint32_t t = 0; t < g->n_tensors; t++) {
    if (g->tensors[t].data != NULL || roots[t] != (int32_t)t ||
        !group_lifetime(g, roots, (int32_t)t, &first[n], &last[n]))
      continue;
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
  uint32_t total_ours = 0, total_tflm = 0, aliases = 0;
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
    check_groups(mf_t, &s, &gb.graph);
    check_values(mf_t, &s, &gb.graph);
    uint32_t tflm = tflm_greedy(&gb.graph, (const uint8_t(*)[16])gb.options);
    if (s.it.head > tflm) MF_FAIL("seed %u: head %u > TFLM greedy %u", seed, (unsigned)s.it.head, tflm);
    if (mf_t->failures != failures) {
      MF_FAIL("seed %u failed", seed);
      return;
    }
    total_ours += (uint32_t)s.it.head;
    total_tflm += tflm;
    int32_t roots[MAX_TENSORS];
    alias_roots(&gb.graph, roots);
    for (uint32_t t = 0; t < gb.graph.n_tensors; t++) aliases += roots[t] != (int32_t)t;
  }
  MF_EXPECT(aliases > 20u); /* the rule was exercised */
  mf_test_bench("planner_random_graphs", "ours=%u tflm_greedy=%u aliases=%u", total_ours, total_tflm,
                aliases);
}

int main(void) {
  mf_board_init();
  static const mf_test_case cases[] = {
      MF_TEST_CASE(chain_reuses_memory), MF_TEST_CASE(skip_connection_and_scratch),
      MF_TEST_CASE(offline_offsets_are_honoured), MF_TEST_CASE(misaligned_offline_offset_is_rejected),
      MF_TEST_CASE(alias_shares_memory_and_shrinks_the_plan), MF_TEST_CASE(alias_chains_and_graph_inputs),
      MF_TEST_CASE(alias_refused_while_the_input_lives_on), MF_TEST_CASE(alias_refused_for_other_buffers),
      MF_TEST_CASE(random_graphs_are_correct_and_tight)};
  return MF_TEST_RUN("test_planner", cases);
}
