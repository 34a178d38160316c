"""Examples as data: `examples/<ex>/example.toml`.

```toml
description = "one line for `scons list`"
sources = ["main.c", "sine_app.c"]       # the application, relative to the folder
model = "hello_world.tflite"             # optional: becomes a 16-byte aligned C array
model_symbol = "g_model"                 # -> g_model[], g_model_len, header "g_model.h"
arch = ["host", "arm", "riscv"]          # board arches it supports
boards = []                              # if not empty: only these boards
defines = []
cflags = []
libs = ["m"]                             # libraries its programs link
timeout = 60                             # seconds run_<ex> may take

[tests.hello_world_test]                 # a C test program built with micro/testing
sources = ["hello_world_test.c", "sine_app.c"]
timeout = 60

[benchmarks.hello_world_bench]           # run by the `benchmark` alias
sources = ["hello_world_bench.c", "sine_app.c"]
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .schema import Field, check_table, load_toml

ARCHES = ("arm", "riscv", "xtensa", "host")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SYMBOL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

PROGRAM_FIELDS = {
    "description": Field("str", "one line", default=""),
    "sources": Field("list[str]", "sources, relative to the example folder", required=True),
    "timeout": Field("int", "seconds the program may run", default=60),
}

EXAMPLE_FIELDS: dict[str, Field] = {
    "description": Field("str", "one line for `scons list`", required=True),
    "sources": Field("list[str]", "application sources", required=True),
    "model": Field("str", ".tflite file turned into a C array", default=""),
    "model_symbol": Field("str", "C name of the model array", default="g_model"),
    "arch": Field("list[str]", "board arches it supports", default=list(ARCHES),
                  choices=ARCHES),
    "boards": Field("list[str]", "only these boards (empty: any of `arch`)", default=[]),
    "defines": Field("list[str]", "preprocessor defines", default=[]),
    "cflags": Field("list[str]", "compiler flags", default=[]),
    "libs": Field("list[str]", "libraries its programs link (-l<name>), e.g. m", default=[]),
    "timeout": Field("int", "seconds run_<ex> may take", default=60),
    "tests": Field("tables", "test programs", default={}, fields=PROGRAM_FIELDS),
    "benchmarks": Field("tables", "benchmark programs", default={}, fields=PROGRAM_FIELDS),
}


@dataclass(frozen=True)
class Program:
    """A test or benchmark program of an example."""

    name: str
    sources: tuple[Path, ...]
    timeout: int
    description: str = ""


@dataclass(frozen=True)
class Example:
    name: str
    folder: Path
    data: dict[str, Any] = field(repr=False)

    @property
    def description(self) -> str:
        return self.data["description"]

    @property
    def sources(self) -> list[Path]:
        return [self.folder / s for s in self.data["sources"]]

    @property
    def model(self) -> Path | None:
        return self.folder / self.data["model"] if self.data["model"] else None

    @property
    def tests(self) -> list[Program]:
        return self._programs("tests")

    @property
    def benchmarks(self) -> list[Program]:
        return self._programs("benchmarks")

    def _programs(self, key: str) -> list[Program]:
        return [
            Program(name, tuple(self.folder / s for s in spec["sources"]), spec["timeout"],
                    spec["description"])
            for name, spec in self.data[key].items()
        ]

    def supports(self, board_name: str, arch: str) -> bool:
        boards = self.data["boards"]
        if boards:
            return board_name in boards
        return arch in self.data["arch"]


def load_example(folder: Path, root: Path) -> Example:
    file = folder / "example.toml"
    where = str(file.relative_to(root)) if file.is_relative_to(root) else str(file)
    data = check_table(load_toml(file, where), EXAMPLE_FIELDS, where)
    if not NAME_RE.match(folder.name):
        raise ConfigError(f"{where}: the folder name must match {NAME_RE.pattern}")
    if not SYMBOL_RE.match(data["model_symbol"]):
        raise ConfigError(f"{where}: field 'model_symbol': not a C identifier")
    lists = [("sources", data["sources"])]
    lists += [(f"tests.{n}.sources", t["sources"]) for n, t in data["tests"].items()]
    lists += [(f"benchmarks.{n}.sources", b["sources"]) for n, b in data["benchmarks"].items()]
    for key, items in lists:
        if not items:
            raise ConfigError(f"{where}: field '{key}': must not be empty")
        for index, rel in enumerate(items):
            if not (folder / rel).is_file():
                raise ConfigError(f"{where}: field '{key}[{index}]': {rel} does not exist")
    if data["model"] and not (folder / data["model"]).is_file():
        raise ConfigError(f"{where}: field 'model': {data['model']} does not exist")
    for key in ("tests", "benchmarks"):
        for name in data[key]:
            if not NAME_RE.match(name):
                raise ConfigError(f"{where}: field '{key}.{name}': name must match "
                                  f"{NAME_RE.pattern}")
    return Example(name=folder.name, folder=folder, data=data)


def example_folders(root: Path) -> list[Path]:
    base = root / "examples"
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if (p / "example.toml").is_file())


def load_examples(root: Path) -> dict[str, Example]:
    """Every example; the first malformed example.toml fails with file and field named."""
    examples = {}
    programs: dict[str, str] = {}
    for folder in example_folders(root):
        example = load_example(folder, root)
        for program in example.tests + example.benchmarks:
            if program.name in programs or program.name in [folder.name]:
                raise ConfigError(
                    f"examples/{folder.name}/example.toml: program name \"{program.name}\" "
                    f"is also used by {programs.get(program.name, folder.name)}"
                )
            programs[program.name] = folder.name
        examples[example.name] = example
    return examples
