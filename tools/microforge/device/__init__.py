"""Flashers and serial transports, each a small class picked by name from board data.

Nothing here parses test output: flashers put an image on a board and start it, transports
carry bytes and log them.
"""

from .errors import ConfigError, DeviceBusy, DeviceError, EmulatorError, FlashError, TransportError

__all__ = [
    "ConfigError",
    "DeviceBusy",
    "DeviceError",
    "EmulatorError",
    "FlashError",
    "TransportError",
]
