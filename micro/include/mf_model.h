/* Mapping a .tflite flatbuffer in place: verification and read access. */
#ifndef MF_MODEL_H
#define MF_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "mf_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MF_ERROR_LEN 128

/* A verified model. The bytes are never copied: weights stay where they are
 * (flash on a board). Offsets are byte offsets into `data`; a vector offset
 * points at its 32-bit length word. */
typedef struct mf_model {
  const uint8_t *data;
  size_t size;
  uint32_t version;
  uint32_t opcodes;     /* vector of OperatorCode tables */
  uint32_t buffers;     /* vector of Buffer tables */
  uint32_t metadata;    /* vector of Metadata tables, 0 when absent */
  uint32_t subgraph;    /* SubGraph 0 table */
  uint32_t tensors;     /* vector of Tensor tables of subgraph 0 */
  uint32_t operators;   /* vector of Operator tables of subgraph 0 */
  uint32_t inputs;      /* vector of int32 tensor indices */
  uint32_t outputs;     /* vector of int32 tensor indices */
  uint32_t tensor_count;
  uint32_t operator_count;
  uint32_t opcode_count;
  uint32_t buffer_count;
  uint32_t input_count;
  uint32_t output_count;
  uint32_t offline_plan; /* first offset of OfflineMemoryAllocation, 0 when absent */
  char error[MF_ERROR_LEN]; /* why mf_model_map() failed */
} mf_model;

/* Verifies `size` bytes at `data` as a TFLite model (identifier "TFL3",
 * schema version 3) and maps it. Every offset, vtable, vector, string,
 * buffer, tensor index and shape is bounds-checked before use. `data` must be
 * 4-byte aligned and must outlive the model. */
mf_status mf_model_map(mf_model *model, const void *data, size_t size);

/* The reason for the last failure, "" when there was none. */
const char *mf_model_error(const mf_model *model);

#ifdef __cplusplus
}
#endif

#endif
