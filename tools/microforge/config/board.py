"""Boards as data: `targets/<board>/board.toml`, its schema and its validation.

Adding a board is adding a folder with a `board.toml` (see docs/architecture.md); no Python
changes. `check_board` rejects a malformed file naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .schema import Field, check_table, load_toml

STATUSES = ("available", "planned", "export-only")
ARCHES = ("arm", "riscv", "xtensa", "host")
FLOAT_ABIS = ("hard", "softfp", "soft")
IMAGE_KINDS = ("bin", "hex")
FLASH_METHODS = ("qemu", "pyocd", "esptool", "svl", "asb", "msd", "none")
#: Folders of targets/ that are not boards.
NOT_BOARDS = ("common", "toolchains")

REGION = {
    "origin": Field("int", "start address", required=True),
    "size": Field("int", "size in bytes", required=True),
}

CPU_FIELDS = {
    "description": Field("str", "one line", default=""),
    "cpu": Field("str", "compiler CPU (-mcpu, or the -march ISA string on RISC-V)", required=True),
    "fpu": Field("str", '-mfpu value, "none" when absent', default="none"),
    "float_abi": Field("str", "hard | softfp | soft", default="soft", choices=FLOAT_ABIS),
    "abi": Field("str", "RISC-V -mabi (derived from cpu and float_abi when empty)", default=""),
    "defines": Field("list[str]", "extra preprocessor defines", default=[]),
    "cflags": Field("list[str]", "extra compiler flags", default=[]),
}

BOARD_FIELDS: dict[str, Field] = {
    "name": Field("str", "equals the folder name", required=True),
    "description": Field("str", "one line for `scons list`", required=True),
    "status": Field("str", "available | planned | export-only", default="available",
                    choices=STATUSES),
    "arch": Field("str", "arm | riscv | xtensa | host", required=True, choices=ARCHES),
    "cpu": Field("str", "compiler CPU (-mcpu, or the -march ISA string on RISC-V)", default=""),
    "fpu": Field("str", '-mfpu value, "none" when absent', default="none"),
    "float_abi": Field("str", "hard | softfp | soft", default="soft", choices=FLOAT_ABIS),
    "abi": Field("str", "RISC-V -mabi (derived from cpu and float_abi when empty)", default=""),
    "toolchain": Field("str", "targets/toolchains/<name>.toml", required=True),
    "common": Field("list[str]", "folders of targets/common/ whose sources are added",
                    default=[]),
    "sources": Field("list[str]", "board sources, relative to the board folder", default=[]),
    "include_dirs": Field("list[str]", "extra include folders, relative to the board folder",
                          default=[]),
    "linker_script": Field("str", "relative to the board folder", default=""),
    "defines": Field("list[str]", "preprocessor defines", default=[]),
    "cflags": Field("list[str]", "compiler flags", default=[]),
    "ldflags": Field("list[str]", "linker flags", default=[]),
    "libs": Field("list[str]", "libraries linked last (-l<name>)", default=[]),
    "kernel_variants": Field("list[str]", "kernel variants this board always uses, in order",
                             default=[]),
    "tags": Field("list[str]", "extra TAGS values the board accepts", default=[]),
    "aliases": Field("list[str]", "other TARGET spellings that select this board", default=[]),
    "exports": Field("list[str]", "IDE project kinds it supports", default=[]),
    "images": Field("list[str]", "flashable images made from the ELF: bin, hex",
                    default=["bin"], choices=IMAGE_KINDS),
    "default_arch": Field("str", "the [arch.<name>] used when TARGET_ARCH is not given",
                          default=""),
    "target_arch": Field("tables", "per-TARGET_ARCH cpu/fpu/float_abi tables, e.g. "
                         "[target_arch.\"cortex-m4+fp\"]", default={}, fields=CPU_FIELDS),
    "memory": Field("tables", "regions the link must fit: flash, ram, ...", default={},
                    fields=REGION),
    "serial": Field("table", "console serial port", default={}, open=True,
                    fields={"baud": Field("int", "baud rate", default=115200)}),
    "flash": Field("table", "how images are flashed; method-specific keys allowed", default={},
                   open=True,
                   fields={"method": Field("str", " | ".join(FLASH_METHODS), required=True,
                                           choices=FLASH_METHODS)}),
    "emulator": Field("table", "emulated boards: how to start the emulator", default={},
                      fields={
                          "program": Field("str", "emulator executable", required=True),
                          "machine": Field("str", "-M value", default=""),
                          "args": Field("list[str]", "extra arguments; {elf} is the image",
                                        default=[]),
                          "icount_shift": Field("int", "-icount shift (exact counts)",
                                                default=None),
                          "timeout": Field("int", "default seconds a run may take", default=120),
                          "debian_package": Field("str", "package providing the program",
                                                  default=""),
                      }),
    "ticks": Field("table", "how host tools convert ticks (board-defined keys)", default={},
                   open=True),
}


@dataclass(frozen=True)
class Board:
    """One validated board.toml."""

    name: str
    folder: Path
    file: Path
    data: dict[str, Any] = field(repr=False)

    def __getattr__(self, key: str) -> Any:
        data = self.__dict__.get("data")
        if data is not None and key in data:
            return data[key]
        raise AttributeError(key)

    @property
    def available(self) -> bool:
        return self.data["status"] == "available"

    @property
    def emulated(self) -> bool:
        return bool(self.data["emulator"])


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def check_board(raw: dict[str, Any], folder: Path, root: Path) -> dict[str, Any]:
    """Validates one board's data; raises ConfigError naming file and field."""
    file = folder / "board.toml"
    where = _display(file, root)
    data = check_table(raw, BOARD_FIELDS, where)
    if data["name"] != folder.name:
        raise ConfigError(
            f"{where}: field 'name': \"{data['name']}\" must equal the folder name "
            f"\"{folder.name}\""
        )
    arch = data["arch"]
    if arch != "host" and not data["cpu"] and not data["target_arch"]:
        raise ConfigError(f"{where}: field 'cpu': required for arch \"{arch}\"")
    if data["fpu"] != "none" and data["float_abi"] == "soft":
        raise ConfigError(
            f"{where}: field 'float_abi': \"soft\" with fpu \"{data['fpu']}\"; "
            "use hard or softfp, or fpu = \"none\""
        )
    if data["target_arch"]:
        default_arch = data["default_arch"]
        if default_arch and default_arch not in data["target_arch"]:
            raise ConfigError(
                f"{where}: field 'default_arch': \"{default_arch}\" is not one of "
                f"{', '.join(data['target_arch'])}"
            )
    for name, region in data["memory"].items():
        if region["size"] == 0:
            raise ConfigError(f"{where}: field 'memory.{name}.size': must be above 0")
    if data["status"] == "available":
        for key in ("sources", "include_dirs"):
            for index, rel in enumerate(data[key]):
                if not (folder / rel).exists():
                    raise ConfigError(
                        f"{where}: field '{key}[{index}]': {rel} does not exist in "
                        f"{_display(folder, root)}"
                    )
        script = data["linker_script"]
        if script and not (folder / script).is_file():
            raise ConfigError(
                f"{where}: field 'linker_script': {script} does not exist in "
                f"{_display(folder, root)}"
            )
        for index, common in enumerate(data["common"]):
            if not (root / "targets" / "common" / common).is_dir():
                raise ConfigError(
                    f"{where}: field 'common[{index}]': targets/common/{common} does not exist"
                )
    return data


def load_board(folder: Path, root: Path) -> Board:
    """Loads and validates `folder/board.toml`."""
    file = folder / "board.toml"
    raw = load_toml(file, _display(file, root))
    data = check_board(raw, folder, root)
    return Board(name=data["name"], folder=folder, file=file, data=data)


@dataclass
class BoardSet:
    """Every board folder of a tree: the good ones, and the errors of broken ones."""

    boards: dict[str, Board]
    broken: dict[str, ConfigError]

    def by_alias(self) -> dict[str, str]:
        """Alias spelling -> board name."""
        result = {}
        for board in self.boards.values():
            for alias in board.aliases:
                result[alias] = board.name
        return result


def board_folders(root: Path) -> list[Path]:
    targets = root / "targets"
    if not targets.is_dir():
        return []
    return sorted(
        p for p in targets.iterdir()
        if p.is_dir() and p.name not in NOT_BOARDS and (p / "board.toml").is_file()
    )


def load_boards(root: Path) -> BoardSet:
    """Loads every `targets/*/board.toml`; broken ones are kept with their error."""
    boards: dict[str, Board] = {}
    broken: dict[str, ConfigError] = {}
    for folder in board_folders(root):
        try:
            boards[folder.name] = load_board(folder, root)
        except ConfigError as exc:
            broken[folder.name] = exc
    return BoardSet(boards, broken)
