/* A test kernel for the runtime's C tests: custom op "MF_TEST".
 *
 * Its custom options are little-endian int32 words:
 *   [0] scratch bytes to request, [1] persistent bytes to allocate,
 *   [2] TM_FLAG_* bits, [3] output length for TM_FLAG_SET_DIMS.
 * Invoke writes, for every int8 output element i,
 *   out[i] = 1 + sum over inputs j of in_j[i % len_j]   (wrapping),
 * after filling its scratch with 0xA5, so a planner that lets a live buffer
 * overlap another node's output or scratch changes the results.
 * With TM_FLAG_COPY it asks (first thing in prepare) that output 0 share
 * input 0's memory, and invoke writes out[i] = in_0[i % len_0] unless the
 * two share memory. */
#ifndef TM_OPS_H
#define TM_OPS_H

#include <stdint.h>

#include "mf_kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TM_FLAG_FAIL_PREPARE 0x1
#define TM_FLAG_FAIL_INVOKE 0x2
#define TM_FLAG_LIE_ARENA 0x4  /* prepare claims ARENA_TOO_SMALL without allocating */
#define TM_FLAG_SET_DIMS 0x8   /* prepare sets output 0 to [1, word 3] */
#define TM_FLAG_COPY 0x10      /* a copy of input 0 that requests an alias */
#define TM_FLAG_COPY_INIT 0x20 /* the same copy, asking in init (the runtime ignores that) */

extern const mf_op_registration tm_op_test;       /* custom "MF_TEST", any version <= 3 */
extern const mf_op_registration tm_op_test_conv;  /* the same kernel as builtin CONV_2D, max 2 */

#ifdef __cplusplus
}
#endif

#endif
