/* PAD: pads each dimension with constant values (see mf_pad_node_prepare). */
#include "kernel_util.h"
#include "mf_ops.h"

const mf_op_registration mf_op_pad = {34, 4, "PAD", NULL, mf_pad_node_prepare,
                                      mf_pad_node_invoke, NULL};
