/* The TFLite flatbuffer reader and verifier behind mf_model_map.
 *
 * Every read goes through the bounds-checked helpers below. mf_model_map
 * walks everything the runtime will later use (subgraph 0, its tensors and
 * operators, the opcodes, buffers and metadata) and rejects the model with a
 * reason naming the field and index. */
#include <stdarg.h>
#include <string.h>

#include "mf_core.h"
#include "mf_log.h"
#include "mf_types.h"

#define MF_MODEL_MAX_SIZE 0x7FFFFFFFu
#define MF_NO_NODE 0xFFFFFFFFu

/* ---- bounds-checked flatbuffer access ---- */

static int table_ok(const mf_model *m, uint32_t t, uint32_t *vtable, uint32_t *tsize) {
  uint32_t n = (uint32_t)m->size;
  if (t < 8u || (t & 3u) != 0u || t > n - 4u) return 0;
  uint32_t vt = t - mf_rd_u32(m->data + t); /* soffset: vtable = table - soffset */
  if (vt > n - 4u || (vt & 1u) != 0u) return 0;
  uint32_t vsize = mf_rd_u16(m->data + vt);
  uint32_t size = mf_rd_u16(m->data + vt + 2u);
  if (vsize < 4u || (vsize & 1u) != 0u || vsize > n - vt || size < 4u || size > n - t) return 0;
  *vtable = vt;
  *tsize = size;
  return 1;
}

uint32_t mf_fb_field(const mf_model *m, uint32_t table, uint32_t field, uint32_t width) {
  uint32_t vt, size;
  if (!table_ok(m, table, &vt, &size)) return MF_FIELD_BAD;
  uint32_t slot = 4u + 2u * field;
  if (slot + 2u > mf_rd_u16(m->data + vt)) return 0;
  uint32_t at = mf_rd_u16(m->data + vt + slot);
  if (at == 0u) return 0;
  if (at < 4u || at + width > size) return MF_FIELD_BAD;
  return table + at;
}

uint32_t mf_fb_u32(const mf_model *m, uint32_t table, uint32_t field, uint32_t dflt) {
  uint32_t at = mf_fb_field(m, table, field, 4);
  return at > MF_FIELD_BAD ? mf_rd_u32(m->data + at) : dflt;
}

uint8_t mf_fb_u8(const mf_model *m, uint32_t table, uint32_t field, uint8_t dflt) {
  uint32_t at = mf_fb_field(m, table, field, 1);
  return at > MF_FIELD_BAD ? m->data[at] : dflt;
}

/* Follows the uoffset stored at `at` to a 4-aligned object start. */
static uint32_t follow(const mf_model *m, uint32_t at) {
  uint32_t n = (uint32_t)m->size;
  uint32_t delta = mf_rd_u32(m->data + at);
  if (delta > n - at) return MF_FIELD_BAD;
  uint32_t target = at + delta;
  if (target < 8u || (target & 3u) != 0u || target > n - 4u) return MF_FIELD_BAD;
  return target;
}

uint32_t mf_fb_ref(const mf_model *m, uint32_t table, uint32_t field) {
  uint32_t at = mf_fb_field(m, table, field, 4);
  return at > MF_FIELD_BAD ? follow(m, at) : at;
}

static uint32_t vector_len(const mf_model *m, uint32_t vec, uint32_t elem, uint32_t *len) {
  uint32_t count = mf_rd_u32(m->data + vec);
  if (count > ((uint32_t)m->size - vec - 4u) / elem) return MF_FIELD_BAD;
  *len = count;
  return vec;
}

uint32_t mf_fb_vector(const mf_model *m, uint32_t table, uint32_t field, uint32_t elem,
                      uint32_t *len) {
  *len = 0;
  uint32_t vec = mf_fb_ref(m, table, field);
  return vec > MF_FIELD_BAD ? vector_len(m, vec, elem, len) : vec;
}

uint32_t mf_fb_table_at(const mf_model *m, uint32_t vec, uint32_t i) {
  uint32_t t = follow(m, vec + 4u + 4u * i);
  uint32_t vt, size;
  return (t > MF_FIELD_BAD && table_ok(m, t, &vt, &size)) ? t : 0u;
}

/* A string field (verified by the walk), NULL when absent. */
static const char *string_field(const mf_model *m, uint32_t table, uint32_t field) {
  uint32_t len;
  uint32_t vec = mf_fb_vector(m, table, field, 1, &len);
  return vec > MF_FIELD_BAD ? (const char *)m->data + vec + 4u : NULL;
}

/* ---- model facts used after mapping ---- */

/* Data of a buffer in either form; *size is UINT32_MAX when the
 * offset/size form points outside the model. */
static const uint8_t *buffer_data(const mf_model *m, uint32_t buffer, uint32_t *size) {
  uint32_t t = buffer < m->buffer_count ? mf_fb_table_at(m, m->buffers, buffer) : 0u;
  uint32_t at = mf_fb_field(m, t, MF_F_BUFFER_OFFSET, 8), len = 0, offset = 0, high = 0;
  const uint8_t *data = NULL;
  if (at > MF_FIELD_BAD) offset = mf_rd_u32(m->data + at), high = mf_rd_u32(m->data + at + 4u);
  if (offset > 1u || high != 0u) {
    at = mf_fb_field(m, t, MF_F_BUFFER_SIZE, 8);
    if (at > MF_FIELD_BAD) len = mf_rd_u32(m->data + at), high |= mf_rd_u32(m->data + at + 4u);
    if (high != 0u || offset > m->size || len > m->size - offset) len = UINT32_MAX;
    else data = m->data + offset;
  } else {
    at = mf_fb_vector(m, t, MF_F_BUFFER_DATA, 1, &len);
    data = m->data + at + 4u;
  }
  *size = len;
  return len != 0u && len != UINT32_MAX ? data : NULL;
}

const uint8_t *mf_model_buffer(const mf_model *m, uint32_t buffer, size_t *size) {
  uint32_t len;
  const uint8_t *data = buffer_data(m, buffer, &len);
  *size = data != NULL ? len : 0u;
  return data;
}

int32_t mf_model_op_code(const mf_model *m, uint32_t opcode, uint32_t *version,
                         const char **custom_name) {
  uint32_t t = mf_fb_table_at(m, m->opcodes, opcode);
  int32_t deprecated = (int8_t)mf_fb_u8(m, t, MF_F_OPCODE_DEPRECATED, 0);
  int32_t code = (int32_t)mf_fb_u32(m, t, MF_F_OPCODE_BUILTIN, 0);
  if (version != NULL) *version = mf_fb_u32(m, t, MF_F_OPCODE_VERSION, 1);
  if (custom_name != NULL) *custom_name = string_field(m, t, MF_F_OPCODE_CUSTOM);
  return deprecated > code ? deprecated : code;
}

void mf_model_tensor_quant(const mf_model *m, uint32_t i, mf_quant *quant) {
  memset(quant, 0, sizeof *quant);
  uint32_t t = mf_model_tensor(m, i), q = mf_fb_ref(m, t, MF_F_TENSOR_QUANT);
  uint32_t scales, zero_points, ndims;
  uint32_t sv = mf_fb_vector(m, q, MF_F_QUANT_SCALE, 4, &scales);
  uint32_t zv = mf_fb_vector(m, q, MF_F_QUANT_ZERO_POINT, 8, &zero_points);
  if (scales == 0u || scales != zero_points) return;
  quant->channels = scales;
  quant->scales = (const float *)(const void *)(m->data + sv + 4u);
  quant->zero_points = m->data + zv + 4u;
  memcpy(&quant->scale, quant->scales, sizeof quant->scale);
  quant->zero_point = mf_quant_zero_point(quant, 0);
  uint32_t axis = mf_fb_u32(m, q, MF_F_QUANT_DIMENSION, 0);
  mf_fb_vector(m, t, MF_F_TENSOR_SHAPE, 4, &ndims);
  quant->axis = scales > 1u && axis < ndims ? (int32_t)axis : 0;
}

const char *mf_model_tensor_name(const mf_model *m, uint32_t i) {
  const char *name = string_field(m, mf_model_tensor(m, i), MF_F_TENSOR_NAME);
  return name != NULL ? name : "";
}

/* ---- verification ---- */

static mf_status(fail)(mf_model *m, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  mf_vformat(m->error, sizeof m->error, fmt != NULL ? fmt : "MF_ERR_MODEL_INVALID", args);
  va_end(args);
  return MF_ERR_MODEL_INVALID;
}
#ifdef MF_STRIP_LOGS /* texts dropped at compile time: see mf_core.h */
#define fail(m, ...) (fail)((m), NULL)
#endif

/* The structural schema: per table type, one byte per field (kind | sub << 4). */
enum { K_SKIP, K_U8, K_U32, K_U64, K_VEC1, K_VEC4, K_VEC8, K_STRING, K_TABLE, K_TABLES, K_FIRST };
enum { T_EMPTY, T_MODEL, T_OPCODE, T_SUBGRAPH, T_TENSOR, T_QUANT, T_OPERATOR, T_BUFFER, T_METADATA };
#define SUB(kind, type) ((kind) | (type) << 4)
#define BAD_TABLE 0x100u

static const uint8_t widths[] = {0, 1, 4, 8, 1, 4, 8, 1, 4, 4, 4};
static const uint8_t schema[] = {
    /* model */ K_U32, SUB(K_TABLES, T_OPCODE), SUB(K_FIRST, T_SUBGRAPH), K_STRING,
    SUB(K_TABLES, T_BUFFER), K_VEC4, SUB(K_TABLES, T_METADATA),
    /* opcode */ K_U8, K_STRING, K_U32, K_U32,
    /* subgraph */ SUB(K_TABLES, T_TENSOR), K_VEC4, K_VEC4, SUB(K_TABLES, T_OPERATOR), K_STRING,
    /* tensor */ K_VEC4, K_U8, K_U32, K_STRING, SUB(K_TABLE, T_QUANT), K_U8, SUB(K_TABLE, T_EMPTY),
    K_VEC4, K_U8,
    /* quantization */ K_VEC4, K_VEC4, K_VEC4, K_VEC8, K_U8, SUB(K_TABLE, T_EMPTY), K_U32,
    /* operator */ K_U32, K_VEC4, K_VEC4, K_U8, SUB(K_TABLE, T_EMPTY), K_VEC1, K_U8, K_VEC1, K_VEC4,
    K_U64, K_U64, K_U8, SUB(K_TABLE, T_EMPTY),
    /* buffer */ K_VEC1, K_U64, K_U64,
    /* metadata */ K_STRING, K_U32};
/* Where each type's fields start in `schema` (the next entry ends them). */
static const uint8_t schema_at[] = {0, 0, 7, 11, 16, 25, 32, 45, 48, 50};
static const char *const type_names[] = {"table", "model", "opcode", "subgraph", "tensor",
                                         "quantization", "node", "buffer", "metadata"};

/* 0 when the table at `t` is sound, else 1 + the failing field (BAD_TABLE
 * for the table itself). Failures inside vector elements are described in
 * m->error (the innermost wins). */
static uint32_t walk(mf_model *m, uint32_t t, uint32_t type) {
  (void)type_names;
  uint32_t vt, size;
  if (!table_ok(m, t, &vt, &size)) return BAD_TABLE;
  for (uint32_t f = 0; f < (uint32_t)(schema_at[type + 1u] - schema_at[type]); f++) {
    uint32_t kind = schema[schema_at[type] + f] & 15u, sub = schema[schema_at[type] + f] >> 4;
    uint32_t pos, len = 0;
    if (kind == K_SKIP) continue;
    if (kind <= K_U64) {
      pos = mf_fb_field(m, t, f, widths[kind]);
    } else if (kind == K_TABLE) {
      pos = mf_fb_ref(m, t, f);
      if (pos > MF_FIELD_BAD && walk(m, pos, sub) != 0u) pos = MF_FIELD_BAD;
    } else {
      pos = mf_fb_vector(m, t, f, widths[kind], &len);
      if (kind == K_STRING && pos > MF_FIELD_BAD && (pos + 4u + len >= m->size || m->data[pos + 4u + len] != 0u))
        pos = MF_FIELD_BAD;
      if (kind >= K_TABLES && pos > MF_FIELD_BAD) {
        if (len > MF_MAX_COUNT) {
          fail(m, "%s: %u entries, at most %u supported", type_names[sub], len, MF_MAX_COUNT);
          return f + 1u;
        }
        for (uint32_t i = 0; i < len; i++) {
          uint32_t e = follow(m, pos + 4u + 4u * i);
          uint32_t r = e > MF_FIELD_BAD ? walk(m, e, kind == K_FIRST && i > 0u ? T_EMPTY : sub) : BAD_TABLE;
          if (r == 0u) continue;
          if (m->error[0] == '\0') {
            if (r == BAD_TABLE) fail(m, "%s %u: table out of bounds", type_names[sub], i);
            else fail(m, "%s %u: field %u out of bounds", type_names[sub], i, r - 1u);
          }
          return f + 1u;
        }
      }
    }
    if (pos == MF_FIELD_BAD) return f + 1u;
  }
  return 0;
}

static mf_status verify_tensor(mf_model *m, uint32_t i) {
  uint32_t t = mf_model_tensor(m, i), ndims, bytes, size;
  const int32_t *dims = (const int32_t *)(const void *)(m->data + 4u +
                                                         mf_fb_vector(m, t, MF_F_TENSOR_SHAPE, 4, &ndims));
  if (ndims > MF_MAX_DIMS) return fail(m, "tensor %u: rank %u (max %u)", i, ndims, MF_MAX_DIMS);
  uint8_t dtype = mf_fb_u8(m, t, MF_F_TENSOR_TYPE, 0);
  uint32_t elem = bytes = (uint32_t)mf_dtype_size((mf_dtype)dtype);
  if (elem == 0u) return fail(m, "tensor %u: dtype %s (%u) not supported", i, mf_dtype_name((mf_dtype)dtype), dtype);
  for (uint32_t d = 0; d < ndims; d++) {
    if (dims[d] < 0) return fail(m, "tensor %u: shape dim %u is %d", i, d, dims[d]);
    if (dims[d] != 0 && bytes > MF_MAX_TENSOR_BYTES / (uint32_t)dims[d]) return fail(m, "tensor %u: shape is too large", i);
    bytes *= (uint32_t)dims[d];
  }
  uint32_t buffer = mf_fb_u32(m, t, MF_F_TENSOR_BUFFER, 0);
  if (buffer >= m->buffer_count) return fail(m, "tensor %u: buffer %u out of range (%u buffers)", i, buffer, m->buffer_count);
  if (mf_fb_ref(m, t, MF_F_TENSOR_SPARSITY) != 0u) return fail(m, "tensor %u: sparsity not supported", i);
  const uint8_t *data = buffer_data(m, buffer, &size);
  if (data != NULL && size != bytes)
    return fail(m, "tensor %u: buffer %u holds %u bytes, shape needs %u", i, buffer, size, bytes);
  if (((uintptr_t)data & ((elem > 8u ? 8u : elem) - 1u)) != 0u)
    return fail(m, "tensor %u: data misaligned for %s", i, mf_dtype_name((mf_dtype)dtype));
  uint32_t q = mf_fb_ref(m, t, MF_F_TENSOR_QUANT), scales, zero_points;
  mf_fb_vector(m, q, MF_F_QUANT_SCALE, 4, &scales);
  mf_fb_vector(m, q, MF_F_QUANT_ZERO_POINT, 8, &zero_points);
  if (scales != zero_points) return fail(m, "tensor %u: %u scales but %u zero points", i, scales, zero_points);
  uint32_t axis = mf_fb_u32(m, q, MF_F_QUANT_DIMENSION, 0);
  /* Converters copy the filter's axis into 1-D biases: that reads as axis 0. */
  if (ndims == 1u) axis = 0;
  if (scales > 1u && axis >= ndims) return fail(m, "tensor %u: quantized dim %d out of range", i, (int32_t)axis);
  if (scales > 1u && (uint32_t)dims[axis] != scales)
    return fail(m, "tensor %u: %u scales for %d channels", i, scales, dims[axis]);
  return MF_OK;
}

static int is_constant(const mf_model *m, int32_t tensor) {
  size_t size;
  return mf_model_buffer(m, mf_fb_u32(m, mf_model_tensor(m, (uint32_t)tensor), MF_F_TENSOR_BUFFER, 0), &size) != NULL;
}

static int in_vector(const mf_model *m, uint32_t vec, uint32_t count, int32_t tensor) {
  for (uint32_t k = 0; k < count; k++) {
    if (mf_fb_i32_at(m, vec, k) == tensor) return 1;
  }
  return 0;
}

/* Verifies an index vector (entries are tensors, or -1 when `optional`);
 * `what` names it in the error. */
static mf_status index_vector(mf_model *m, uint32_t table, uint32_t field, int optional,
                              uint32_t *vec, uint32_t *count, const char *what, uint32_t node) {
  (void)what; /* unused when texts are stripped */
  *vec = mf_fb_vector(m, table, field, 4, count);
  for (uint32_t k = 0; k < *count; k++) {
    int32_t index = mf_fb_i32_at(m, *vec, k);
    if (index >= (int32_t)m->tensor_count || index < -optional) {
      if (node == MF_NO_NODE) return fail(m, "%s %u: tensor %d out of range", what, k, index);
      return fail(m, "node %u: %s %u is tensor %d, out of range", node, what, k, index);
    }
  }
  return MF_OK;
}

/* 1 when a node before `before` writes `tensor`. */
static int written_before(const mf_model *m, uint32_t before, int32_t tensor) {
  for (uint32_t j = before; j-- > 0u;) {
    uint32_t count;
    uint32_t vec = mf_fb_vector(m, mf_fb_table_at(m, m->operators, j), MF_F_OP_OUTPUTS, 4, &count);
    if (in_vector(m, vec, count, tensor)) return 1;
  }
  return 0;
}

static mf_status verify_operator(mf_model *m, uint32_t i) {
  uint32_t t = mf_fb_table_at(m, m->operators, i), ins, in_count, outs, out_count;
  uint32_t opcode = mf_fb_u32(m, t, MF_F_OP_OPCODE, 0);
  if (opcode >= m->opcode_count)
    return fail(m, "node %u: opcode %u out of range (%u opcodes)", i, opcode, m->opcode_count);
  mf_status s = index_vector(m, t, MF_F_OP_INPUTS, 1, &ins, &in_count, "input", i);
  if (s == MF_OK) s = index_vector(m, t, MF_F_OP_OUTPUTS, 1, &outs, &out_count, "output", i);
  for (uint32_t k = 0; s == MF_OK && k < in_count; k++) {
    int32_t tensor = mf_fb_i32_at(m, ins, k);
    if (tensor >= 0 && !is_constant(m, tensor) &&
        mf_fb_u8(m, mf_model_tensor(m, (uint32_t)tensor), MF_F_TENSOR_VARIABLE, 0) == 0u &&
        !in_vector(m, m->inputs, m->input_count, tensor) && !written_before(m, i, tensor))
      return fail(m, "node %u: input %u (tensor %d) is read before it is written", i, k, tensor);
  }
  for (uint32_t k = 0; s == MF_OK && k < out_count; k++) {
    int32_t tensor = mf_fb_i32_at(m, outs, k);
    if (tensor >= 0 && (is_constant(m, tensor) || in_vector(m, m->inputs, m->input_count, tensor) ||
                        written_before(m, i, tensor) || in_vector(m, outs, k, tensor)))
      return fail(m, "node %u: output %u (tensor %d) is read-only or written twice", i, k, tensor);
  }
  return s;
}

/* OfflineMemoryAllocation: version, subgraph, tensor count, one offset per tensor. */
static mf_status verify_metadata(mf_model *m, uint32_t root) {
  uint32_t count;
  m->metadata = mf_fb_vector(m, root, MF_F_MODEL_METADATA, 4, &count);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t t = mf_fb_table_at(m, m->metadata, i), size;
    const char *name = string_field(m, t, MF_F_METADATA_NAME);
    uint32_t buffer = mf_fb_u32(m, t, MF_F_METADATA_BUFFER, 0);
    if (buffer >= m->buffer_count) return fail(m, "metadata %u: buffer %u out of range", i, buffer);
    if (name == NULL || strcmp(name, "OfflineMemoryAllocation") != 0) continue;
    const uint8_t *plan = buffer_data(m, buffer, &size);
    int bad = plan == NULL || ((uintptr_t)plan & 3u) != 0u || size < 12u ||
              mf_rd_u32(plan + 8) != m->tensor_count || size != 12u + 4u * m->tensor_count;
    for (uint32_t k = 0; !bad && k < m->tensor_count; k++) bad = (int32_t)mf_rd_u32(plan + 12u + 4u * k) < -1;
    if (bad) return fail(m, "metadata %u: bad OfflineMemoryAllocation", i);
    if (mf_rd_u32(plan + 4) == 0u) m->offline_plan = (uint32_t)(plan - m->data) + 12u;
  }
  return MF_OK;
}

static mf_status verify(mf_model *m) {
  if (memcmp(m->data + 4, "TFL3", 4) != 0) return fail(m, "file identifier is not TFL3");
  uint32_t root = mf_rd_u32(m->data), r = walk(m, root, T_MODEL), count, size;
  if (m->error[0] != '\0') return MF_ERR_MODEL_INVALID;
  if (r == BAD_TABLE) return fail(m, "root table out of bounds");
  if (r != 0u) return fail(m, "model: field %u out of bounds", r - 1u);
  m->version = mf_fb_u32(m, root, MF_F_MODEL_VERSION, 0);
  if (m->version != 3u) return fail(m, "schema version %u, expected 3", m->version);
  m->opcodes = mf_fb_vector(m, root, MF_F_MODEL_OPCODES, 4, &m->opcode_count);
  m->buffers = mf_fb_vector(m, root, MF_F_MODEL_BUFFERS, 4, &m->buffer_count);
  uint32_t g = mf_fb_vector(m, root, MF_F_MODEL_SUBGRAPHS, 4, &count);
  if (count == 0u) return fail(m, "model has no subgraph");
  g = m->subgraph = mf_fb_table_at(m, g, 0);
  m->tensors = mf_fb_vector(m, g, MF_F_SUBGRAPH_TENSORS, 4, &m->tensor_count);
  m->operators = mf_fb_vector(m, g, MF_F_SUBGRAPH_OPERATORS, 4, &m->operator_count);
  for (uint32_t i = 0; i < m->opcode_count; i++) {
    uint32_t version;
    const char *custom;
    int32_t code = mf_model_op_code(m, i, &version, &custom);
    if (code < 0 || (int32_t)version < 1 || (code == MF_CUSTOM_OP && custom == NULL))
      return fail(m, "opcode %u: code %d version %d is invalid", i, code, (int32_t)version);
  }
  for (uint32_t i = 0; i < m->buffer_count; i++) {
    buffer_data(m, i, &size);
    if (size == UINT32_MAX) return fail(m, "buffer %u: offset/size out of bounds", i);
  }
  mf_status s = MF_OK;
  for (uint32_t i = 0; s == MF_OK && i < m->tensor_count; i++) s = verify_tensor(m, i);
  if (s == MF_OK) s = index_vector(m, g, MF_F_SUBGRAPH_INPUTS, 0, &m->inputs, &m->input_count, "graph input", MF_NO_NODE);
  if (s == MF_OK) s = index_vector(m, g, MF_F_SUBGRAPH_OUTPUTS, 0, &m->outputs, &m->output_count, "graph output", MF_NO_NODE);
  for (uint32_t i = 0; s == MF_OK && i < m->input_count; i++) {
    int32_t tensor = mf_fb_i32_at(m, m->inputs, i);
    if (is_constant(m, tensor)) return fail(m, "graph input %u (tensor %d) is a constant", i, tensor);
  }
  for (uint32_t i = 0; s == MF_OK && i < m->operator_count; i++) s = verify_operator(m, i);
  return s == MF_OK ? verify_metadata(m, root) : s;
}

mf_status mf_model_map(mf_model *model, const void *data, size_t size) {
  if (model == NULL) return MF_ERR_INVALID_ARG;
  memset(model, 0, sizeof *model);
  mf_status s;
  if (data == NULL) {
    s = fail(model, "model data is NULL");
  } else if (((uintptr_t)data & 3u) != 0u) {
    fail(model, "model data must be 4-byte aligned");
    return MF_ERR_INVALID_ARG;
  } else if (size < 16u || size > MF_MODEL_MAX_SIZE) {
    s = fail(model, "model size %u is out of range", (uint32_t)(size > MF_MODEL_MAX_SIZE ? MF_MODEL_MAX_SIZE : size));
  } else {
    model->data = (const uint8_t *)data;
    model->size = size;
    s = verify(model);
  }
  if (s != MF_OK) {
    model->data = NULL;
    model->size = 0;
  }
  return s;
}

const char *mf_model_error(const mf_model *model) { return model != NULL ? model->error : "no model"; }
