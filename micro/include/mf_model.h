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

/* Vectors the verifier records in mf_model (tensors, operators, inputs and
 * outputs are those of subgraph 0). */
enum {
  MF_VEC_OPCODES, MF_VEC_SUBGRAPHS, MF_VEC_TENSORS, MF_VEC_OPERATORS, MF_VEC_BUFFERS,
  MF_VEC_METADATA, MF_VEC_INPUTS, MF_VEC_OUTPUTS, MF_VEC_COUNT
};

/* A verified model. The bytes are never copied: weights stay where they are
 * (flash on a board). Offsets are byte offsets into `data`; a vector offset
 * points at its 32-bit length word. */
typedef struct mf_model {
  const uint8_t *data;
  size_t size;
  uint32_t version;
  uint32_t offline_plan;        /* first offset of OfflineMemoryAllocation, 0 when absent */
  uint32_t vec[MF_VEC_COUNT];   /* MF_VEC_* positions, 0 when absent */
  uint32_t len[MF_VEC_COUNT];   /* and lengths */
  char error[MF_ERROR_LEN];     /* why mf_model_map() failed */
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
