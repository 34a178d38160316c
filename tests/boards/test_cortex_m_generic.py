"""cortex_m_generic: the runtime library builds and links for every TARGET_ARCH it lists."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from board_firmware import REPO, TARGETS, cpu_flags, load_board

BOARD = "cortex_m_generic"
LISTED_ARCHES = ("cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m4+fp", "cortex-m7+fp",
                 "cortex-m33", "cortex-m55")
# Tag_CPU_arch that readelf -A reports for each.
CPU_ARCH_TAGS = {
    "cortex-m0plus": "v6S-M", "cortex-m3": "v7", "cortex-m4": "v7E-M", "cortex-m4+fp": "v7E-M",
    "cortex-m7+fp": "v7E-M", "cortex-m33": "v8-M.mainline", "cortex-m55": "v8.1-M.mainline",
}  # fmt: skip
FLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-ffunction-sections",
         "-fdata-sections", "-fno-common"]
TIMEOUT_S = 300

APP = r"""
#include <stddef.h>
#include <stdint.h>

#include "mf_board.h"
#include "microforge.h"

/* The one board function a generic application supplies: its console. */
volatile uint32_t console_sum;
void mf_board_write(const char *data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    console_sum += (uint8_t)data[i];
  }
}

static const uint8_t not_a_model[64] __attribute__((aligned(16))) = {0};
static uint8_t tensor_arena[2048] __attribute__((aligned(16)));
MF_RESOLVER_DEFINE(resolver, MF_OP_COUNT);

int main(void) {
  mf_board_init();
  mf_resolver_add_all(&resolver);
  mf_model model;
  mf_interpreter interpreter;
  if (mf_model_map(&model, not_a_model, sizeof(not_a_model)) == MF_OK &&
      mf_interpreter_init(&interpreter, &model, &resolver, tensor_arena,
                          sizeof(tensor_arena)) == MF_OK &&
      mf_interpreter_allocate(&interpreter) == MF_OK) {
    mf_interpreter_invoke(&interpreter);
  }
  mf_log("ticks=%u per_second=%u", (unsigned)mf_board_ticks(),
         (unsigned)mf_board_ticks_per_second());
  mf_board_exit(0);
  return 0;
}
"""


def runtime_sources() -> list[Path]:
    sources = sorted((REPO / "micro" / "core").glob("*.c"))
    sources += sorted((REPO / "micro" / "kernels").glob("*.c"))
    sources.append(TARGETS / "common" / "platform.c")
    sources += sorted((TARGETS / "common" / "cortex_m").glob("*.c"))
    sources.append(TARGETS / BOARD / "board.c")
    missing = [s for s in sources if not s.is_file()]
    assert not missing, f"missing sources: {missing}"
    return sources


def run(command: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                          check=False, cwd=cwd)
    assert done.returncode == 0, f"{' '.join(command[:3])} ... failed:\n{done.stderr}"
    return done.stdout


def test_board_lists_every_arch() -> None:
    board = load_board(BOARD)
    assert tuple(board["target_arch"]) == LISTED_ARCHES
    assert board["default_arch"] in board["target_arch"]
    for name, entry in board["target_arch"].items():
        assert (entry["fpu"] == "none") == (entry["float_abi"] == "soft"), name


@pytest.mark.parametrize("arch", LISTED_ARCHES)
def test_library_builds_and_links(arch: str, tmp_path: Path) -> None:
    board = load_board(BOARD)
    flags = cpu_flags(board, board["target_arch"][arch]) + FLAGS
    includes = [f"-I{REPO / 'micro' / 'include'}", f"-I{TARGETS / 'common' / 'include'}"]
    sources = runtime_sources()

    def compile_one(index_source: tuple[int, Path]) -> Path:
        index, source = index_source
        obj = tmp_path / f"{index:03d}_{source.stem}.o"
        run(["arm-none-eabi-gcc", *flags, *includes, "-c", str(source), "-o", str(obj)])
        return obj

    with ThreadPoolExecutor(max_workers=2) as pool:
        objects = list(pool.map(compile_one, enumerate(sources)))
    library = tmp_path / "libmicroforge.a"
    run(["arm-none-eabi-ar", "rcs", str(library), *map(str, objects)])

    attributes = run(["arm-none-eabi-readelf", "-A", str(objects[0])])
    tag = re.search(r"Tag_CPU_arch: (\S+)", attributes)
    assert tag and tag.group(1) == CPU_ARCH_TAGS[arch], attributes
    hard_float = board["target_arch"][arch]["float_abi"] == "hard"
    assert ("Tag_ABI_VFP_args: VFP registers" in attributes) == hard_float, attributes

    app = tmp_path / "app.c"
    app.write_text(APP)
    elf = tmp_path / "app.elf"
    run(["arm-none-eabi-gcc", *flags, *includes, str(app), str(library), "-o", str(elf),
         "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections", "-Wl,-e,main", "-lm"])
    symbols = run(["arm-none-eabi-nm", str(elf)])
    for name in ("mf_interpreter_invoke", "mf_resolver_add_all", "mf_board_ticks", "mf_log"):
        assert re.search(rf" T {name}$", symbols, re.M), name
