"""The boards through the real build: `scons TARGET=<board> ...` in a private copy of the tree."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from board_firmware import (
    EMULATED_BOARDS,
    REAL_BOARDS,
    check_vector_table,
    copy_tree,
    load_board,
    scons,
)

pytestmark = pytest.mark.slow

GENERIC_ARCHES = ("cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m4+fp", "cortex-m7+fp",
                  "cortex-m33", "cortex-m55")
# Tag_CPU_arch that readelf -A reports for each.
CPU_ARCH_TAGS = {
    "cortex-m0plus": "v6S-M", "cortex-m3": "v7", "cortex-m4": "v7E-M", "cortex-m4+fp": "v7E-M",
    "cortex-m7+fp": "v7E-M", "cortex-m33": "v8-M.mainline", "cortex-m55": "v8.1-M.mainline",
}  # fmt: skip
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


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_tree(tmp_path_factory.mktemp("scons_boards"))


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-4000:]
    return result.stdout


def output_dir(output: str, tree: Path) -> Path:
    match = re.search(r"^artefacts (gen/[^:\s]+)", output, re.M)
    assert match, output[-2000:]
    folder = tree / match.group(1)
    return folder.parent if folder.name == "lib" else folder


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_hello_world_tests_pass_on_the_emulated_board(tree: Path, board: str) -> None:
    output = ok(scons(tree, f"TARGET={board}", "test_hello_world"))
    assert re.search(r"^PASS hello_world_test \(\d+ cases\)$", output, re.M), output[-2000:]


@pytest.mark.parametrize("board", EMULATED_BOARDS)
def test_benchmark_ticks_are_instructions_and_repeatable(tree: Path, board: str) -> None:
    runs = []
    for _ in range(2):
        output = ok(scons(tree, f"TARGET={board}", "benchmark"))
        runs.append(re.findall(r"^MF-BENCH hello_world ticks=(\d+) .*"
                               r"ticks_per_second=(\d+)", output, re.M))
    assert runs[0] and runs[0] == runs[1]
    ticks, per_second = map(int, runs[0][0])
    assert per_second == load_board(board)["ticks"]["ticks_per_second"]
    assert ticks > 1000


@pytest.mark.parametrize("board", REAL_BOARDS)
def test_real_board_image_from_the_build(tree: Path, board: str) -> None:
    output = ok(scons(tree, f"TARGET={board}", "hello_world_bin"))
    bin_dir = output_dir(output, tree) / "bin"
    elf = bin_dir / "hello_world.elf"
    check_vector_table(board, elf)
    for kind in load_board(board)["images"]:
        image = bin_dir / f"hello_world.{kind}"
        assert image.is_file() and image.stat().st_size > 0, image


def test_generic_board_lists_every_arch() -> None:
    board = load_board("cortex_m_generic")
    assert tuple(board["target_arch"]) == GENERIC_ARCHES
    assert board["default_arch"] in board["target_arch"]
    for name, entry in board["target_arch"].items():
        assert (entry["fpu"] == "none") == (entry["float_abi"] == "soft"), name


@pytest.mark.parametrize("arch", GENERIC_ARCHES)
def test_generic_library_links_for_every_target_arch(tree: Path, arch: str,
                                                      tmp_path: Path) -> None:
    output = ok(scons(tree, "TARGET=cortex_m_generic", f"TARGET_ARCH={arch}", "lib"))
    library = output_dir(output, tree) / "lib" / "libmicroforge.a"
    assert library.is_file(), output[-2000:]
    entry = load_board("cortex_m_generic")["target_arch"][arch]
    flags = [f"-mcpu={entry['cpu']}", "-mthumb"]
    flags += ([f"-mfpu={entry['fpu']}", f"-mfloat-abi={entry['float_abi']}"]
              if entry["fpu"] != "none" else ["-mfloat-abi=soft"])
    # The build's `lib` holds the runtime; the board part (board.c, targets/common/cortex_m,
    # platform.c) is compiled here with the same cpu flags, as a program build links it.
    board = load_board("cortex_m_generic")
    board_sources = [tree / "targets" / "cortex_m_generic" / s for s in board["sources"]]
    for common in board["common"]:
        board_sources += sorted((tree / "targets" / "common" / common).glob("*.c"))
    board_sources.append(tree / "targets" / "common" / "platform.c")
    app = tmp_path / "app.c"
    app.write_text(APP)
    elf = tmp_path / "app.elf"
    link = subprocess.run(
        ["arm-none-eabi-gcc", *flags, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
         "-ffunction-sections", "-fdata-sections",
         f"-I{tree / 'micro' / 'include'}", f"-I{tree / 'targets' / 'common' / 'include'}",
         str(app), *map(str, board_sources), str(library), "-o", str(elf), "-nostartfiles",
         "--specs=nano.specs", "-Wl,--gc-sections", "-Wl,-e,main", "-lm"],
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert link.returncode == 0, link.stderr
    attributes = subprocess.run(["arm-none-eabi-readelf", "-A", str(library)],
                                capture_output=True, text=True, timeout=TIMEOUT_S,
                                check=True).stdout
    tag = re.search(r"Tag_CPU_arch: (\S+)", attributes)
    assert tag and tag.group(1) == CPU_ARCH_TAGS[arch], attributes[:2000]
    hard_float = entry["float_abi"] == "hard"
    assert ("Tag_ABI_VFP_args: VFP registers" in attributes) == hard_float
    symbols = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True,
                             timeout=TIMEOUT_S, check=True).stdout
    for name in ("mf_interpreter_invoke", "mf_resolver_add_all", "mf_board_ticks", "mf_log"):
        assert re.search(rf" T {name}$", symbols, re.M), name
