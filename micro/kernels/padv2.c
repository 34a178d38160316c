/* PADV2: PAD with an explicit scalar pad value (see mf_pad_node_prepare). */
#include "kernel_util.h"
#include "mf_ops.h"

const mf_op_registration mf_op_padv2 = {60, 4, "PADV2", NULL, mf_pad_node_prepare,
                                        mf_pad_node_invoke, NULL};
