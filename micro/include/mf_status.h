/* Status codes returned by every microforge runtime call. */
#ifndef MF_STATUS_H
#define MF_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mf_status {
  MF_OK = 0,
  MF_ERR_INVALID_ARG,      /* NULL pointer, index out of range, misaligned data */
  MF_ERR_MODEL_INVALID,    /* the flatbuffer failed verification */
  MF_ERR_OP_UNSUPPORTED,   /* an op, op version or dtype this build cannot run */
  MF_ERR_ARENA_TOO_SMALL,  /* see mf_interpreter_arena_needed() */
  MF_ERR_RESOLVER_FULL,    /* mf_resolver_add() beyond the resolver's capacity */
  MF_ERR_STATE,            /* call out of order, e.g. invoke before allocate */
  MF_ERR_KERNEL            /* a kernel rejected its tensors or options */
} mf_status;

/* A short constant name such as "MF_ERR_MODEL_INVALID". */
const char *mf_status_name(mf_status status);

#ifdef __cplusplus
}
#endif

#endif
