/* What every board's support code provides to applications and tests. */
#ifndef MF_BOARD_H
#define MF_BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Clocks, console UART and tick timer. Applications call it first in main(). */
void mf_board_init(void);
/* Blocking console output. */
void mf_board_write(const char *data, size_t len);
/* Free-running tick counter and its rate. On emulated boards under -icount a
 * tick is converted to an exact instruction count (see the board's notes). */
uint32_t mf_board_ticks(void);
uint32_t mf_board_ticks_per_second(void);
/* Ends the run with an exit code: emulators exit, real boards report and idle. */
void mf_board_exit(int code);

#ifdef __cplusplus
}
#endif

#endif
