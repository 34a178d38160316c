/* The memory planner: places activations and per-node scratch in the head.
 *
 * Buffers are the tensors to plan (neither constant nor variable nor an
 * alias, used by some node or a graph input/output) followed by one scratch
 * buffer per node. A buffer lives from its first to its last use (graph
 * inputs from node 0, outputs to the end, scratch during its node); an alias
 * group (see mf_plan_alias) is one buffer, its root, living for the union of
 * its members' lifetimes. Buffers are placed largest first, each at the
 * lowest offset that conflicts with no placed buffer alive at the same time,
 * once with exact sizes and once as TFLM does (16-byte sizes and offsets);
 * the smaller plan wins. Offline offsets (OfflineMemoryAllocation) are
 * placed first and kept.
 *
 * No storage beyond the tensor and node tables: offsets live in the tensor's
 * data field and the node's scratch field (as numbers, UNPLACED before, until
 * the plan is done). Lifetimes are cached in the free head area when it is
 * large enough, else recomputed. */
#include "mf_core.h"

#define NO_LIFE 0xFFFFFFFFu
#define MAX_OFFSET 0x7FFFFFFFu
#define UNPLACED 0xFFFFFFFFu

typedef struct plan_buf {
  uint32_t size;   /* bytes the placement reserves */
  uint32_t bytes;  /* bytes the buffer needs */
  uint32_t align;
  uint32_t first;
  uint32_t last;
} plan_buf;

typedef struct planner {
  mf_interpreter *it;
  uint32_t *lives;  /* cached lifetimes (first << 16 | last), or NULL */
  const uint8_t *offline;
  uint32_t round;   /* sizes and offsets are multiples of it */
} planner;

/* The tensor whose buffer tensor k uses: the group root for an alias. */
static uint32_t root_of(const mf_interpreter *it, uint32_t k) {
  const mf_tensor *t = &it->tensors[k];
  return (t->flags & MF_TENSOR_ALIAS) != 0u ? (uint32_t)(uintptr_t)t->data : k;
}

/* 1 when the int32 vector at `vec` (0: none) holds `tensor` or an alias of it. */
static int uses(const mf_interpreter *it, uint32_t vec, uint32_t tensor) {
  const uint8_t *data = it->model->data;
  uint32_t count = vec != 0u ? mf_rd_u32(data + vec) : 0u;
  for (uint32_t k = 0; k < count; k++) {
    uint32_t x = mf_rd_u32(data + vec + 4u + 4u * k);
    if (x == tensor || (x < it->tensor_count && root_of(it, x) == tensor)) return 1;
  }
  return 0;
}

/* Lifetime of one tensor (with its aliases) by scanning the graph. */
static uint32_t scan_life(const mf_interpreter *it, uint32_t t) {
  const mf_model *m = it->model;
  uint32_t first = uses(it, m->vec[MF_VEC_INPUTS], t) ? 0u : NO_LIFE, last = 0;
  for (uint32_t j = 0; j < it->node_count; j++) {
    if (uses(it, it->nodes[j].io[0], t) || uses(it, it->nodes[j].io[1], t)) {
      if (first == NO_LIFE) first = j;
      last = j;
    }
  }
  if (uses(it, m->vec[MF_VEC_OUTPUTS], t)) {
    last = it->node_count > 0u ? it->node_count - 1u : 0u;
    if (first == NO_LIFE) first = last;
  }
  return first == NO_LIFE ? NO_LIFE : first << 16 | last;
}

void mf_plan_alias(mf_interpreter *it, uint32_t node, uint32_t input, uint32_t output) {
  const mf_tensor *in = &it->tensors[input], *out = &it->tensors[output];
  uint32_t root = root_of(it, input), outputs = it->model->vec[MF_VEC_OUTPUTS];
  if (it->model->offline_plan != 0u ||
      ((in->flags | out->flags) & (MF_TENSOR_CONSTANT | MF_TENSOR_VARIABLE)) != 0u ||
      uses(it, outputs, input) ||
      ((it->tensors[root].flags & MF_TENSOR_INPUT) != 0u && uses(it, outputs, output)) ||
      in->dtype != out->dtype || mf_tensor_bytes(in) != mf_tensor_bytes(out))
    return;
  for (uint32_t j = node + 1u; j < it->node_count; j++) {
    if (uses(it, it->nodes[j].io[0], input)) return;
  }
  it->tensors[output].flags |= MF_TENSOR_ALIAS;
  it->tensors[output].data = (void *)(uintptr_t)root;
}

/* Buffer k's size, alignment and lifetime; 0 when it is not planned. */
static int buffer(const planner *p, uint32_t k, plan_buf *b) {
  const mf_interpreter *it = p->it;
  if (k >= it->tensor_count) {
    uint32_t node = k - it->tensor_count;
    b->size = it->nodes[node].scratch_bytes;
    b->align = MF_ARENA_ALIGN;
    b->first = b->last = node;
    if (b->size == 0u) return 0;
  } else {
    const mf_tensor *t = &it->tensors[k];
    if ((t->flags & (MF_TENSOR_CONSTANT | MF_TENSOR_VARIABLE | MF_TENSOR_ALIAS)) != 0u) return 0;
    uint32_t life = p->lives != NULL ? p->lives[k] : scan_life(it, k);
    if (life == NO_LIFE) return 0;
    b->size = (uint32_t)mf_tensor_bytes(t);
    b->align = mf_dtype_align(t->dtype);
    b->first = life >> 16;
    b->last = life & 0xFFFFu;
  }
  b->bytes = b->size;
  if (p->round > b->align) b->align = p->round;
  b->size = (b->size + p->round - 1u) & ~(p->round - 1u);
  return 1;
}

/* Where buffer k's offset is kept while planning (its data pointer after). */
MF_NOINLINE static void **slot(const mf_interpreter *it, uint32_t k) {
  return k < it->tensor_count ? &it->tensors[k].data : &it->nodes[k - it->tensor_count].scratch;
}

static uint32_t get_offset(const mf_interpreter *it, uint32_t k) { return (uint32_t)(uintptr_t)*slot(it, k); }

MF_NOINLINE static void set_offset(mf_interpreter *it, uint32_t k, uint32_t offset) {
  *slot(it, k) = (void *)(uintptr_t)offset;
}

static int32_t offline_offset(const planner *p, uint32_t k) {
  if (p->offline == NULL || k >= p->it->tensor_count) return -1;
  return (int32_t)mf_rd_u32(p->offline + 4u * k);
}

/* Lowest aligned offset where `b` overlaps no placed buffer alive with it. */
static uint32_t lowest_fit(const planner *p, uint32_t self, const plan_buf *b, uint32_t total) {
  uint32_t offset = 0;
  for (int moved = b->size != 0u; moved;) {
    moved = 0;
    for (uint32_t k = 0; k < total; k++) {
      plan_buf other;
      uint32_t at = get_offset(p->it, k);
      if (k == self || at == UNPLACED) continue;
      if (!buffer(p, k, &other) || other.last < b->first || other.first > b->last) continue;
      if (at < offset + b->size && offset < at + other.size) {
        offset = (at + other.size + b->align - 1u) & ~(b->align - 1u);
        if (offset > MAX_OFFSET) return UNPLACED;
        moved = 1;
      }
    }
  }
  return offset;
}

/* Places every buffer, largest first (ties: the higher index first, as
 * TFLM), with sizes and offsets rounded to `round`; returns the head size
 * or UNPLACED. */
static uint32_t place_all(planner *p, uint32_t round, uint32_t total) {
  mf_interpreter *it = p->it;
  uint32_t head = 0;
  plan_buf b;
  p->round = round;
  for (uint32_t k = 0; k < total; k++) {
    int32_t fixed = offline_offset(p, k);
    if (!buffer(p, k, &b)) continue;
    set_offset(it, k, fixed >= 0 ? (uint32_t)fixed : UNPLACED);
    if (fixed >= 0 && (uint32_t)fixed + b.bytes > head) head = (uint32_t)fixed + b.bytes;
  }
  for (;;) {
    uint32_t best = UNPLACED, best_size = 0;
    for (uint32_t k = 0; k < total; k++) {
      if (get_offset(it, k) != UNPLACED || !buffer(p, k, &b) || b.size < best_size) continue;
      best = k;
      best_size = b.size;
    }
    if (best == UNPLACED) return head;
    buffer(p, best, &b);
    uint32_t offset = lowest_fit(p, best, &b, total);
    if (offset == UNPLACED) return UNPLACED;
    set_offset(it, best, offset);
    if (offset + b.bytes > head) head = offset + b.bytes;
  }
}

mf_status mf_plan(mf_interpreter *it) {
  planner p = {it, NULL, NULL, 1};
  uint32_t total = it->tensor_count + it->node_count;
  plan_buf b;
  if (it->model->offline_plan != 0u) p.offline = it->model->data + it->model->offline_plan;
  /* Cache lifetimes in the free head area when it fits. */
  size_t free_bytes = it->tail <= it->usable ? it->usable - it->tail : 0u;
  if (free_bytes / 4u >= it->tensor_count && it->tensor_count > 0u) {
    for (uint32_t k = 0; k < it->tensor_count; k++) ((uint32_t *)(void *)it->base)[k] = scan_life(it, k);
    p.lives = (uint32_t *)(void *)it->base;
  }
  for (uint32_t k = 0; k < it->tensor_count; k++) {
    int32_t fixed = offline_offset(&p, k);
    if (fixed >= 0 && buffer(&p, k, &b) &&
        (((uint32_t)fixed & (b.align - 1u)) != 0u || (uint32_t)fixed > MAX_OFFSET - b.size))
      return mf_interp_fail(it, E_OFFLINE_OFFSET, k, fixed);
  }
  /* Exact sizes, then TFLM's 16-byte rounding: the smaller plan wins. */
  uint32_t head = place_all(&p, 1, total), tflm = place_all(&p, 16, total);
  if (head > tflm) head = tflm;
  else head = place_all(&p, 1, total);
  if (head == UNPLACED) return mf_interp_fail(it, E_TOO_LARGE);
  it->head = head;
  /* Offsets become pointers (integer sums: the arena may be missing); then
   * aliases take their root's (and keep MF_TENSOR_ALIAS). */
  for (uint32_t k = 0; k < total; k++) {
    if (!buffer(&p, k, &b)) continue;
    *slot(it, k) = (void *)((uintptr_t)it->base + (uintptr_t)*slot(it, k));
    if (k < it->tensor_count) it->tensors[k].flags |= MF_TENSOR_PLANNED;
  }
  for (uint32_t k = 0; k < it->tensor_count; k++) {
    mf_tensor *t = &it->tensors[k];
    if ((t->flags & MF_TENSOR_ALIAS) == 0u) continue;
    t->data = it->tensors[root_of(it, k)].data;
    t->flags |= MF_TENSOR_PLANNED;
  }
  return MF_OK;
}
