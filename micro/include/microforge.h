/* The microforge micro runtime: everything an application includes. */
#ifndef MICROFORGE_H
#define MICROFORGE_H

#include "mf_interpreter.h"
#include "mf_kernel.h"
#include "mf_log.h"
#include "mf_model.h"
#include "mf_ops.h"
#include "mf_platform.h"
#include "mf_resolver.h"
#include "mf_status.h"
#include "mf_types.h"

#endif
