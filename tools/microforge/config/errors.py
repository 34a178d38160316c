"""Configuration errors with a close-match suggestion."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ConfigError(Exception):
    """A bad board file, command-line value or example: the message says what and where."""


def suggest(value: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' for the closest choice, or '' when nothing is close."""
    names = sorted(set(choices))
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    if not close:
        lowered = {name.lower(): name for name in names}
        close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f' (did you mean "{close[0]}"?)' if close else ""


def unknown(kind: str, value: str, choices: Iterable[str]) -> ConfigError:
    """The standard error for a value that is not one of `choices`."""
    names = sorted(set(choices))
    valid = ", ".join(names) if names else "(none)"
    return ConfigError(f'unknown {kind} "{value}"{suggest(value, names)}; valid: {valid}')
