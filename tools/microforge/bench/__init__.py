"""Running models through the runtime on the host and on emulated boards, and the runtime's
benchmarks: instructions per invoke (callgrind on the host, QEMU -icount on boards), arena
bytes, flash bytes and code size.

    runfile    the inputs file built into the runner firmware (micro/runner/board_runner.c)
    firmware   the runner firmware: build through SCons, run under the board's emulator
    host       the host: outputs through the runtime library, callgrind counts
    models     `scons TARGET=<emulated board> benchmark`: every shared model on a board
    sizes      code size of the runtime core and kernels, and of the hello_world firmware
"""
