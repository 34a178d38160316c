/* The built-in op kernels. Each is defined by one file in micro/kernels/
 * (or by the same-named file of a kernel variant). */
#ifndef MF_OPS_H
#define MF_OPS_H

#include "mf_kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(registration symbol suffix, BuiltinOperator code, name) */
#define MF_FOR_EACH_OP(X)                          \
  X(add, 0, "ADD")                                 \
  X(average_pool_2d, 1, "AVERAGE_POOL_2D")         \
  X(concatenation, 2, "CONCATENATION")             \
  X(conv_2d, 3, "CONV_2D")                         \
  X(depthwise_conv_2d, 4, "DEPTHWISE_CONV_2D")     \
  X(dequantize, 6, "DEQUANTIZE")                   \
  X(fully_connected, 9, "FULLY_CONNECTED")         \
  X(logistic, 14, "LOGISTIC")                      \
  X(max_pool_2d, 17, "MAX_POOL_2D")                \
  X(mul, 18, "MUL")                                \
  X(relu, 19, "RELU")                              \
  X(relu6, 21, "RELU6")                            \
  X(reshape, 22, "RESHAPE")                        \
  X(softmax, 25, "SOFTMAX")                        \
  X(svdf, 27, "SVDF")                              \
  X(tanh, 28, "TANH")                              \
  X(pad, 34, "PAD")                                \
  X(transpose, 39, "TRANSPOSE")                    \
  X(mean, 40, "MEAN")                              \
  X(sub, 41, "SUB")                                \
  X(squeeze, 43, "SQUEEZE")                        \
  X(strided_slice, 45, "STRIDED_SLICE")            \
  X(split, 49, "SPLIT")                            \
  X(maximum, 55, "MAXIMUM")                        \
  X(minimum, 57, "MINIMUM")                        \
  X(padv2, 60, "PADV2")                            \
  X(expand_dims, 70, "EXPAND_DIMS")                \
  X(shape, 77, "SHAPE")                            \
  X(pack, 83, "PACK")                              \
  X(unpack, 88, "UNPACK")                          \
  X(leaky_relu, 98, "LEAKY_RELU")                  \
  X(quantize, 114, "QUANTIZE")                     \
  X(hard_swish, 117, "HARD_SWISH")

#define MF_DECLARE_OP(sym, code, name) extern const mf_op_registration mf_op_##sym;
MF_FOR_EACH_OP(MF_DECLARE_OP)
#undef MF_DECLARE_OP

#define MF_COUNT_OP(sym, code, name) +1
enum { MF_OP_COUNT = 0 MF_FOR_EACH_OP(MF_COUNT_OP) };
#undef MF_COUNT_OP

#ifdef __cplusplus
}
#endif

#endif
