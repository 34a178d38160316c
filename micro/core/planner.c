/* The memory planner: places activations and per-node scratch in the head.
 *
 * Buffers are the tensors to plan (neither constant nor variable, used by
 * some node or a graph input/output) followed by one scratch buffer per node.
 * A buffer lives from its first to its last use (graph inputs from node 0,
 * outputs to the end, scratch during its node). Each order below places
 * buffers one by one at the lowest offset that conflicts with no placed
 * buffer alive at the same time; the smallest result wins. Offline offsets
 * (OfflineMemoryAllocation) are placed first and kept.
 *
 * No storage beyond the tensor and node tables: offsets live in the tensor's
 * data field (as a number until the plan is done) and in the node. Lifetimes
 * are cached in the free head area when it is large enough, else recomputed. */
#include "mf_core.h"

#define NO_LIFE 0xFFFFFFFFu
#define MAX_OFFSET 0x7FFFFFFFu
#define UNPLACED 0xFFFFFFFFu
#define ORDER_COUNT 5u /* the last emulates TFLM: 16-byte sizes and offsets */

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
  uint32_t round;   /* 16 while emulating TFLM's plan, else 1 */
} planner;

static uint32_t uses(const mf_interpreter *it, uint32_t vec, uint32_t tensor) {
  if (vec == 0u) return 0;
  const uint8_t *data = it->model->data;
  uint32_t count = mf_rd_u32(data + vec);
  for (uint32_t k = 0; k < count; k++) {
    if (mf_rd_u32(data + vec + 4u + 4u * k) == tensor) return 1;
  }
  return 0;
}

static uint32_t end_node(const mf_interpreter *it) {
  return it->node_count > 0u ? it->node_count - 1u : 0u;
}

/* Lifetime of one tensor by scanning the graph. */
static uint32_t scan_life(const mf_interpreter *it, uint32_t t) {
  uint32_t flags = it->tensors[t].flags;
  uint32_t first = (flags & MF_TENSOR_INPUT) != 0u ? 0u : NO_LIFE, last = 0;
  for (uint32_t j = 0; j < it->node_count; j++) {
    if (uses(it, it->nodes[j].inputs, t) || uses(it, it->nodes[j].outputs, t)) {
      if (first == NO_LIFE) first = j;
      last = j;
    }
  }
  if ((flags & MF_TENSOR_OUTPUT) != 0u) {
    last = end_node(it);
    if (first == NO_LIFE) first = last;
  }
  return first == NO_LIFE ? NO_LIFE : first << 16 | last;
}

/* Buffer k's size, alignment and lifetime; 0 when it is not planned. */
static int buffer(const planner *p, uint32_t k, plan_buf *b) {
  const mf_interpreter *it = p->it;
  if (k >= it->tensor_count) {
    uint32_t node = k - it->tensor_count;
    b->size = it->nodes[node].scratch_bytes;
    b->align = MF_ARENA_ALIGN;
    b->first = b->last = node;
  } else {
    const mf_tensor *t = &it->tensors[k];
    if ((t->flags & (MF_TENSOR_CONSTANT | MF_TENSOR_VARIABLE)) != 0u) return 0;
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
  return k < it->tensor_count || b->bytes != 0u;
}

static uint32_t get_offset(const mf_interpreter *it, uint32_t k) {
  if (k >= it->tensor_count) return it->nodes[k - it->tensor_count].scratch_offset;
  const mf_tensor *t = &it->tensors[k];
  return (t->flags & MF_TENSOR_PLACED) != 0u ? (uint32_t)(uintptr_t)t->data : UNPLACED;
}

static void set_offset(mf_interpreter *it, uint32_t k, uint32_t offset) {
  if (k >= it->tensor_count) {
    it->nodes[k - it->tensor_count].scratch_offset = offset;
    return;
  }
  mf_tensor *t = &it->tensors[k];
  t->data = (void *)(uintptr_t)(offset == UNPLACED ? 0u : offset);
  t->flags = (uint16_t)((t->flags & ~MF_TENSOR_PLACED) | (offset == UNPLACED ? 0u : MF_TENSOR_PLACED));
}

static int32_t offline_offset(const planner *p, uint32_t k) {
  if (p->offline == NULL || k >= p->it->tensor_count) return -1;
  return (int32_t)mf_rd_u32(p->offline + 4u * k);
}

/* Larger key is placed first (ties: lower index first, except in TFLM's
 * own order, the last one, where the higher index wins). */
static uint64_t order_key(uint32_t order, const plan_buf *b) {
  uint64_t length = (uint64_t)(b->last - b->first) + 1u;
  switch (order) {
    case 1: return length << 32 | b->size;
    case 2: return (uint64_t)(0xFFFFu - b->first) << 32 | b->size;
    case 3: return (uint64_t)b->size * length;
    default: return b->size; /* 0 and 4: largest first */
  }
}

/* Lowest aligned offset where `b` overlaps no placed buffer alive with it. */
static uint32_t lowest_fit(const planner *p, uint32_t self, const plan_buf *b, uint32_t total) {
  uint32_t offset = 0, tensors = p->it->tensor_count;
  for (int moved = b->size != 0u; moved;) {
    moved = 0;
    for (uint32_t k = 0; k < total; k++) {
      plan_buf other;
      uint32_t at = get_offset(p->it, k);
      if (k == self || at == UNPLACED) continue;
      /* lifetimes first: they are cheaper than sizes */
      uint32_t life = k >= tensors ? (k - tensors) * 0x10001u : p->lives != NULL ? p->lives[k] : 0u;
      if (p->lives != NULL && ((life & 0xFFFFu) < b->first || (life >> 16) > b->last)) continue;
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

/* Places every buffer in `order`; returns the head size or UNPLACED. */
static uint32_t place_all(planner *p, uint32_t order, uint32_t total) {
  mf_interpreter *it = p->it;
  uint32_t head = 0;
  plan_buf b;
  p->round = order == ORDER_COUNT - 1u ? 16u : 1u;
  for (uint32_t k = 0; k < total; k++) {
    int32_t fixed = offline_offset(p, k);
    if (!buffer(p, k, &b)) continue;
    set_offset(it, k, UNPLACED);
    if (fixed >= 0) {
      set_offset(it, k, (uint32_t)fixed);
      if ((uint32_t)fixed + b.bytes > head) head = (uint32_t)fixed + b.bytes;
    }
  }
  for (;;) {
    uint32_t best = UNPLACED;
    uint64_t best_key = 0;
    for (uint32_t k = 0; k < total; k++) {
      if (get_offset(it, k) != UNPLACED || !buffer(p, k, &b)) continue;
      uint64_t key = order_key(order, &b);
      if (best == UNPLACED || key > best_key || (key == best_key && p->round > 1u))
        best = k, best_key = key;
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
  if (it->model->offline_plan != 0u) p.offline = it->model->data + it->model->offline_plan;
  for (uint32_t k = 0; k < it->tensor_count; k++) {
    plan_buf b;
    int32_t fixed = offline_offset(&p, k);
    it->tensors[k].flags &= (uint16_t)~MF_TENSOR_PLANNED;
    if (!buffer(&p, k, &b)) continue;
    it->tensors[k].flags |= MF_TENSOR_PLANNED;
    if (fixed >= 0 && (((uint32_t)fixed & (b.align - 1u)) != 0u || (uint32_t)fixed > MAX_OFFSET - b.size))
      return mf_interp_fail(it, MF_ERR_MODEL_INVALID, "tensor %u: offline offset %d is misaligned or too large", k, fixed);
  }
  /* Cache lifetimes in the free head area when it fits. */
  size_t free_bytes = it->tail <= it->usable ? it->usable - it->tail : 0u;
  if (free_bytes / 4u >= it->tensor_count && it->tensor_count > 0u) {
    p.lives = (uint32_t *)(void *)it->base;
    for (uint32_t t = 0; t < it->tensor_count; t++) p.lives[t] = scan_life(it, t);
  }
  uint32_t best_order = 0, best_head = UNPLACED;
  for (uint32_t order = 0; order < ORDER_COUNT; order++) {
    uint32_t head = place_all(&p, order, total);
    if (head < best_head) best_head = head, best_order = order;
  }
  if (best_head == UNPLACED)
    return mf_interp_fail(it, MF_ERR_MODEL_INVALID, "activations need more than 2 GiB");
  if (best_order != ORDER_COUNT - 1u) place_all(&p, best_order, total);
  it->head = best_head;
  return MF_OK;
}
