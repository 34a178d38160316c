"""Errors raised by flashers, transports and device locks.

Each failure kind has its own class so a run can tell a flash error from a console timeout.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base class for every device-layer failure."""


class FlashError(DeviceError):
    """Programming a board failed (probe absent, write refused, verify mismatch, timeout)."""

    def __init__(self, message: str, *, method: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.detail = detail

    def __str__(self) -> str:
        text = super().__str__()
        prefix = f"[{self.method}] " if self.method else ""
        suffix = f"\n{self.detail}" if self.detail else ""
        return f"{prefix}{text}{suffix}"


class TransportError(DeviceError):
    """The serial link could not be opened or broke while in use."""


class DeviceBusy(DeviceError):
    """Another run holds the board (or a probe or port it resolves to)."""


class ConfigError(DeviceError):
    """Board or farm data for a flasher or transport is missing or malformed."""


class EmulatorError(DeviceError):
    """An emulator process could not be started or controlled."""
