"""Flashers, one small class per method, picked by name from the board's ``[flash]`` data."""

from .base import FLASHERS, Flasher, FlashReport, Option, create_flasher, register
from .pyocd_flasher import PyocdFlasher
from .qemu_flasher import QemuFlasher

__all__ = [
    "FLASHERS",
    "FlashReport",
    "Flasher",
    "Option",
    "PyocdFlasher",
    "QemuFlasher",
    "create_flasher",
    "register",
]
