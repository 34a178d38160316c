/* The TFLite flatbuffer reader and verifier behind mf_model_map.
 *
 * Every read goes through the bounds-checked helpers below. mf_model_map
 * walks everything the runtime will later use (subgraph 0, its tensors and
 * operators, the opcodes, buffers and metadata) with one routine driven by a
 * table of field kinds, then checks what the fields mean (indices, shapes,
 * quantization, data flow), and rejects the model with a reason naming the
 * table, its index and the field. */
#include <stdarg.h>
#include <string.h>

#include "mf_core.h"
#include "mf_log.h"
#include "mf_types.h"

#define MF_MODEL_MAX_SIZE 0x7FFFFFFFu
#define BAD MF_FIELD_BAD

static uint32_t rd32(const mf_model *m, uint32_t at) { return mf_rd_u32(m->data + at); }

/* ---- bounds-checked flatbuffer access ---- */

uint32_t mf_fb_field(const mf_model *m, uint32_t table, uint32_t field, uint32_t width) {
  uint32_t n = (uint32_t)m->size;
  if (table < 8u || table > n - 4u) return BAD;
  uint32_t vt = table - rd32(m, table); /* soffset: vtable = table - soffset */
  if (vt > n - 4u) return BAD;
  uint32_t vsize = mf_rd_u16(m->data + vt), tsize = mf_rd_u16(m->data + vt + 2u);
  if (vsize > n - vt || tsize > n - table) return BAD;
  uint32_t slot = 4u + 2u * field;
  uint32_t at = slot + 2u <= vsize ? mf_rd_u16(m->data + vt + slot) : 0u;
  if (at == 0u) return 0;
  return at < 4u || at + width > tsize ? BAD : table + at;
}

/* 1 when `table` is a table in bounds (its vtable and its size). */
static int table_ok(const mf_model *m, uint32_t table) {
  return mf_fb_field(m, table, 0x7FFFu, 0) == 0u;
}

uint32_t mf_fb_u32(const mf_model *m, uint32_t table, uint32_t field, uint32_t dflt) {
  uint32_t at = mf_fb_field(m, table, field, 4);
  return at > BAD ? rd32(m, at) : dflt;
}

uint8_t mf_fb_u8(const mf_model *m, uint32_t table, uint32_t field, uint8_t dflt) {
  uint32_t at = mf_fb_field(m, table, field, 1);
  return at > BAD ? m->data[at] : dflt;
}

/* Follows the uoffset stored at `at` (4 bytes in bounds) to a 4-aligned
 * object start with 4 bytes in bounds. */
static uint32_t follow(const mf_model *m, uint32_t at) {
  uint32_t target = at + rd32(m, at);
  return target < at || (target & 3u) != 0u || target > (uint32_t)m->size - 4u ? BAD : target;
}

uint32_t mf_fb_ref(const mf_model *m, uint32_t table, uint32_t field) {
  uint32_t at = mf_fb_field(m, table, field, 4);
  return at > BAD ? follow(m, at) : at;
}

uint32_t mf_fb_vector(const mf_model *m, uint32_t table, uint32_t field, uint32_t elem,
                      uint32_t *len) {
  uint32_t vec = mf_fb_ref(m, table, field), count = 0;
  if (vec > BAD) {
    count = rd32(m, vec);
    if (count > ((uint32_t)m->size - vec - 4u) / elem) vec = BAD, count = 0;
  }
  *len = count;
  return vec;
}

uint32_t mf_fb_table_at(const mf_model *m, uint32_t vec, uint32_t i) {
  uint32_t t = follow(m, vec + 4u + 4u * i);
  return table_ok(m, t) ? t : 0u;
}

/* A string field (terminated, checked by the walk), NULL when absent. */
static const char *string_field(const mf_model *m, uint32_t table, uint32_t field) {
  uint32_t len, vec = mf_fb_vector(m, table, field, 1, &len);
  return vec > BAD ? (const char *)m->data + vec + 4u : NULL;
}

/* 1 when the recorded int32 vector `which` holds `value`. */
static int in_vector(const mf_model *m, uint32_t which, int32_t value) {
  for (uint32_t k = 0; k < m->len[which]; k++) {
    if (mf_fb_i32_at(m, m->vec[which], k) == value) return 1;
  }
  return 0;
}

/* ---- model facts used after mapping ---- */

const uint8_t *mf_model_buffer(const mf_model *m, uint32_t buffer, uint32_t *size) {
  uint32_t t = buffer < m->len[MF_VEC_BUFFERS] ? mf_fb_table_at(m, m->vec[MF_VEC_BUFFERS], buffer) : 0u;
  uint32_t at = mf_fb_field(m, t, MF_F_BUFFER_OFFSET, 8), offset = 0, high = 0, len;
  if (at > BAD) offset = rd32(m, at), high = rd32(m, at + 4u);
  if (offset > 1u || high != 0u) { /* offset/size form: the data follows the flatbuffer */
    at = mf_fb_field(m, t, MF_F_BUFFER_SIZE, 8);
    len = at > BAD ? rd32(m, at) : 0u;
    if (at > BAD) high |= rd32(m, at + 4u); /* both are 64-bit: their high words must be 0 */
    if (high != 0u || offset > m->size || len > m->size - offset) len = UINT32_MAX, offset = 0;
  } else {
    offset = 4u + mf_fb_vector(m, t, MF_F_BUFFER_DATA, 1, &len);
  }
  *size = len;
  return len != 0u && len != UINT32_MAX ? m->data + offset : NULL;
}

int32_t mf_model_op_code(const mf_model *m, uint32_t opcode, uint32_t *version,
                         const char **custom_name) {
  uint32_t t = mf_fb_table_at(m, m->vec[MF_VEC_OPCODES], opcode);
  int32_t deprecated = (int8_t)mf_fb_u8(m, t, MF_F_OPCODE_DEPRECATED, 0);
  int32_t code = (int32_t)mf_fb_u32(m, t, MF_F_OPCODE_BUILTIN, 0);
  *version = mf_fb_u32(m, t, MF_F_OPCODE_VERSION, 1);
  *custom_name = string_field(m, t, MF_F_OPCODE_CUSTOM);
  return deprecated > code ? deprecated : code;
}

void mf_model_tensor_load(const mf_model *m, uint32_t i, mf_tensor *tensor) {
  uint32_t t = mf_model_tensor(m, i), ndims, size;
  tensor->dims = (const int32_t *)(const void *)(m->data + 4u +
                                                 mf_fb_vector(m, t, MF_F_TENSOR_SHAPE, 4, &ndims));
  tensor->ndims = (uint8_t)ndims;
  tensor->dtype = mf_fb_u8(m, t, MF_F_TENSOR_TYPE, 0);
  tensor->data = (void *)(uintptr_t)mf_model_buffer(m, mf_fb_u32(m, t, MF_F_TENSOR_BUFFER, 0), &size);
  uint32_t flags = tensor->data != NULL ? MF_TENSOR_CONSTANT : 0u;
  if (mf_fb_u8(m, t, MF_F_TENSOR_VARIABLE, 0) != 0u) flags = MF_TENSOR_VARIABLE;
  if (in_vector(m, MF_VEC_INPUTS, (int32_t)i)) flags |= MF_TENSOR_INPUT;
  tensor->flags = (uint16_t)flags;
}

static uint32_t tensor_flags(const mf_model *m, int32_t i) {
  mf_tensor tensor;
  mf_model_tensor_load(m, (uint32_t)i, &tensor);
  return tensor.flags;
}

int mf_model_tensor_quant(const mf_model *m, uint32_t i, mf_quant *quant) {
  memset(quant, 0, sizeof *quant);
  uint32_t t = mf_model_tensor(m, i), q = mf_fb_ref(m, t, MF_F_TENSOR_QUANT);
  uint32_t scales, zero_points, ndims;
  uint32_t sv = mf_fb_vector(m, q, MF_F_QUANT_SCALE, 4, &scales);
  uint32_t zv = mf_fb_vector(m, q, MF_F_QUANT_ZERO_POINT, 8, &zero_points);
  if (scales != zero_points) return 0;
  if (scales == 0u) return 1;
  quant->channels = scales;
  quant->scales = (const float *)(const void *)(m->data + sv + 4u);
  quant->zero_points = m->data + zv + 4u;
  quant->scale = quant->scales[0];
  quant->zero_point = (int32_t)mf_rd_u32(quant->zero_points); /* the low word of the int64 */
  /* Converters copy the filter's axis into 1-D biases: that reads as axis 0. */
  mf_fb_vector(m, t, MF_F_TENSOR_SHAPE, 4, &ndims);
  if (scales > 1u && ndims != 1u) quant->axis = (int32_t)mf_fb_u32(m, q, MF_F_QUANT_DIMENSION, 0);
  return 1;
}

const char *mf_model_tensor_name(const mf_model *m, uint32_t i) {
  const char *name = string_field(m, mf_model_tensor(m, i), MF_F_TENSOR_NAME);
  return name != NULL ? name : "";
}

/* ---- verification ---- */

#define fail(m, ...) mf_error((m)->error, __VA_ARGS__)

/* Table types. Those stored in vectors come first, numbered as MF_VEC_*. */
enum { T_OPCODE, T_SUBGRAPH, T_TENSOR, T_OPERATOR, T_BUFFER, T_METADATA, T_MODEL, T_QUANT, T_EMPTY };
/* Field kinds. */
enum {
  K_U8, K_U32, K_U64, K_VEC1, K_VEC4, K_VEC8, K_STRING,
  K_INDEX,   /* u32 index below a count: sub 0 buffers, 1 opcodes */
  K_TENSORS, /* vector of tensor indices: sub bit 0 allows -1 (node inputs and outputs),
              * bit 1 names outputs; graph inputs and outputs are recorded */
  K_TABLE,   /* a table of type sub */
  K_TABLES,  /* a vector of tables of type sub, recorded */
  K_FIRST    /* the same, but only element 0 is of type sub (the others: any table) */
};
/* One schema entry: field number | kind << 4 | sub << 8. */
#define F(field, kind, sub) ((field) | (kind) << 4 | (sub) << 8)

static const uint8_t widths[] = {1, 4, 8, 1, 4, 8, 1, 4, 4, 4, 4, 4};
/* Per table type, the fields in the order they are checked: what an index
 * is checked against comes before it. */
static const uint16_t schema[] = {
    /* opcode */ F(0, K_U8, 0), F(1, K_STRING, 0), F(2, K_U32, 0), F(3, K_U32, 0),
    /* subgraph */ F(0, K_TABLES, T_TENSOR), F(1, K_TENSORS, 0), F(2, K_TENSORS, 2),
    F(3, K_TABLES, T_OPERATOR), F(4, K_STRING, 0),
    /* tensor */ F(0, K_VEC4, 0), F(1, K_U8, 0), F(2, K_INDEX, 0), F(3, K_STRING, 0),
    F(4, K_TABLE, T_QUANT), F(5, K_U8, 0), F(6, K_TABLE, T_EMPTY), F(7, K_VEC4, 0), F(8, K_U8, 0),
    /* operator */ F(0, K_INDEX, 1), F(1, K_TENSORS, 1), F(2, K_TENSORS, 3), F(3, K_U8, 0),
    F(4, K_TABLE, T_EMPTY), F(5, K_VEC1, 0), F(6, K_U8, 0), F(7, K_VEC1, 0), F(8, K_VEC4, 0),
    F(9, K_U64, 0), F(10, K_U64, 0), F(11, K_U8, 0), F(12, K_TABLE, T_EMPTY),
    /* buffer */ F(0, K_VEC1, 0), F(1, K_U64, 0), F(2, K_U64, 0),
    /* metadata */ F(0, K_STRING, 0), F(1, K_INDEX, 0),
    /* model */ F(4, K_TABLES, T_BUFFER), F(1, K_TABLES, T_OPCODE), F(2, K_FIRST, T_SUBGRAPH),
    F(6, K_TABLES, T_METADATA), F(0, K_U32, 0), F(3, K_STRING, 0), F(5, K_VEC4, 0),
    /* quantization */ F(0, K_VEC4, 0), F(1, K_VEC4, 0), F(2, K_VEC4, 0), F(3, K_VEC8, 0),
    F(4, K_U8, 0), F(5, K_TABLE, T_EMPTY), F(6, K_U32, 0)};
/* Where each type's fields start in `schema` (the next entry ends them). */
static const uint8_t schema_at[] = {0, 4, 9, 18, 31, 34, 36, 43, 50, 50};
static const char *const type_names[] = {"opcode", "subgraph", "tensor", "node", "buffer",
                                         "metadata", "model", "quantization", "table"};
static const char *const index_names[] = {"buffer", "opcode", "input", "output"};

static mf_status check_table(mf_model *m, uint32_t t, uint32_t type, uint32_t i);

/* Walks table `t` of `type` (element `i` of its vector): every field in
 * bounds, strings terminated, indices in range, nested tables sound; then
 * the checks of check_table. */
static mf_status walk(mf_model *m, uint32_t t, uint32_t type, uint32_t i) {
  const char *name = type_names[type];
  (void)name, (void)index_names; /* unused when texts are stripped */
  if (!table_ok(m, t)) return fail(m, E_TABLE, name, i);
  for (uint32_t e = schema_at[type]; e < schema_at[type + 1u]; e++) {
    uint32_t f = schema[e] & 15u, kind = schema[e] >> 4 & 15u, sub = schema[e] >> 8;
    uint32_t pos, len = 0;
    mf_status s = MF_OK;
    if (kind <= K_U64 || kind == K_INDEX) {
      pos = mf_fb_field(m, t, f, widths[kind]);
      uint32_t limit = m->len[sub != 0u ? MF_VEC_OPCODES : MF_VEC_BUFFERS];
      if (kind == K_INDEX && pos > BAD && rd32(m, pos) >= limit)
        return fail(m, E_INDEX, name, i, index_names[sub], rd32(m, pos));
    } else if (kind == K_TABLE) {
      pos = mf_fb_ref(m, t, f);
      if (pos > BAD) s = walk(m, pos, sub, i);
    } else {
      pos = mf_fb_vector(m, t, f, widths[kind], &len);
      if (kind == K_STRING && pos > BAD && (len >= m->size - pos - 4u || m->data[pos + 4u + len] != 0u))
        pos = BAD;
      if (kind >= K_TABLES && len > MF_MAX_COUNT)
        return fail(m, E_COUNT, name, i, len);
      if (kind >= K_TABLES || (kind == K_TENSORS && (sub & 1u) == 0u)) {
        uint32_t slot = kind == K_TENSORS ? MF_VEC_INPUTS + (sub >> 1) : sub;
        m->vec[slot] = pos;
        m->len[slot] = len;
      }
      for (uint32_t k = 0; s == MF_OK && k < len && kind >= K_TENSORS; k++) {
        int32_t value = mf_fb_i32_at(m, pos, k);
        if (kind >= K_TABLES) {
          s = walk(m, follow(m, pos + 4u + 4u * k), kind == K_FIRST && k > 0u ? T_EMPTY : sub, k);
        } else if (value >= (int32_t)m->len[MF_VEC_TENSORS] || value < -(int32_t)(sub & 1u)) {
          return fail(m, E_TENSOR_INDEX, name, i,
                      index_names[2u + (sub >> 1)], k, value);
        } else if (sub == 0u && (tensor_flags(m, value) & MF_TENSOR_CONSTANT) != 0u) {
          return fail(m, E_INPUT_CONSTANT, k, value);
        }
      }
    }
    if (s != MF_OK) return s;
    if (pos == BAD) return fail(m, E_FIELD, name, i, f);
  }
  return check_table(m, t, type, i);
}

/* The first node writing `tensor`, as node << 16 | output slot; ~0 when none. */
static uint32_t first_writer(const mf_model *m, int32_t tensor) {
  for (uint32_t j = 0; j < m->len[MF_VEC_OPERATORS]; j++) {
    uint32_t op = mf_fb_table_at(m, m->vec[MF_VEC_OPERATORS], j), count;
    uint32_t vec = mf_fb_vector(m, op, MF_F_OP_OUTPUTS, 4, &count);
    for (uint32_t k = 0; k < count; k++) {
      if (mf_fb_i32_at(m, vec, k) == tensor) return j << 16 | k;
    }
  }
  return ~0u;
}

static mf_status check_tensor(mf_model *m, uint32_t t, uint32_t i) {
  (void)i; /* unused when texts are stripped */
  uint32_t ndims, size, buffer = mf_fb_u32(m, t, MF_F_TENSOR_BUFFER, 0);
  const int32_t *dims = (const int32_t *)(const void *)(m->data + 4u +
                                                         mf_fb_vector(m, t, MF_F_TENSOR_SHAPE, 4, &ndims));
  uint8_t dtype = mf_fb_u8(m, t, MF_F_TENSOR_TYPE, 0);
  uint32_t elem = (uint32_t)mf_dtype_size((mf_dtype)dtype), bytes = mf_shape_bytes(dims, ndims, elem);
  if (elem == 0u) return fail(m, E_DTYPE, i, mf_dtype_name((mf_dtype)dtype), dtype);
  if (bytes == MF_BAD_SHAPE) return fail(m, E_SHAPE, i);
  if (mf_fb_field(m, t, MF_F_TENSOR_SPARSITY, 4) != 0u) return fail(m, E_SPARSITY, i);
  const uint8_t *data = mf_model_buffer(m, buffer, &size);
  if (size == UINT32_MAX) return fail(m, E_BUFFER_BOUNDS, buffer);
  if (data != NULL && size != bytes)
    return fail(m, E_BUFFER_SIZE, i, buffer, size, bytes);
  if (((uintptr_t)data & ((elem > 8u ? 8u : elem) - 1u)) != 0u)
    return fail(m, E_BUFFER_ALIGN, i, mf_dtype_name((mf_dtype)dtype));
  mf_quant q;
  if (!mf_model_tensor_quant(m, i, &q)) return fail(m, E_ZERO_POINTS, i);
  uint32_t axis = (uint32_t)q.axis;
  if (q.channels > 1u && (axis >= ndims || (uint32_t)dims[axis] != q.channels))
    return fail(m, E_SCALES, i, q.channels, axis);
  return MF_OK;
}

/* Every node input is a constant, a variable, a graph input or the output
 * of an earlier node; every output is written by this node alone. */
static mf_status check_operator(mf_model *m, uint32_t t, uint32_t i) {
  for (uint32_t io = 0; io < 2u; io++) {
    uint32_t count, vec = mf_fb_vector(m, t, MF_F_OP_INPUTS + io, 4, &count);
    for (uint32_t k = 0; k < count; k++) {
      int32_t tensor = mf_fb_i32_at(m, vec, k);
      if (tensor < 0) continue;
      uint32_t flags = tensor_flags(m, tensor), writer = first_writer(m, tensor);
      int bad = io == 0u ? (flags & (MF_TENSOR_CONSTANT | MF_TENSOR_VARIABLE | MF_TENSOR_INPUT)) == 0u &&
                               writer >> 16 >= i
                         : (flags & (MF_TENSOR_CONSTANT | MF_TENSOR_INPUT)) != 0u || writer != (i << 16 | k);
      if (bad) return fail(m, E_READ_EARLY + io, i, k, tensor); /* or E_WRITE_TWICE */
    }
  }
  return MF_OK;
}

/* OfflineMemoryAllocation: version, subgraph, tensor count, one offset per tensor. */
static mf_status check_metadata(mf_model *m, uint32_t t, uint32_t i) {
  (void)i;
  const char *name = string_field(m, t, MF_F_METADATA_NAME);
  if (name == NULL || strcmp(name, "OfflineMemoryAllocation") != 0) return MF_OK;
  uint32_t size, tensors = m->len[MF_VEC_TENSORS];
  const uint8_t *plan = mf_model_buffer(m, mf_fb_u32(m, t, MF_F_METADATA_BUFFER, 0), &size);
  /* Offsets below 0 plan the tensor online. */
  if (plan == NULL || size != 12u + 4u * tensors || mf_rd_u32(plan + 8) != tensors)
    return fail(m, E_OFFLINE_PLAN, i);
  if (mf_rd_u32(plan + 4) == 0u) m->offline_plan = (uint32_t)(plan - m->data) + 12u;
  return MF_OK;
}

/* What the fields of a structurally sound table mean. */
static mf_status check_table(mf_model *m, uint32_t t, uint32_t type, uint32_t i) {
  if (type == T_MODEL) {
    m->version = mf_fb_u32(m, t, MF_F_MODEL_VERSION, 0);
    if (m->version != 3u) return fail(m, E_VERSION, m->version);
    if (m->len[MF_VEC_SUBGRAPHS] == 0u) return fail(m, E_NO_SUBGRAPH);
  } else if (type == T_OPCODE) {
    uint32_t version;
    const char *custom;
    int32_t code = mf_model_op_code(m, i, &version, &custom);
    if (code < 0 || (int32_t)version < 1 || (code == MF_CUSTOM_OP && custom == NULL))
      return fail(m, E_OPCODE, i, code, (int32_t)version);
  } else if (type == T_TENSOR) {
    return check_tensor(m, t, i);
  } else if (type == T_OPERATOR) {
    return check_operator(m, t, i);
  } else if (type == T_METADATA) {
    return check_metadata(m, t, i);
  }
  return MF_OK;
}

static mf_status verify(mf_model *m) {
  if (memcmp(m->data + 4, "TFL3", 4) != 0) return fail(m, E_IDENTIFIER);
  return walk(m, follow(m, 0), T_MODEL, 0);
}

mf_status mf_model_map(mf_model *model, const void *data, size_t size) {
  if (model == NULL) return MF_ERR_INVALID_ARG;
  memset(model, 0, sizeof *model);
  mf_status s;
  if (data == NULL) {
    s = fail(model, E_MODEL_NULL);
  } else if (((uintptr_t)data & 3u) != 0u) {
    return fail(model, E_MODEL_ALIGN);
  } else if (size < 16u || size > MF_MODEL_MAX_SIZE) {
    s = fail(model, E_MODEL_SIZE, (uint32_t)(size > MF_MODEL_MAX_SIZE ? MF_MODEL_MAX_SIZE : size));
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
