"""Flashers, one small class per method, picked by name from the board's ``[flash]`` data.

| method    | boards                      | verification                                  |
|-----------|-----------------------------|-----------------------------------------------|
| `pyocd`   | SWD/JTAG probes             | read back through the probe                   |
| `qemu`    | emulated boards             | read back through pyOCD or the gdbstub        |
| `esptool` | ESP32                       | esptool's flash hash check                    |
| `svl`     | SparkFun Edge with the SVL  | per-frame CRC acknowledged by the loader      |
| `asb`     | Apollo3 secure bootloader   | message and image CRC-32 checked by the loader|
| `msd`     | ST-LINK / DAPLink drives    | FAIL.TXT check, then read back through pyOCD  |
"""

from .asb import AsbFlasher
from .base import (
    FLASHERS,
    Flasher,
    FlashReport,
    Option,
    create_flasher,
    flasher_from_board,
    register,
)
from .esptool_flasher import EsptoolFlasher
from .msd import MsdFlasher
from .pyocd_flasher import PyocdFlasher
from .qemu_flasher import QemuFlasher
from .svl import SvlFlasher

__all__ = [
    "FLASHERS",
    "AsbFlasher",
    "EsptoolFlasher",
    "FlashReport",
    "Flasher",
    "MsdFlasher",
    "Option",
    "PyocdFlasher",
    "QemuFlasher",
    "SvlFlasher",
    "create_flasher",
    "flasher_from_board",
    "register",
]
