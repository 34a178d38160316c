/* A front-to-back flatbuffer writer for test models: each table is written
 * after its vtable, children after their parents, and every offset field is
 * patched once its target is placed. */
#include "tm_model.h"

#include <string.h>

#include "mf_kernel.h"

#define TM_MAX_EXTERNAL 8

typedef struct tm_buf {
  uint8_t *p;
  size_t cap;
  uint32_t len;
} tm_buf;

static void put_bytes(tm_buf *b, uint32_t at, const void *src, uint32_t n) {
  if ((size_t)at + n <= b->cap) memcpy(b->p + at, src, n);
}

static void put32(tm_buf *b, uint32_t at, uint32_t v) { put_bytes(b, at, &v, 4); }

static void put16(tm_buf *b, uint32_t at, uint16_t v) { put_bytes(b, at, &v, 2); }

static uint32_t reserve(tm_buf *b, uint32_t n) {
  uint32_t at = b->len;
  for (uint32_t i = 0; i < n; i++) {
    if ((size_t)at + i < b->cap) b->p[at + i] = 0;
  }
  b->len += n;
  return at;
}

/* Pads so that position + lead is a multiple of align. */
static void pad(tm_buf *b, uint32_t align, uint32_t lead) {
  while ((b->len + lead) % align != 0u) reserve(b, 1);
}

/* Points the uoffset at `field` to `target` (which must follow it). */
static void link(tm_buf *b, uint32_t field, uint32_t target) { put32(b, field, target - field); }

/* A table with `n` fields of the given widths (0: absent); sets at[f] to
 * each present field's position and returns the table's position. */
static uint32_t table(tm_buf *b, uint32_t n, const uint8_t *widths, uint32_t *at) {
  uint32_t offsets[16], size = 4;
  for (uint32_t f = 0; f < n; f++) {
    offsets[f] = 0;
    if (widths[f] == 0u) continue;
    size = (size + widths[f] - 1u) / widths[f] * widths[f];
    offsets[f] = size;
    size += widths[f];
  }
  size = (size + 3u) & ~3u;
  uint32_t vsize = 4u + 2u * n;
  pad(b, 2, 0);
  uint32_t vt = reserve(b, vsize);
  put16(b, vt, (uint16_t)vsize);
  put16(b, vt + 2u, (uint16_t)size);
  for (uint32_t f = 0; f < n; f++) put16(b, vt + 4u + 2u * f, (uint16_t)offsets[f]);
  pad(b, 8, 0);
  uint32_t t = reserve(b, size);
  put32(b, t, t - vt);
  for (uint32_t f = 0; f < n; f++) at[f] = offsets[f] != 0u ? t + offsets[f] : 0u;
  return t;
}

/* A vector of `count` elements of `elem` bytes, data aligned to `align`. */
static uint32_t vector(tm_buf *b, const void *data, uint32_t count, uint32_t elem, uint32_t align) {
  pad(b, align < 4u ? 4u : align, 4);
  uint32_t at = reserve(b, 4u + count * elem);
  put32(b, at, count);
  if (data != NULL) put_bytes(b, at + 4u, data, count * elem);
  return at;
}

static uint32_t string(tm_buf *b, const char *s) {
  uint32_t n = (uint32_t)strlen(s);
  uint32_t at = vector(b, s, n, 1, 4);
  reserve(b, 1); /* NUL */
  return at;
}

static int same_opcode(const tm_op *a, const tm_op *b) {
  if (a->code != b->code || (a->version ? a->version : 1) != (b->version ? b->version : 1)) return 0;
  return a->code != MF_CUSTOM_OP || strcmp(a->custom, b->custom) == 0;
}

static int first_use(const tm_graph *g, uint32_t j) {
  for (uint32_t k = 0; k < j; k++) {
    if (same_opcode(&g->ops[k], &g->ops[j])) return 0;
  }
  return 1;
}

/* Index of an op's opcode among the distinct opcodes, in order of first use. */
static uint32_t opcode_index(const tm_graph *g, uint32_t op) {
  uint32_t index = 0;
  for (uint32_t j = 0; j < g->n_ops; j++) {
    if (!first_use(g, j)) continue;
    if (same_opcode(&g->ops[j], &g->ops[op])) return index;
    index++;
  }
  return index;
}

static void write_opcodes(tm_buf *b, const tm_graph *g, uint32_t field) {
  uint32_t count = 0;
  for (uint32_t j = 0; j < g->n_ops; j++) count += (uint32_t)first_use(g, j);
  uint32_t vec = vector(b, NULL, count, 4, 4), k = 0;
  link(b, field, vec);
  for (uint32_t j = 0; j < g->n_ops; j++) {
    if (!first_use(g, j)) continue;
    const tm_op *op = &g->ops[j];
    int custom = op->code == MF_CUSTOM_OP;
    uint8_t widths[] = {1, (uint8_t)(custom ? 4 : 0), 4, 4};
    uint32_t at[4];
    link(b, vec + 4u + 4u * k++, table(b, 4, widths, at));
    uint8_t deprecated = (uint8_t)(op->code < 127 ? op->code : 127);
    put_bytes(b, at[0], &deprecated, 1);
    put32(b, at[2], (uint32_t)(op->version ? op->version : 1));
    put32(b, at[3], (uint32_t)op->code);
    if (custom) link(b, at[1], string(b, op->custom));
  }
}

size_t tm_build(const tm_graph *g, uint8_t *buf, size_t cap) {
  tm_buf b = {buf, cap, 0};
  uint32_t header = reserve(&b, 8);
  put_bytes(&b, 4, "TFL3", 4);
  uint8_t model_widths[] = {4, 4, 4, 0, 4, 0, (uint8_t)(g->offline_offsets != NULL ? 4 : 0)};
  uint32_t model_at[7];
  link(&b, header, table(&b, 7, model_widths, model_at));
  put32(&b, model_at[0], 3);
  write_opcodes(&b, g, model_at[1]);

  /* subgraph */
  uint32_t subgraphs = vector(&b, NULL, 1, 4, 4);
  link(&b, model_at[2], subgraphs);
  static const uint8_t sub_widths[] = {4, 4, 4, 4};
  uint32_t sub_at[4];
  link(&b, subgraphs + 4u, table(&b, 4, sub_widths, sub_at));
  uint32_t tensors = vector(&b, NULL, g->n_tensors, 4, 4);
  link(&b, sub_at[0], tensors);
  uint32_t buffer_count = 1;
  for (uint32_t i = 0; i < g->n_tensors; i++) {
    const tm_tensor *t = &g->tensors[i];
    uint8_t widths[] = {4, 1, 4, 0, (uint8_t)(t->channels ? 4 : 0), (uint8_t)(t->variable ? 1 : 0)};
    uint32_t at[6];
    link(&b, tensors + 4u + 4u * i, table(&b, 6, widths, at));
    put_bytes(&b, at[1], &t->dtype, 1);
    put32(&b, at[2], t->data != NULL ? buffer_count++ : 0u);
    if (t->variable) put_bytes(&b, at[5], &t->variable, 1);
    link(&b, at[0], vector(&b, t->dims, t->ndims, 4, 4));
    if (t->channels == 0u) continue;
    static const uint8_t quant_widths[] = {0, 0, 4, 4, 0, 0, 4};
    uint32_t qat[7];
    link(&b, at[4], table(&b, 7, quant_widths, qat));
    put32(&b, qat[6], (uint32_t)t->axis);
    uint32_t scales = vector(&b, NULL, t->channels, 4, 4);
    link(&b, qat[2], scales);
    for (uint32_t c = 0; c < t->channels; c++) {
      float scale = t->scales != NULL ? t->scales[c] : 1.0f;
      put_bytes(&b, scales + 4u + 4u * c, &scale, 4);
    }
    uint32_t zps = vector(&b, NULL, t->channels, 8, 8);
    link(&b, qat[3], zps);
    for (uint32_t c = 0; c < t->channels; c++) {
      int64_t zp = t->zero_point;
      put_bytes(&b, zps + 4u + 8u * c, &zp, 8);
    }
  }
  link(&b, sub_at[1], vector(&b, g->inputs, g->n_inputs, 4, 4));
  link(&b, sub_at[2], vector(&b, g->outputs, g->n_outputs, 4, 4));
  uint32_t ops = vector(&b, NULL, g->n_ops, 4, 4);
  link(&b, sub_at[3], ops);
  for (uint32_t i = 0; i < g->n_ops; i++) {
    const tm_op *op = &g->ops[i];
    uint8_t widths[] = {4, 4, 4, (uint8_t)(op->options_type ? 1 : 0), (uint8_t)(op->options_type ? 4 : 0),
                        (uint8_t)(op->custom_options ? 4 : 0)};
    uint32_t at[6];
    link(&b, ops + 4u + 4u * i, table(&b, 6, widths, at));
    put32(&b, at[0], opcode_index(g, i));
    link(&b, at[1], vector(&b, op->in, op->n_in, 4, 4));
    link(&b, at[2], vector(&b, op->out, op->n_out, 4, 4));
    if (op->custom_options != NULL)
      link(&b, at[5], vector(&b, op->custom_options, op->custom_options_size, 1, 4));
    if (op->options_type == 0u) continue;
    put_bytes(&b, at[3], &op->options_type, 1);
    uint8_t option_widths[TM_MAX_OPTIONS] = {4, 4, 4, 4};
    uint32_t oat[TM_MAX_OPTIONS];
    link(&b, at[4], table(&b, op->n_options, option_widths, oat));
    for (uint32_t f = 0; f < op->n_options; f++) put32(&b, oat[f], (uint32_t)op->options[f]);
  }

  /* buffers: 0 is empty, then each constant, then the offline plan */
  uint32_t plan_buffer = g->offline_offsets != NULL ? buffer_count : 0u;
  uint32_t total_buffers = buffer_count + (g->offline_offsets != NULL);
  uint32_t buffers = vector(&b, NULL, total_buffers, 4, 4);
  link(&b, model_at[4], buffers);
  static const uint8_t buffer_widths[] = {4};
  uint32_t data_at;
  link(&b, buffers + 4u, table(&b, 0, buffer_widths, &data_at));
  static const uint8_t external_widths[] = {0, 8, 8};
  uint32_t k = 1, external_at[TM_MAX_EXTERNAL][3], externals = 0;
  for (uint32_t i = 0; i < g->n_tensors; i++) {
    const tm_tensor *t = &g->tensors[i];
    if (t->data == NULL) continue;
    if (g->external_buffers && externals < TM_MAX_EXTERNAL) {
      link(&b, buffers + 4u + 4u * k++, table(&b, 3, external_widths, external_at[externals]));
      external_at[externals++][0] = i;
      continue;
    }
    link(&b, buffers + 4u + 4u * k++, table(&b, 1, buffer_widths, &data_at));
    link(&b, data_at, vector(&b, t->data, t->data_size, 1, 16));
  }
  if (g->offline_offsets != NULL) {
    link(&b, buffers + 4u + 4u * k, table(&b, 1, buffer_widths, &data_at));
    uint32_t plan = vector(&b, NULL, 12u + 4u * g->n_tensors, 1, 16);
    link(&b, data_at, plan);
    put32(&b, plan + 4u, 1);
    put32(&b, plan + 8u, 0);
    put32(&b, plan + 12u, g->n_tensors);
    put_bytes(&b, plan + 16u, g->offline_offsets, 4u * g->n_tensors);
    uint32_t metadata = vector(&b, NULL, 1, 4, 4);
    link(&b, model_at[6], metadata);
    static const uint8_t meta_widths[] = {4, 4};
    uint32_t mat[2];
    link(&b, metadata + 4u, table(&b, 2, meta_widths, mat));
    put32(&b, mat[1], plan_buffer);
    link(&b, mat[0], string(&b, "OfflineMemoryAllocation"));
  }
  pad(&b, 16, 0);
  /* Buffer.offset/size form: the data follows the flatbuffer, 16-aligned. */
  for (uint32_t e = 0; e < externals; e++) {
    const tm_tensor *t = &g->tensors[external_at[e][0]];
    pad(&b, 16, 0);
    uint32_t at = reserve(&b, t->data_size);
    put_bytes(&b, at, t->data, t->data_size);
    put32(&b, external_at[e][1], at);
    put32(&b, external_at[e][2], t->data_size);
  }
  pad(&b, 16, 0);
  return b.len <= cap ? b.len : 0u;
}
