/* Builds small TFLite flatbuffers in memory for the runtime's C tests, so
 * they need no files and run unchanged on boards.
 *
 *   static const tm_tensor tensors[] = {TM_INT8(1, 4), TM_INT8(1, 4)};
 *   static const tm_op ops[] = {{.code = MF_CUSTOM_OP, .custom = "MF_TEST", .n_in = 1,
 *                                .in = {0}, .n_out = 1, .out = {1}}};
 *   static const int32_t in[] = {0}, out[] = {1};
 *   tm_graph g = {tensors, 2, ops, 1, in, 1, out, 1, NULL};
 *   size_t size = tm_build(&g, buf, sizeof buf);   // 0 when buf is too small
 */
#ifndef TM_MODEL_H
#define TM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "mf_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TM_MAX_DIMS 6
#define TM_MAX_IO 6
#define TM_MAX_OPTIONS 4

typedef struct tm_tensor {
  uint8_t dtype;          /* mf_dtype */
  uint8_t ndims;
  int32_t dims[TM_MAX_DIMS];
  const void *data;       /* constant data, or NULL */
  uint32_t data_size;
  uint8_t variable;
  uint32_t channels;      /* 0 none, 1 per-tensor, n per-channel */
  int32_t axis;
  const float *scales;    /* `channels` scales (per-tensor: may be NULL, then 1.0) */
  int32_t zero_point;     /* of every channel */
  const char *name;
} tm_tensor;

typedef struct tm_op {
  int32_t code;           /* BuiltinOperator, or MF_CUSTOM_OP */
  const char *custom;     /* custom op name */
  int32_t version;        /* 0 means 1 */
  uint8_t n_in, n_out;
  int32_t in[TM_MAX_IO], out[TM_MAX_IO];
  const uint8_t *custom_options;
  uint32_t custom_options_size;
  uint8_t options_type;   /* BuiltinOptions union type; 0: no options table */
  uint8_t n_options;      /* int32 fields 0..n_options-1 of the options table */
  int32_t options[TM_MAX_OPTIONS];
} tm_op;

typedef struct tm_graph {
  const tm_tensor *tensors;
  uint32_t n_tensors;
  const tm_op *ops;
  uint32_t n_ops;
  const int32_t *inputs;
  uint32_t n_inputs;
  const int32_t *outputs;
  uint32_t n_outputs;
  const int32_t *offline_offsets; /* n_tensors entries (-1: plan online), or NULL */
  uint8_t external_buffers;       /* constants after the flatbuffer (Buffer.offset/size) */
} tm_graph;

/* A rank-2 activation of dtype `dt` [a, b]. */
#define TM_ACT(dt, a, b) {.dtype = (dt), .ndims = 2, .dims = {(a), (b)}}
#define TM_INT8(a, b) TM_ACT(MF_INT8, a, b)

/* Writes the model into buf (16-byte aligned); returns its size, or 0 when
 * it does not fit in `cap` bytes. */
size_t tm_build(const tm_graph *graph, uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
