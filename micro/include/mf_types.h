/* Tensor types shared by the public API and the kernels. */
#ifndef MF_TYPES_H
#define MF_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Values are TFLite's TensorType numbers. */
typedef enum mf_dtype {
  MF_FLOAT32 = 0,
  MF_FLOAT16 = 1,
  MF_INT32 = 2,
  MF_UINT8 = 3,
  MF_INT64 = 4,
  MF_STRING = 5,
  MF_BOOL = 6,
  MF_INT16 = 7,
  MF_COMPLEX64 = 8,
  MF_INT8 = 9,
  MF_FLOAT64 = 10,
  MF_COMPLEX128 = 11,
  MF_UINT64 = 12,
  MF_RESOURCE = 13,
  MF_VARIANT = 14,
  MF_UINT32 = 15,
  MF_UINT16 = 16,
  MF_INT4 = 17
} mf_dtype;

/* Bytes per element; 0 for types the runtime does not store. */
size_t mf_dtype_size(mf_dtype dtype);
/* "int8", "float32", ...; "unknown" otherwise. */
const char *mf_dtype_name(mf_dtype dtype);

/* Quantization of one tensor. Arrays point into the model (zero copy). */
typedef struct mf_quant {
  float scale;                    /* per-tensor scale, or channel 0's */
  int32_t zero_point;             /* per-tensor zero point, or channel 0's */
  uint32_t channels;              /* 0 not quantized, 1 per-tensor, n per-channel */
  int32_t axis;                   /* quantized dimension when channels > 1 */
  const float *scales;            /* `channels` scales, NULL when channels == 0 */
  const uint8_t *zero_points;     /* `channels` little-endian int64 values */
} mf_quant;

/* Zero point of one channel (channel 0 for per-tensor quantization). */
int32_t mf_quant_zero_point(const mf_quant *quant, uint32_t channel);

/* Flags of mf_tensor.flags. */
#define MF_TENSOR_CONSTANT 0x1u  /* data lives in the model */
#define MF_TENSOR_VARIABLE 0x2u  /* state kept across invokes (persistent arena) */
#define MF_TENSOR_PLANNED 0x4u   /* data placed by the memory planner */
#define MF_TENSOR_DIMS_OWNED 0x8u /* dims were rewritten by a kernel (arena copy) */

/* The compact per-tensor record the interpreter keeps for every tensor. */
typedef struct mf_tensor {
  void *data;
  const int32_t *dims; /* `ndims` entries, in the model or in the arena */
  uint8_t dtype;       /* mf_dtype */
  uint8_t ndims;
  uint16_t flags;
} mf_tensor;

/* Product of the dimensions (1 for a scalar). */
size_t mf_tensor_elements(const mf_tensor *tensor);
/* Elements times the element size. */
size_t mf_tensor_bytes(const mf_tensor *tensor);

/* A full description of a model input or output, for applications. */
typedef struct mf_tensor_info {
  const char *name;
  mf_dtype dtype;
  uint32_t ndims;
  const int32_t *dims;
  void *data;
  size_t bytes;
  mf_quant quant;
} mf_tensor_info;

#ifdef __cplusplus
}
#endif

#endif
