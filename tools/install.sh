#!/bin/sh
# Installs everything microforge needs on Debian 12: the Arm and RISC-V toolchains, QEMU,
# clang, valgrind, ccache, chromium (apt), then the microforge Python package with its test
# extras (pip, editable) into .venv/ at the top of the tree.
#
#   ./tools/install.sh            as root, or as a user allowed to sudo
#   . .venv/bin/activate          then scons, pytest and microforge are on PATH
#
# MICROFORGE_VENV=<dir> puts the environment elsewhere; MICROFORGE_VENV=none installs into
# the current Python instead (only where that Python is not externally managed).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${MICROFORGE_VENV:-$ROOT/.venv}

APT_PACKAGES="gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
qemu-system-arm qemu-system-misc gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
clang valgrind ccache chromium
gcc make git python3 python3-pip python3-venv"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "error: run as root, or install sudo" >&2
    exit 1
fi

if command -v apt-get >/dev/null 2>&1; then
    echo "== apt packages"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $APT_PACKAGES
else
    echo "warning: no apt-get here; install these yourself: $APT_PACKAGES" >&2
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: microforge needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi

if [ "$VENV" = "none" ]; then
    # Debian's own Python refuses system-wide pip installs (PEP 668, "externally managed").
    if "$PYTHON" -c 'import sys, sysconfig, os; sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
        echo "error: $PYTHON is externally managed (Debian); leave MICROFORGE_VENV unset to use a virtual environment" >&2
        exit 1
    fi
    PIP_PYTHON=$PYTHON
else
    echo "== Python environment in $VENV"
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    PIP_PYTHON=$VENV/bin/python
fi

echo "== pip install -e .[test]"
"$PIP_PYTHON" -m pip install -q --upgrade pip
"$PIP_PYTHON" -m pip install -q -e "$ROOT[test]"

echo "== checking the tools"
for tool in arm-none-eabi-gcc riscv64-unknown-elf-gcc qemu-system-arm qemu-system-riscv32 gcc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: $tool is still missing after the install" >&2
        exit 1
    fi
done
"$PIP_PYTHON" -m SCons --version >/dev/null
echo "microforge is installed. Next: . $VENV/bin/activate && scons TARGET=qemu_cortex_m4 run_hello_world"
