"""Boards, toolchains, TFLM spellings and kernel variants, read from data."""

from .board import Board, BoardSet, load_board, load_boards
from .errors import ConfigError
from .example import Example, load_examples
from .resolve import VARIABLES, Config, resolve
from .toolchain import Toolchain, load_toolchain
from .variants import KernelSource, Variant, overlay

__all__ = [
    "Board", "BoardSet", "Config", "ConfigError", "Example", "KernelSource", "Toolchain",
    "VARIABLES", "Variant", "load_board", "load_boards", "load_examples", "load_toolchain",
    "overlay", "resolve",
]
