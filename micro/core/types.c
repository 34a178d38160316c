/* Dtype facts, element and byte counts, per-channel zero points. */
#include <string.h>

#include "mf_core.h"
#include "mf_types.h"

/* Indexed by mf_dtype; 0 marks types the runtime does not store. */
static const uint8_t dtype_sizes[] = {4, 2, 4, 1, 8, 0, 1, 2, 8, 1, 8, 16, 8, 0, 0, 4, 2, 0};

size_t mf_dtype_size(mf_dtype dtype) {
  unsigned index = (unsigned)dtype;
  return index < sizeof dtype_sizes ? dtype_sizes[index] : 0u;
}

const char *mf_dtype_name(mf_dtype dtype) {
  static const char *const names[] = {
      "float32", "float16", "int32",   "uint8",    "int64",  "string",
      "bool",    "int16",   "complex64", "int8",   "float64", "complex128",
      "uint64",  "resource", "variant", "uint32",  "uint16", "int4"};
  unsigned index = (unsigned)dtype;
  return index < sizeof names / sizeof names[0] ? names[index] : "unknown";
}

uint32_t mf_dtype_align(uint8_t dtype) {
  return mf_dtype_size((mf_dtype)dtype) >= 8u ? 8u : MF_BASE_ALIGN;
}

uint32_t mf_shape_bytes(const int32_t *dims, uint32_t ndims, uint32_t elem) {
  uint32_t bytes = elem;
  if (ndims > MF_MAX_DIMS) return MF_BAD_SHAPE;
  for (uint32_t d = 0; d < ndims; d++) {
    if (dims[d] < 0 || (dims[d] != 0 && bytes > MF_MAX_TENSOR_BYTES / (uint32_t)dims[d])) return MF_BAD_SHAPE;
    bytes *= (uint32_t)dims[d];
  }
  return bytes;
}

size_t mf_tensor_elements(const mf_tensor *tensor) {
  size_t count = 1;
  for (uint32_t i = 0; i < tensor->ndims; i++) count *= (size_t)tensor->dims[i];
  return count;
}

size_t mf_tensor_bytes(const mf_tensor *tensor) {
  return mf_tensor_elements(tensor) * mf_dtype_size((mf_dtype)tensor->dtype);
}

int32_t mf_quant_zero_point(const mf_quant *quant, uint32_t channel) {
  if (quant == NULL || quant->zero_points == NULL || channel >= quant->channels) return 0;
  int64_t value;
  memcpy(&value, quant->zero_points + 8u * channel, sizeof value);
  return (int32_t)value;
}
