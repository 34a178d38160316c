"""The Arduino export is a library zip with the layout the Arduino library specification (1.5
format) requires, and its sources compile for a Cortex-M4 the way the Arduino build compiles
a library: C sources with arm-none-eabi-gcc, C++ (the library header, the sketch) with
arm-none-eabi-g++, and only src/ on the include path."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from export_support import offering, require_tools, run, spec_for
from microforge.export import BuildSpec, write_project
from test_esp_mbed import compile_all

BOARD = "sparkfun_edge"
EXAMPLE = "hello_world"
NAME = f"microforge_{EXAMPLE}"
CATEGORIES = {"Display", "Communication", "Signal Input/Output", "Sensors", "Device Control",
              "Timing", "Data Storage", "Data Processing", "Other", "Uncategorized"}
REQUIRED = ("name", "version", "author", "maintainer", "sentence", "paragraph", "category",
            "url", "architectures")
# Declarations of the Arduino core API the sketch uses, as the Arduino language reference
# documents them. Compile-only: there is no Arduino core here to build or link against.
ARDUINO_API = """#pragma once
#include <stddef.h>
#include <stdint.h>
class HardwareSerial {
 public:
  void begin(unsigned long baud);
  size_t write(const uint8_t *buffer, size_t size);
  size_t print(const char *text);
  size_t println(int value);
  void flush();
  explicit operator bool();
};
extern HardwareSerial Serial;
unsigned long millis();
unsigned long micros();
void delay(unsigned long ms);
"""


@pytest.fixture(scope="module")
def library(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildSpec, Path]:
    spec = offering(spec_for(tree, BOARD), "arduino")
    out = tmp_path_factory.mktemp("arduino")
    report = write_project(spec, "arduino", out / "project")
    assert [str(p) for p in report.written] == [f"{NAME}.zip"]
    archive = out / "project" / f"{NAME}.zip"
    with zipfile.ZipFile(archive) as opened:
        assert opened.testzip() is None
        opened.extractall(out / "unpacked")
    return spec, out / "unpacked" / NAME


def properties(folder: Path) -> dict[str, str]:
    result = {}
    for line in (folder / "library.properties").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"not key=value: {line!r}"
            result[key] = value
    return result


def test_zip_has_the_library_layout(library: tuple[BuildSpec, Path]) -> None:
    spec, folder = library
    root = folder.parent
    assert [p.name for p in root.iterdir()] == [NAME], "one library folder at the zip root"
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}", NAME)
    assert sorted(p.name for p in folder.iterdir()) == ["examples", "library.properties", "src"]
    sketch = folder / "examples" / EXAMPLE / f"{EXAMPLE}.ino"
    assert sketch.is_file(), "examples/<ex>/<ex>.ino: the sketch folder matches its name"

    meta = properties(folder)
    for key in REQUIRED:
        assert meta.get(key), f"library.properties lacks {key}"
    assert meta["name"] == NAME
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"])
    assert meta["category"] in CATEGORIES
    assert meta["architectures"] == "*"
    assert re.fullmatch(r"https?://\S+", meta["url"])
    for header in meta["includes"].split(","):
        assert (folder / "src" / header.strip()).is_file()
    assert meta["ldflags"] == " ".join(f"-l{lib}" for lib in spec.libs)


def test_defines_and_entry_point(library: tuple[BuildSpec, Path]) -> None:
    spec, folder = library
    config = (folder / "src" / "mf_build_config.h").read_text()
    defined = re.findall(r"^#define (\w+) (.*)$", config, re.MULTILINE)
    expected = [(d.partition("=")[0], d.partition("=")[2] or "1") for d in spec.all_defines]
    assert [d for d in defined if d[0] != "MF_BUILD_CONFIG_H"] == expected
    for source in (folder / "src").rglob("*.c"):
        assert source.read_text().startswith('#include "mf_build_config.h"'), source


def test_sources_compile_for_cortex_m4_as_arduino_builds_them(library: tuple[BuildSpec, Path],
                                                              tmp_path: Path) -> None:
    spec, folder = library
    require_tools("arm-none-eabi-gcc", "arm-none-eabi-g++", "arm-none-eabi-ld",
                  "arm-none-eabi-nm")
    src = folder / "src"
    c_sources = sorted(src.rglob("*.c"))
    assert {PurePosixPath(p.relative_to(src).as_posix()).name for p in c_sources} >= {
        "main.c", "platform.c", "g_model.c"}
    cpu = ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]
    own = [f for f in spec.cflags if f not in spec.cpu_flags]
    objects = tmp_path / "c"
    compile_all(c_sources, [*cpu, *own, f"-I{src}"], objects)

    # The Arduino core owns main(): the library defines the example's entry, never main.
    linked = tmp_path / "library.o"
    run(["arm-none-eabi-ld", "-r", "-o", linked, *sorted(objects.glob("*.o"))], cwd=tmp_path)
    symbols = run(["arm-none-eabi-nm", linked], cwd=tmp_path).output
    assert re.search(r" T mf_example_main$", symbols, re.MULTILINE)
    assert not re.search(r" T main$", symbols, re.MULTILINE)
    undefined = set(re.findall(r"^\s+U (\w+)$", symbols, re.MULTILINE))
    board = {"mf_board_init", "mf_board_write", "mf_board_ticks", "mf_board_ticks_per_second",
             "mf_board_exit"}
    # Nothing of microforge is missing but the board interface, which the sketch supplies.
    assert {"mf_board_write", "mf_board_init"} <= undefined
    assert {u for u in undefined if u.startswith("mf_")} <= board

    # C++: the sketch as the Arduino build makes it (Arduino.h first), against the core's API.
    api = tmp_path / "api"
    api.mkdir()
    (api / "Arduino.h").write_text(ARDUINO_API)
    sketch = folder / "examples" / EXAMPLE / f"{EXAMPLE}.ino"
    cpp = tmp_path / f"{EXAMPLE}.ino.cpp"
    cpp.write_text(f'#include <Arduino.h>\n#line 1 "{sketch}"\n{sketch.read_text()}')
    run(["arm-none-eabi-g++", *cpu, "-std=gnu++17", "-Wall", "-Wextra", "-Werror",
         f"-I{api}", f"-I{src}", "-c", cpp, "-o", tmp_path / "sketch.o"], cwd=tmp_path)
    sketch_symbols = run(["arm-none-eabi-nm", tmp_path / "sketch.o"], cwd=tmp_path).output
    for function in board:   # C linkage, so the library's C objects find them
        assert re.search(rf" T {function}$", sketch_symbols, re.MULTILINE), function
    assert re.search(r" U mf_example_main$", sketch_symbols, re.MULTILINE)
