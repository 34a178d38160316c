"""The flasher interface: one small class per method, configured from board and farm data."""

from __future__ import annotations

import difflib
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ConfigError, FlashError

if TYPE_CHECKING:
    from ..serial_transport import SerialTransport


@dataclass(frozen=True)
class Option:
    """One accepted key of a flasher's configuration."""

    kind: type | tuple[type, ...]
    help: str
    default: Any = None
    required: bool = False


@dataclass
class FlashReport:
    """What a successful flash did."""

    method: str
    image: str
    bytes_written: int
    verified: bool
    verify_method: str
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "image": self.image,
            "bytes_written": self.bytes_written,
            "verified": self.verified,
            "verify_method": self.verify_method,
            "seconds": round(self.seconds, 3),
            "details": self.details,
        }


class Flasher(ABC):
    """Programs an image into one board, verifies it and leaves the board running it.

    Every flasher bounds its total time by ``timeout`` and raises ``FlashError`` (never a
    transport or timeout error) for any failure.
    """

    method: ClassVar[str]
    options: ClassVar[dict[str, Option]] = {}
    default_timeout: ClassVar[float] = 60.0
    #: The flasher talks over the console port (it borrows it from the console transport).
    uses_console_port: ClassVar[bool] = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.ignored_keys: list[str] = []
        self.config = self._validate(dict(config))
        timeout = self.config.get("timeout", self.default_timeout)
        if not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"{self.method}: timeout must be a positive number, got {timeout!r}")
        self.timeout = float(timeout)

    @classmethod
    def _validate(cls, config: dict[str, Any]) -> dict[str, Any]:
        config.pop("method", None)
        accepted = {**cls.options, "timeout": Option((int, float), "seconds for the whole flash")}
        unknown = sorted(set(config) - set(accepted))
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, accepted, n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ConfigError(
                f"flash method {cls.method!r} does not take {', '.join(hints)}; "
                f"valid keys: {', '.join(sorted(accepted))}"
            )
        result: dict[str, Any] = {}
        for key, option in accepted.items():
            if key in config:
                value = config[key]
                if option.kind is float and isinstance(value, int):
                    value = float(value)
                if not isinstance(value, option.kind) or (
                    isinstance(value, bool) and option.kind in (int, float, (int, float))
                ):
                    raise ConfigError(
                        f"flash method {cls.method!r}: {key} must be {_kind_name(option.kind)}, "
                        f"got {value!r}"
                    )
                result[key] = value
            elif option.required:
                raise ConfigError(f"flash method {cls.method!r} needs {key!r} ({option.help})")
            elif option.default is not None:
                result[key] = option.default
        return result

    @abstractmethod
    def flash(self, image: Path, *, console: SerialTransport | None = None) -> FlashReport:
        """Program ``image``, verify it, and start it. ``console`` is the board's open console
        transport, for flashers that share its port."""

    def describe(self) -> str:
        keys = ", ".join(f"{k}={v!r}" for k, v in sorted(self.config.items()))
        return f"{self.method}({keys})"

    def _deadline(self) -> float:
        return time.monotonic() + self.timeout

    def _fail(self, message: str, detail: str = "") -> FlashError:
        return FlashError(message, method=self.method, detail=detail)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


FLASHERS: dict[str, type[Flasher]] = {}


def register(cls: type[Flasher]) -> type[Flasher]:
    FLASHERS[cls.method] = cls
    return cls


def create_flasher(method: str, config: Mapping[str, Any]) -> Flasher:
    """The flasher named ``method`` (board data ``[flash] method``), configured by ``config``."""
    if method not in FLASHERS:
        close = difflib.get_close_matches(method, FLASHERS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"unknown flash method {method!r}{hint}; known: {', '.join(sorted(FLASHERS))}"
        )
    return FLASHERS[method](config)


#: A board's [flash] table may also describe alternative methods; their keys carry the
#: method's name as a prefix (svl_baud, pyocd_target, msd_volume, ...).
def _method_prefixes() -> tuple[str, ...]:
    return tuple(f"{name}_" for name in FLASHERS)


def flasher_from_board(
    table: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    method: str | None = None,
) -> Flasher:
    """The flasher a board's ``[flash]`` table names (or ``method``, one of its alternatives).

    From the table, a flasher takes the keys it knows, with ``<method>_<key>`` winning over
    ``<key>`` (so ``svl_load_address`` applies when the SVL is used); keys of other methods and
    board facts it does not use are set aside (see ``Flasher.ignored_keys``). ``overrides``
    (farm and command-line data: probe ids, ports, pack paths) must all be known keys.
    """
    chosen = method or table.get("method")
    if not isinstance(chosen, str) or not chosen:
        raise ConfigError("[flash] needs a method")
    if chosen not in FLASHERS:
        create_flasher(chosen, {})  # raises the unknown-method error with a suggestion
    cls = FLASHERS[chosen]
    accepted = {**cls.options, "timeout": None}
    own = f"{chosen}_"
    config: dict[str, Any] = {}
    ignored = []
    for key, value in table.items():
        if key == "method":
            continue
        if key in accepted:
            config.setdefault(key, value)
        elif key.startswith(own) and key[len(own) :] in accepted:
            config[key[len(own) :]] = value  # the method-specific spelling wins
        else:
            ignored.append(key)
    config.update(overrides or {})
    flasher = cls(config)
    flasher.ignored_keys = sorted(ignored)
    return flasher


def remaining(deadline: float, what: str, method: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FlashError(f"timed out {what}", method=method)
    return left
