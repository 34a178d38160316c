"""The SCons build end to end, on private copies of the tree: errors before any compile,
aliases, short output, incremental correctness, variants, models, runs and tests."""

from __future__ import annotations

import ctypes
import json
import math
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from microforge.config.resolve import VARIABLE_NAMES

from .support import compiled, copy_tree, edit, linked, scons

SINE_LINE = re.compile(r"^x_value: (-?\d+\.\d+), y_value: (-?\d+\.\d+)$", re.MULTILINE)
HELLO_WORLD_TOLERANCE = 0.08   # the tolerance the model reaches (examples/hello_world)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout[-4000:]
    return result.stdout


def failed(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout[-4000:]
    return result.stdout


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy that is never built: error checks can prove nothing was compiled."""
    return copy_tree(tmp_path_factory.mktemp("pristine"))


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    return copy_tree(tmp_path)


HOST_ALIASES = ("hello_world", "hello_world_test", "lib", "shared_lib")
FIRST_BUILD: dict[Path, str] = {}


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy with hello_world, its test and the libraries built for the host. Tests may add
    examples and boards to it, and edit headers, but not change what hello_world does."""
    root = copy_tree(tmp_path_factory.mktemp("host"))
    FIRST_BUILD[root] = ok(scons(root, *HOST_ALIASES))
    return root


# ---- errors stop the build before any compile -------------------------------------------

@pytest.mark.parametrize("words, message", [
    (["TARGET=qemu_cortex_m5"], 'unknown TARGET "qemu_cortex_m5" (did you mean "qemu_cortex_m'),
    (["TAGS=cmsis_n"], 'unknown TAGS value for host "cmsis_n" (did you mean "cmsis_nn"?)'),
    (["BUILD_TYPE=relase"], 'unknown BUILD_TYPE "relase" (did you mean "release"?)'),
    (["TARGT=host"], 'unknown variable "TARGT" (did you mean "TARGET"?)'),
    (["helo_world"], 'unknown alias or example "helo_world" (did you mean "hello_world"?)'),
    (["run_helo_world"], 'unknown alias or example "run_helo_world" (did you mean '
                         '"run_hello_world"?)'),
    (["TARGET=apollo3evb"], "TARGET=apollo3evb is not yet available"),
    (["TARGET=mbed", "TAGS=CMSIS"], "TARGET=mbed needs the board in TAGS"),
    (["TARGET=host", "TARGET_ARCH=cortex-m4"], 'unknown TARGET_ARCH for host "cortex-m4"'),
    (["MODEL=missing.tflite"], "MODEL=missing.tflite: no such file"),
    (["V=maybe"], 'V="maybe": expected 0 or 1'),
])
def test_bad_input_fails_before_any_compile(pristine: Path, words: list[str],
                                            message: str) -> None:
    output = failed(scons(pristine, *words))
    assert f"error: {message}" in output
    assert "valid:" in output or "not yet available" in output or "TAGS" in output \
        or "MODEL" in output or "expected" in output
    assert not compiled(output)
    assert not (pristine / "gen").exists()


def test_help_documents_every_variable_and_alias(pristine: Path) -> None:
    output = ok(scons(pristine, "-h"))
    for name in VARIABLE_NAMES:
        assert re.search(rf"^  {name} ", output, re.MULTILINE), name
    for alias in ("hello_world", "hello_world_bin", "run_hello_world", "test_hello_world",
                  "size_hello_world", "test", "benchmark", "list", "list_kernels", "lib",
                  "shared_lib", "all"):
        assert re.search(rf"^  {alias} ", output, re.MULTILINE), alias
    assert "<ex>_bin" in output and "TFLM spellings" in output
    assert not (pristine / "gen").exists()


def test_list_prints_targets_tags_and_examples(pristine: Path) -> None:
    output = ok(scons(pristine, "list"))
    assert re.search(r"^  host +available +this machine", output, re.MULTILINE)
    assert re.search(r"^  cmsis_nn +kernel variant", output, re.MULTILINE)
    assert re.search(r"^  profile +per-op profiling", output, re.MULTILINE)
    assert re.search(r"^  hello_world +\[host, arm, riscv, xtensa\] sine regression", output,
                     re.MULTILINE)
    assert re.search(r"^  esp32 +(not yet|available|export-only|planned)", output, re.MULTILINE)


def test_example_for_another_arch_is_refused(tree: Path) -> None:
    folder = tree / "examples" / "host_only"
    folder.mkdir()
    (folder / "main.c").write_text("int main(void) { return 0; }\n")
    (folder / "example.toml").write_text('description = "host only"\nsources = ["main.c"]\n'
                                         'arch = ["host"]\n')
    output = failed(scons(tree, "TARGET=qemu_cortex_m4", "run_host_only"))
    assert 'error: example "host_only" does not support TARGET=qemu_cortex_m4 (arm); it ' \
           "supports: host" in output
    assert not compiled(output)


def test_library_only_board_builds_the_library_only(pristine: Path) -> None:
    output = failed(scons(pristine, "TARGET=cortex_m_generic", "TARGET_ARCH=cortex-m0plus",
                          "hello_world"))
    assert "error: TARGET=cortex_m_generic builds only the runtime library" in output
    assert not compiled(output)


def test_export_only_board_exports_without_its_compiler(tree: Path) -> None:
    if shutil.which("xtensa-esp32-elf-gcc") is None:
        output = failed(scons(tree, "TARGET=esp", "hello_world"))
        assert "error: TARGET=esp32 is export-only here" in output
        assert not compiled(output)
    output = ok(scons(tree, "TARGET=esp", "generate_hello_world_esp_project"))
    assert (tree / "gen" / "esp32_default" / "prj" / "hello_world" / "esp" /
            "CMakeLists.txt").is_file()


def test_malformed_example_names_file_and_field(tree: Path) -> None:
    file = tree / "examples" / "hello_world" / "example.toml"
    edit(file, file.read_text().replace('timeout = 60', 'timeout = "soon"'))
    output = failed(scons(tree, "hello_world"))
    assert "error: examples/hello_world/example.toml: field 'timeout': expected an integer, " \
           'got "soon"' in output


def test_malformed_board_names_file_and_field(tree: Path) -> None:
    file = tree / "targets" / "qemu_cortex_m4" / "board.toml"
    edit(file, file.read_text().replace('cpu = "cortex-m4"', 'cpu = 4'))
    output = failed(scons(tree, "TARGET=qemu_cortex_m4", "hello_world"))
    assert "error: targets/qemu_cortex_m4/board.toml: field 'cpu': expected a string, got 4" \
        in output


# ---- output ------------------------------------------------------------------------------

def test_output_is_short_with_progress_and_summary(host: Path) -> None:
    output = FIRST_BUILD[host]
    assert "[1/" in output
    assert re.search(r"^\[\d+/\d+\] CC micro/core/\w+\.c$", output, re.MULTILINE)
    assert re.search(r"^\[\d+/\d+\] CC examples/hello_world/main\.c$", output, re.MULTILINE)
    assert re.search(r"^\[\d+/\d+\] MODEL examples/hello_world/hello_world\.tflite$", output,
                     re.MULTILINE)
    assert re.search(r"^\[\d+/\d+\] LD gen/host_default/bin/hello_world$", output, re.MULTILINE)
    assert re.search(r"^\[\d+/\d+\] AR gen/host_default/lib/libmicroforge\.a$", output,
                     re.MULTILINE)
    assert re.search(r"^artefacts gen/host_default: .*bin/hello_world \d+\.\d KB", output,
                     re.MULTILINE)
    assert " -Wall" not in output
    total = {int(m) for m in re.findall(r"^\[\d+/(\d+)\]", output, re.MULTILINE)}
    assert len(total) == 1


def test_verbose_shows_full_commands(host: Path) -> None:
    main = host / "examples" / "hello_world" / "main.c"
    edit(main, main.read_text() + "/* verbose */\n")
    output = ok(scons(host, "V=1", "hello_world"))
    assert re.search(r"gcc .*-o gen/host_default/obj/examples/hello_world/main\.o .*-Wall "
                     r"-Wextra -Werror", output)


# ---- incremental correctness -----------------------------------------------------------

def test_touching_nothing_rebuilds_nothing(host: Path) -> None:
    for extra in ([], ["FAST=1"]):
        output = ok(scons(host, *HOST_ALIASES, *extra))
        assert not compiled(output) and not linked(output), output


def _dependants(root: Path, header: Path, sources: list[str], includes: list[str]) -> set[str]:
    found = set()
    for source in sources:
        deps = subprocess.run(["gcc", "-MM", "-MG", *[f"-I{i}" for i in includes], source],
                              cwd=root, capture_output=True, text=True, timeout=60, check=True)
        if str(header.relative_to(root)) in deps.stdout.replace("\\\n", " ").split():
            found.add(source)
    return found


def test_editing_a_header_rebuilds_exactly_its_dependants(host: Path) -> None:
    built = [s for s in compiled(FIRST_BUILD[host]) if not s.startswith("gen/")]
    includes = ["micro/include", "targets/common/include", "micro/kernels", "micro/testing",
                "examples/hello_world", "targets/host", "micro/runner"]
    for header in (host / "examples" / "hello_world" / "sine_model.h",
                   host / "micro" / "include" / "mf_platform.h"):
        expected = _dependants(host, header, built, includes)
        assert expected, header
        edit(header, header.read_text() + "\n/* edited */\n")
        output = ok(scons(host, *HOST_ALIASES))
        assert set(compiled(output)) == expected, (header, output)
        # Objects equal to the previous ones (a comment) do not relink: content signatures.
        assert set(linked(output)) <= {f"gen/host_default/bin/{p}" for p in
                                       ("hello_world", "hello_world_test")}


def test_same_size_edits_within_one_second_are_seen(host: Path) -> None:
    main = host / "examples" / "hello_world" / "main.c"
    original = main.read_text()
    assert "#define HELLO_WORLD_STEPS 20" in original
    for steps in ("30", "20", "30", "20"):
        # No time stamp games: the edits and builds follow each other within the second.
        main.write_text(re.sub(r"#define HELLO_WORLD_STEPS \d\d", f"#define HELLO_WORLD_STEPS "
                               f"{steps}", original))
        output = ok(scons(host, "run_hello_world"))
        assert compiled(output) == ["examples/hello_world/main.c"]
        assert len(SINE_LINE.findall(output)) == int(steps)


def test_a_flag_change_rebuilds(host: Path) -> None:
    output = ok(scons(host, "BUILD_TYPE=debug", "hello_world"))
    assert "gen/host_debug/bin/hello_world" in linked(output)
    assert any(s.startswith("micro/core/") for s in compiled(output))
    # The default configuration is untouched by the debug build.
    assert not compiled(ok(scons(host, "hello_world")))


def test_a_define_in_example_data_rebuilds_that_example_only(host: Path) -> None:
    file = host / "examples" / "hello_world" / "example.toml"
    original = file.read_text()
    edit(file, original.replace(
        'libs = ["m"]', 'libs = ["m"]\ndefines = ["HELLO_WORLD_STEPS=21"]'))
    output = ok(scons(host, "run_hello_world"))
    assert set(compiled(output)) == {"examples/hello_world/main.c",
                                     "examples/hello_world/sine_model.c",
                                     "gen/host_default/obj/examples/hello_world/g_model.c"}
    assert len(SINE_LINE.findall(output)) == 21
    edit(file, original)
    assert len(SINE_LINE.findall(ok(scons(host, "run_hello_world")))) == 20


def test_switching_target_and_back_reuses_the_objects(host: Path) -> None:
    ok(scons(host, "TARGET=qemu_cortex_m4", "hello_world"))
    output = ok(scons(host, "hello_world"))
    assert not compiled(output) and not linked(output), output
    output = ok(scons(host, "TARGET=qemu_cortex_m4", "hello_world"))
    assert not compiled(output) and not linked(output), output
    assert (host / "gen" / "qemu_cortex_m4_default" / "obj" / "micro" / "core").is_dir()
    assert (host / "gen" / "host_default" / "obj" / "micro" / "core").is_dir()


def test_shared_build_cache_serves_a_second_tree(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = copy_tree(tmp_path / "a")
    ok(scons(first, f"CACHE={cache}", "CCACHE=0", "lib"))
    second = copy_tree(tmp_path / "b")
    output = ok(scons(second, f"CACHE={cache}", "CCACHE=0", "lib"))
    assert "Retrieved" in output
    assert not compiled(output)


# ---- kernel variants ---------------------------------------------------------------------

def test_variant_file_replaces_the_reference_kernel(tree: Path) -> None:
    reference = tree / "micro" / "kernels" / "relu.c"
    variant = tree / "micro" / "kernels" / "cmsis_nn" / "relu.c"
    variant.parent.mkdir()
    variant.write_text("/* cmsis_nn variant */\n" + reference.read_text())
    listing = ok(scons(tree, "TAGS=cmsis_nn", "list_kernels"))
    assert re.search(r"^  relu\.c +cmsis_nn +micro/kernels/cmsis_nn/relu\.c \(replaces "
                     r"reference\)$", listing, re.MULTILINE)
    assert re.search(r"^  add\.c +reference +micro/kernels/add\.c$", listing, re.MULTILINE)
    assert "no kernels yet" not in listing
    output = ok(scons(tree, "TAGS=cmsis_nn", "lib"))
    assert "micro/kernels/cmsis_nn/relu.c" in compiled(output)
    assert "micro/kernels/relu.c" not in compiled(output)
    members = subprocess.run(["ar", "t", "gen/host_default_cmsis_nn/lib/libmicroforge.a"],
                             cwd=tree, capture_output=True, text=True, timeout=60,
                             check=True).stdout.split()
    assert members.count("relu.o") == 1


def test_empty_known_variant_builds_reference_kernels_and_says_so(host: Path) -> None:
    output = ok(scons(host, "TAGS=CMSIS", "lib"))
    notes = [line for line in output.splitlines() if "cmsis_nn" in line and "note:" in line]
    assert "note: kernel variant cmsis_nn has no kernels yet: every op uses the reference " \
        "kernel" in notes
    assert "micro/kernels/relu.c" in compiled(output)


# ---- models --------------------------------------------------------------------------------

def test_malformed_model_fails_the_build_with_the_reason(host: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x10\x00\x00\x00NOPE" + bytes(64))
    output = failed(scons(host, f"MODEL={bad}", "hello_world"))
    assert re.search(r"error: model .*bad\.tflite: .*(TFL3|identifier)", output), output
    assert not linked(output)


def test_model_array_is_aligned_and_complete(host: Path) -> None:
    ok(scons(host, "hello_world"))
    text = (host / "gen" / "host_default" / "obj" / "examples" / "hello_world" /
            "g_model.c").read_text()
    assert "_Alignas(16) const uint8_t g_model[" in text
    data = (host / "examples" / "hello_world" / "hello_world.tflite").read_bytes()
    values = [int(v, 16) for v in re.findall(r"0x([0-9a-f]{2})", text)]
    assert bytes(values) == data
    assert f"g_model_len = {len(data)}u" in text


def test_model_override_runs_another_model(host: Path, shared_models: Path) -> None:
    model = shared_models / "hello_world_int8.tflite"
    output = ok(scons(host, f"MODEL={model}", "run_hello_world"))
    assert len(SINE_LINE.findall(output)) == 20


# ---- running and testing on the host ----------------------------------------------------

def test_run_hello_world_prints_a_sine(host: Path) -> None:
    output = ok(scons(host, "run_hello_world"))
    points = [(float(x), float(y)) for x, y in SINE_LINE.findall(output)]
    assert len(points) == 20
    assert points[0][0] == 0.0
    for x, y in points:
        assert abs(y - math.sin(x)) <= HELLO_WORLD_TOLERANCE, (x, y)


def test_test_alias_passes_and_reports(host: Path) -> None:
    output = ok(scons(host, "test_hello_world"))
    assert "PASS hello_world_test (5 cases)" in output
    assert "tests: 1 passed, 0 failed" in output
    log = (host / "gen" / "host_default" / "test" / "hello_world_test.log").read_text()
    assert "~~~ALL TESTS PASSED~~~" in log


def add_example(root: Path, name: str, test_source: str, timeout: int = 30) -> None:
    folder = root / "examples" / name
    folder.mkdir()
    (folder / "main.c").write_text("int main(void) { return 0; }\n")
    (folder / f"{name}_test.c").write_text(test_source)
    (folder / "example.toml").write_text(
        f'description = "{name}"\nsources = ["main.c"]\narch = ["host"]\n\n'
        f'[tests.{name}_test]\nsources = ["{name}_test.c"]\ntimeout = {timeout}\n')


def test_a_failing_test_fails_the_alias(host: Path) -> None:
    add_example(host, "failing", (
        '#include "mf_board.h"\n#include "mf_test.h"\n'
        "MF_TEST(passes) { MF_EXPECT_EQ_INT(2 + 2, 4); }\n"
        "MF_TEST(fails) { MF_EXPECT_EQ_INT(2 + 2, 5); }\n"
        "int main(void) {\n  mf_board_init();\n"
        "  static const mf_test_case cases[] = {MF_TEST_CASE(passes), MF_TEST_CASE(fails)};\n"
        '  return MF_TEST_RUN("failing", cases);\n}\n'))
    output = failed(scons(host, "test_failing"))
    assert "MF-CASE fails FAIL" in output
    assert "FAIL failing_test: some tests failed" in output
    assert "tests: 0 passed, 1 failed" in output


def test_a_hanging_test_is_stopped_at_its_timeout(host: Path) -> None:
    add_example(host, "hang", (
        '#include "mf_board.h"\nint main(void) {\n  mf_board_init();\n'
        "  for (volatile int spin = 1; spin;) {\n  }\n  return 0;\n}\n"), timeout=2)
    start = time.monotonic()
    output = failed(scons(host, "test_hang"))
    assert time.monotonic() - start < 120
    assert "FAIL hang_test: timed out after 2 s" in output


def test_shared_library_loads_with_the_runtime_and_host_api(host: Path) -> None:
    library = host / "gen" / "host_default" / "lib" / "libmicroforge.so"
    loaded = ctypes.CDLL(str(library))
    assert loaded.mf_model_map is not None
    assert loaded.mf_interpreter_invoke is not None
    if (host / "micro" / "runner" / "host_api.c").is_file():
        assert loaded.mf_host_error is not None


def test_clang_builds_into_its_own_folder(host: Path) -> None:
    output = ok(scons(host, "CC=clang", "run_hello_world"))
    assert "gen/host_default_clang/bin/hello_world" in linked(output)
    assert len(SINE_LINE.findall(output)) == 20


# ---- boards are data -----------------------------------------------------------------------

def test_a_board_is_added_by_adding_a_folder(host: Path) -> None:
    source = host / "targets" / "qemu_cortex_m4"
    folder = host / "targets" / "my_m4"
    folder.mkdir()
    for item in source.iterdir():
        if item.is_file() and item.name != "board.toml":
            (folder / item.name).write_bytes(item.read_bytes())
    text = (source / "board.toml").read_text()
    text = text.replace('name = "qemu_cortex_m4"', 'name = "my_m4"')
    text = re.sub(r"^aliases = .*$", "aliases = []", text, flags=re.MULTILINE)
    (folder / "board.toml").write_text(text)
    output = ok(scons(host, "TARGET=my_m4", "run_hello_world"))
    assert "gen/my_m4_default/bin/hello_world.elf" in linked(output)
    assert len(SINE_LINE.findall(output)) == 20

    # The same board with a 4 KB flash region: the link is checked against [memory].
    small = re.sub(r"^flash = \{ origin = 0x00000000, size = 0x[0-9A-Fa-f]+ \}$",
                   "flash = { origin = 0x00000000, size = 0x1000 }", text, flags=re.MULTILINE)
    assert "size = 0x1000" in small
    edit(folder / "board.toml", small)
    output = failed(scons(host, "TARGET=my_m4", "hello_world"))
    assert not compiled(output)
    assert re.search(r"error: hello_world\.elf: region flash overflows by \d+ bytes "
                     r"\(\d+ used, 4096 available\)", output), output


# ---- emulated boards -----------------------------------------------------------------------

def test_emulated_board_runs_the_test_and_the_image(host: Path) -> None:
    output = ok(scons(host, "TARGET=qemu_cortex_m4", "test_hello_world", "hello_world_bin",
                      "size_hello_world"))
    assert "PASS hello_world_test (5 cases)" in output
    image = host / "gen" / "qemu_cortex_m4_default" / "bin" / "hello_world.bin"
    assert image.stat().st_size > 1024
    report = json.loads((host / "gen" / "qemu_cortex_m4_default" / "size" /
                         "hello_world.json").read_text())
    berkeley = subprocess.run(["arm-none-eabi-size", "gen/qemu_cortex_m4_default/bin/"
                               "hello_world.elf"], cwd=host, capture_output=True, text=True,
                              timeout=60, check=True).stdout.splitlines()[1].split()
    assert [report["text"], report["data"], report["bss"]] == [int(v) for v in berkeley[:3]]
    flash = {r["name"]: r for r in report["regions"]}["flash"]
    assert flash["used"] == report["text"] + report["data"]
    assert re.search(r"^  flash +\d+ / 4194304 bytes", output, re.MULTILINE)


def test_riscv_board_runs_hello_world(host: Path) -> None:
    output = ok(scons(host, "TARGET=qemu_riscv32", "run_hello_world"))
    points = [(float(x), float(y)) for x, y in SINE_LINE.findall(output)]
    assert len(points) == 20
    for x, y in points:
        assert abs(y - math.sin(x)) <= HELLO_WORLD_TOLERANCE


def test_physical_board_run_says_how_to_flash(host: Path) -> None:
    boards = ok(scons(host, "list"))
    if not re.search(r"^  sparkfun_edge +available", boards, re.MULTILINE):
        pytest.fail("targets/sparkfun_edge is expected to be available")
    output = failed(scons(host, "TARGET=sparkfun_edge", "run_hello_world"))
    assert "sparkfun_edge is a physical board without an emulator" in output
    assert (host / "gen" / "sparkfun_edge_default" / "bin" / "hello_world.elf").is_file()
