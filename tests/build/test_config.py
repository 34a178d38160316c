"""Board data, schema validation, TFLM spellings, variants and error messages (no compiles)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from microforge.config import ConfigError, load_board, load_boards, load_examples, resolve
from microforge.config.errors import suggest
from microforge.config.resolve import VARIABLE_NAMES
from microforge.config.toolchain import cpu_flags, find, load_toolchain, riscv_abi, toolchain_names
from microforge.config.variants import load_variant, overlay

from .support import ROOT


def toml(data: dict[str, Any]) -> str:
    """A small TOML writer for the test data (strings, ints, bools, lists, tables)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(v)

    plain = [f"{k} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = []
    for key, sub in data.items():
        if isinstance(sub, dict):
            tables.append(f"\n[{key}]")
            tables += [f"{k} = {value(v)}" for k, v in sub.items()]
    return "\n".join(plain + tables) + "\n"


ARM_BOARD = {
    "name": "mcu", "description": "a test MCU", "arch": "arm", "cpu": "cortex-m4",
    "fpu": "fpv4-sp-d16", "float_abi": "hard", "toolchain": "arm-none-eabi",
    "sources": ["board.c"], "aliases": ["mcu_alias"], "tags": ["fancy"],
    "memory": {"flash": {"origin": 0, "size": 4096}, "ram": {"origin": 0x20000000, "size": 1024}},
}


def write_board(root: Path, name: str, data: dict[str, Any], files: tuple[str, ...] = ()) -> Path:
    folder = root / "targets" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "board.toml").write_text(toml(data))
    for file in files:
        (folder / file).write_text("/* board */\n")
    return folder


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """A minimal source tree: the real toolchain files, a host board and an Arm board."""
    root = tmp_path / "tree"
    shutil.copytree(ROOT / "targets" / "toolchains", root / "targets" / "toolchains")
    (root / "targets" / "common" / "include").mkdir(parents=True)
    (root / "micro" / "kernels").mkdir(parents=True)
    (root / "micro" / "core").mkdir(parents=True)
    shutil.copytree(ROOT / "targets" / "host", root / "targets" / "host")
    write_board(root, "mcu", ARM_BOARD, ("board.c",))
    return root


def args(**values: str) -> dict[str, str]:
    return values


def resolved(root: Path, **values: str):
    return resolve(values, root, find_tools=False)


def error_of(root: Path, **values: str) -> str:
    with pytest.raises(ConfigError) as info:
        resolved(root, **values)
    return str(info.value)


# ---- the real tree ---------------------------------------------------------------------

def test_every_board_in_the_tree_is_valid() -> None:
    boards = load_boards(ROOT)
    assert not boards.broken, {k: str(v) for k, v in boards.broken.items()}
    assert "host" in boards.boards


def test_every_toolchain_file_is_valid() -> None:
    names = toolchain_names(ROOT)
    assert {"gcc", "clang", "arm-none-eabi", "riscv64-unknown-elf"} <= set(names)
    for name in names:
        assert load_toolchain(ROOT, name).name == name


def test_every_example_is_valid() -> None:
    examples = load_examples(ROOT)
    assert "hello_world" in examples
    assert examples["hello_world"].model is not None


def test_toolchain_debian_packages_are_the_documented_ones() -> None:
    assert load_toolchain(ROOT, "arm-none-eabi").debian_packages == [
        "gcc-arm-none-eabi", "libnewlib-arm-none-eabi"]
    assert load_toolchain(ROOT, "riscv64-unknown-elf").debian_packages == [
        "gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf"]
    assert load_toolchain(ROOT, "gcc").debian_packages == ["gcc"]
    assert load_toolchain(ROOT, "clang").debian_packages == ["clang"]


# ---- schema validation: file and field named ------------------------------------------

@pytest.mark.parametrize("change, expected", [
    ({"cpu": 4}, "field 'cpu': expected a string, got 4"),
    ({"arch": "mips"}, "field 'arch': \"mips\" is not one of arm, riscv, xtensa, host"),
    ({"status": "availabel"}, 'did you mean "available"'),
    ({"sources": "board.c"}, "field 'sources': expected a list of strings"),
    ({"sources": ["board.c", 3]}, "field 'sources[1]': expected a string, got 3"),
    ({"cpuu": "x"}, "unknown field 'cpuu' (did you mean \"cpu\"?)"),
    ({"name": "other"}, "field 'name': \"other\" must equal the folder name \"mcu\""),
    ({"float_abi": "soft"}, "field 'float_abi': \"soft\" with fpu"),
    ({"sources": ["missing.c"]}, "field 'sources[0]': missing.c does not exist"),
    ({"linker_script": "nope.ld"}, "field 'linker_script': nope.ld does not exist"),
    ({"common": ["nothere"]}, "field 'common[0]': targets/common/nothere does not exist"),
    ({"memory": {"flash": {"origin": 0}}}, "missing required field 'memory.flash.size'"),
    ({"memory": {"flash": {"origin": 0, "size": "4K"}}},
     "field 'memory.flash.size': expected an integer, got \"4K\""),
    ({"flash": {"method": "jtag"}}, "field 'flash.method': \"jtag\" is not one of"),
    ({"emulator": {"machine": "virt"}}, "missing required field 'emulator.program'"),
])
def test_malformed_board_names_file_and_field(tree: Path, change: dict, expected: str) -> None:
    data = {**ARM_BOARD, **change}
    folder = write_board(tree, "mcu", data, ("board.c",))
    with pytest.raises(ConfigError) as info:
        load_board(folder, tree)
    message = str(info.value)
    assert message.startswith("targets/mcu/board.toml: "), message
    assert expected in message, message


def test_missing_required_field(tree: Path) -> None:
    data = {k: v for k, v in ARM_BOARD.items() if k != "toolchain"}
    folder = write_board(tree, "mcu", data, ("board.c",))
    with pytest.raises(ConfigError, match=r"targets/mcu/board.toml: missing required field "
                                          r"'toolchain'"):
        load_board(folder, tree)


def test_toml_syntax_error_names_the_file(tree: Path) -> None:
    folder = tree / "targets" / "mcu"
    (folder / "board.toml").write_text('name = "mcu"\ncpu = \n')
    with pytest.raises(ConfigError, match=r"targets/mcu/board.toml: not valid TOML: .*line 2"):
        load_board(folder, tree)


def test_a_broken_board_does_not_break_other_targets(tree: Path) -> None:
    (tree / "targets" / "mcu" / "board.toml").write_text('name = "mcu"\n')
    assert resolved(tree).board.name == "host"
    message = error_of(tree, TARGET="mcu")
    assert "targets/mcu/board.toml: missing required field" in message


def test_planned_board_may_name_files_that_do_not_exist_yet(tree: Path) -> None:
    folder = write_board(tree, "later", {**ARM_BOARD, "name": "later", "status": "planned",
                                         "sources": ["todo.c"], "aliases": []})
    assert load_board(folder, tree).status == "planned"


# ---- resolution: targets, aliases and TFLM spellings ------------------------------------

def test_default_target_is_the_host(tree: Path) -> None:
    config = resolved(tree)
    assert config.board.name == "host"
    assert config.name == "host_default"
    assert config.gen_dir == tree / "gen" / "host_default"


def test_board_alias_selects_the_board(tree: Path) -> None:
    config = resolved(tree, TARGET="mcu_alias")
    assert config.board.name == "mcu"
    assert config.name == "mcu_default"
    assert any("alias" in note for note in config.notes)


def test_unknown_target_suggests_and_lists(tree: Path) -> None:
    message = error_of(tree, TARGET="mcv")
    assert 'unknown TARGET "mcv" (did you mean "mcu"?)' in message
    assert "valid:" in message and "host" in message and "sparkfun_edge" in message


def test_known_tflm_target_without_a_folder_is_not_yet_available(tree: Path) -> None:
    message = error_of(tree, TARGET="sparkfun_edge")
    assert "TARGET=sparkfun_edge is not yet available" in message
    assert "no targets/sparkfun_edge/board.toml yet" in message
    message = error_of(tree, TARGET="esp")
    assert 'TARGET=esp: board "esp32" is not yet available' in message


def test_planned_board_is_not_yet_available(tree: Path) -> None:
    write_board(tree, "later", {**ARM_BOARD, "name": "later", "status": "planned",
                                "aliases": []})
    message = error_of(tree, TARGET="later")
    assert "TARGET=later is not yet available" in message
    assert 'status = "planned"' in message


def test_tflm_spelling_maps_to_our_board(tree: Path) -> None:
    write_board(tree, "sparkfun_edge", {**ARM_BOARD, "name": "sparkfun_edge", "aliases": [],
                                        "tags": []}, ("board.c",))
    write_board(tree, "esp32", {**ARM_BOARD, "name": "esp32", "aliases": [], "tags": []},
                ("board.c",))
    assert resolved(tree, TARGET="sparkfun_edge").board.name == "sparkfun_edge"
    config = resolved(tree, TARGET="esp")
    assert config.board.name == "esp32"
    assert "TARGET=esp (TFLM spelling) -> board esp32" in config.notes


def test_mbed_with_board_and_cmsis_in_tags(tree: Path) -> None:
    write_board(tree, "disco_f746ng", {**ARM_BOARD, "name": "disco_f746ng", "aliases": [],
                                       "tags": []}, ("board.c",))
    config = resolved(tree, TARGET="mbed", TAGS="CMSIS disco_f746ng")
    assert config.board.name == "disco_f746ng"
    assert [v.name for v in config.variants] == ["cmsis_nn"]
    assert config.name == "disco_f746ng_default_cmsis_nn"
    assert any("no kernels yet" in note for note in config.notes)


def test_mbed_without_a_board_in_tags(tree: Path) -> None:
    assert "TARGET=mbed needs the board in TAGS" in error_of(tree, TARGET="mbed", TAGS="CMSIS")


def test_mbed_with_a_board_that_is_not_there_yet(tree: Path) -> None:
    message = error_of(tree, TARGET="mbed", TAGS="CMSIS disco_f746ng")
    assert 'TARGET=mbed TAGS=disco_f746ng: board "disco_f746ng" is not yet available' in message


# ---- TAGS, variants, build types, TARGET_ARCH, variables -------------------------------

def test_optimized_kernel_dir_and_cmsis_tag_are_the_same_variant(tree: Path) -> None:
    by_dir = resolved(tree, TARGET="mcu", OPTIMIZED_KERNEL_DIR="cmsis_nn")
    by_tag = resolved(tree, TARGET="mcu", TAGS="CMSIS")
    assert by_dir.name == by_tag.name == "mcu_default_cmsis_nn"
    assert any("TAGS=CMSIS (TFLM spelling)" in n for n in by_tag.notes)


def test_empty_known_variant_falls_back_with_one_line(tree: Path) -> None:
    config = resolved(tree, TAGS="cmsis_nn")
    notes = [n for n in config.notes if "cmsis_nn" in n]
    assert notes == ["kernel variant cmsis_nn has no kernels yet: every op uses the reference "
                     "kernel"]


def test_unknown_tag_suggests_and_lists(tree: Path) -> None:
    message = error_of(tree, TARGET="mcu", TAGS="fancyy")
    assert 'unknown TAGS value for mcu "fancyy" (did you mean "fancy"?)' in message
    assert "cmsis_nn" in message and "profile" in message


def test_board_tag_and_global_tag_are_in_the_output_name(tree: Path) -> None:
    config = resolved(tree, TARGET="mcu", TAGS="fancy,profile")
    assert config.name == "mcu_default_fancy_profile"
    assert config.board_tags == ["fancy"]
    assert "profile" in config.tags


def test_host_only_tag_on_an_mcu(tree: Path) -> None:
    assert "TAGS=sanitize is for host boards only" in error_of(tree, TARGET="mcu",
                                                               TAGS="sanitize")


def test_unknown_build_type(tree: Path) -> None:
    message = error_of(tree, BUILD_TYPE="relase")
    assert 'unknown BUILD_TYPE "relase" (did you mean "release"?)' in message
    assert "debug, default, release, release_with_logs" in message


@pytest.mark.parametrize("build_type", ["debug", "release", "release_with_logs", "default"])
def test_each_build_type_has_its_own_output(tree: Path, build_type: str) -> None:
    assert resolved(tree, BUILD_TYPE=build_type).name == f"host_{build_type}"


def test_unknown_variable(tree: Path) -> None:
    message = error_of(tree, TARGT="host")
    assert 'unknown variable "TARGT" (did you mean "TARGET"?)' in message
    for name in VARIABLE_NAMES:
        assert name in message


def test_unknown_optimized_kernel_dir(tree: Path) -> None:
    assert 'unknown OPTIMIZED_KERNEL_DIR "cmsis_mn" (did you mean "cmsis_nn"?)' in \
        error_of(tree, OPTIMIZED_KERNEL_DIR="cmsis_mn")


def test_target_arch_for_a_fixed_cpu_board(tree: Path) -> None:
    assert resolved(tree, TARGET="mcu", TARGET_ARCH="cortex-m4+fp").cpu == "cortex-m4"
    message = error_of(tree, TARGET="mcu", TARGET_ARCH="cortex-m7")
    assert 'unknown TARGET_ARCH for mcu "cortex-m7"' in message


def test_target_arch_tables_select_the_cpu(tree: Path) -> None:
    data = {**ARM_BOARD, "name": "generic", "aliases": [], "cpu": "", "fpu": "none",
            "float_abi": "soft", "tags": []}
    folder = write_board(tree, "generic", data, ("board.c",))
    (folder / "board.toml").write_text(toml(data) + (
        '\n[target_arch."cortex-m4+fp"]\ncpu = "cortex-m4"\nfpu = "fpv4-sp-d16"\n'
        'float_abi = "hard"\n\n[target_arch.cortex-m0plus]\ncpu = "cortex-m0plus"\n'))
    config = resolved(tree, TARGET="generic", TARGET_ARCH="cortex-m4+fp")
    assert (config.cpu, config.fpu, config.float_abi) == ("cortex-m4", "fpv4-sp-d16", "hard")
    assert config.name == "generic_cortex_m4_fp_default"
    assert resolved(tree, TARGET="generic", TARGET_ARCH="cortex-m0plus").fpu == "none"
    assert "needs TARGET_ARCH, one of: cortex-m0plus, cortex-m4+fp" in error_of(
        tree, TARGET="generic")
    assert 'did you mean "cortex-m0plus"' in error_of(tree, TARGET="generic",
                                                      TARGET_ARCH="cortex-m0")


def test_outputs_differ_per_target_tags_build_type_and_toolchain(tree: Path) -> None:
    names = {
        resolved(tree).name,
        resolved(tree, TARGET="mcu").name,
        resolved(tree, TAGS="profile").name,
        resolved(tree, BUILD_TYPE="debug").name,
        resolved(tree, TOOLCHAIN="clang").name,
    }
    assert len(names) == 5


def test_cc_clang_selects_the_clang_toolchain(tree: Path) -> None:
    assert resolved(tree, CC="clang").toolchain.name == "clang"
    assert resolved(tree, CC="/usr/bin/clang-14").toolchain.name == "clang"


def test_toolchain_for_the_wrong_arch(tree: Path) -> None:
    assert "toolchain clang builds for host, not for mcu (arm)" in error_of(
        tree, TARGET="mcu", TOOLCHAIN="clang")


def test_unknown_toolchain(tree: Path) -> None:
    assert 'unknown toolchain "armclang"' in error_of(tree, TOOLCHAIN="armclang")


def test_model_override_must_exist(tree: Path) -> None:
    assert "MODEL=nothere.tflite: no such file" in error_of(tree, MODEL="nothere.tflite")


# ---- toolchains ------------------------------------------------------------------------

def test_missing_toolchain_names_the_debian_packages(tree: Path) -> None:
    file = tree / "targets" / "toolchains" / "arm-none-eabi.toml"
    file.write_text(file.read_text().replace('prefix = "arm-none-eabi-"',
                                             'prefix = "no-such-prefix-"'))
    toolchain = load_toolchain(tree, "arm-none-eabi")
    with pytest.raises(ConfigError) as info:
        find(toolchain)
    assert ("toolchain arm-none-eabi: no-such-prefix-gcc not found on PATH; install it with: "
            "sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi") == str(info.value)


def test_export_only_board_without_its_compiler(tree: Path) -> None:
    write_board(tree, "esp32", {**ARM_BOARD, "name": "esp32", "arch": "xtensa", "cpu": "esp32",
                                "fpu": "none", "float_abi": "soft", "aliases": [], "tags": [],
                                "toolchain": "xtensa-esp32-elf", "status": "export-only",
                                "exports": ["esp"]}, ("board.c",))
    config = resolve({"TARGET": "esp"}, tree, find_tools=True)
    assert config.board.name == "esp32"
    assert "TARGET=esp32 is export-only here" in config.tool_error
    assert "kinds: esp" in config.tool_error
    assert "xtensa-esp32-elf-gcc not found" in config.tool_error
    # A board that is not export-only stops at once when its compiler is missing.
    file = tree / "targets" / "toolchains" / "arm-none-eabi.toml"
    file.write_text(file.read_text().replace('prefix = "arm-none-eabi-"', 'prefix = "nope-"'))
    with pytest.raises(ConfigError, match="nope-gcc not found on PATH; install it with: sudo "
                                          "apt-get install gcc-arm-none-eabi"):
        resolve({"TARGET": "mcu"}, tree, find_tools=True)


def test_a_board_without_a_linker_script_builds_only_the_library(tree: Path) -> None:
    assert resolved(tree, TARGET="mcu").library_only
    assert not resolved(tree).library_only


def test_installed_toolchains_are_found() -> None:
    for name in ("gcc", "arm-none-eabi", "riscv64-unknown-elf"):
        found = find(load_toolchain(ROOT, name))
        assert Path(found.cc).is_file() and found.version


def test_cpu_flags_per_style() -> None:
    assert cpu_flags("arm", "cortex-m4", "fpv4-sp-d16", "hard") == [
        "-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]
    assert cpu_flags("arm", "cortex-m0plus", "none", "soft") == [
        "-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"]
    assert cpu_flags("riscv", "rv32imc", "none", "soft") == ["-march=rv32imc", "-mabi=ilp32"]
    assert riscv_abi("rv32imafc", "hard") == "ilp32f"
    assert riscv_abi("rv64gc", "hard") == "lp64d"
    assert cpu_flags("host", "", "none", "soft") == []


# ---- kernel variants -------------------------------------------------------------------

def test_variant_files_replace_reference_kernels_in_order(tree: Path) -> None:
    kernels = tree / "micro" / "kernels"
    for name in ("add.c", "conv_2d.c", "relu.c"):
        (kernels / name).write_text("/* reference */\n")
    (kernels / "first").mkdir()
    (kernels / "first" / "conv_2d.c").write_text("/* first */\n")
    (kernels / "first" / "relu.c").write_text("/* first */\n")
    (kernels / "second").mkdir()
    (kernels / "second" / "relu.c").write_text("/* second */\n")
    (kernels / "second" / "helper.c").write_text("/* new file */\n")
    variants = [load_variant(tree, "first"), load_variant(tree, "second")]
    result = {k.name: (k.variant, k.replaced) for k in overlay(tree, variants)}
    assert result == {
        "add.c": ("reference", ()),
        "conv_2d.c": ("first", ("reference",)),
        "relu.c": ("second", ("first", "reference")),
        "helper.c": ("second", ()),
    }
    config = resolved(tree, TAGS="second first")
    assert [v.name for v in config.variants] == ["second", "first"]
    order = {k.name: k.variant for k in overlay(tree, config.variants)}
    assert order["relu.c"] == "first"


def test_board_variants_come_before_tag_variants(tree: Path) -> None:
    kernels = tree / "micro" / "kernels"
    (kernels / "boardvar").mkdir()
    (kernels / "boardvar" / "add.c").write_text("/* board */\n")
    write_board(tree, "mcu", {**ARM_BOARD, "kernel_variants": ["boardvar"]}, ("board.c",))
    config = resolved(tree, TARGET="mcu", TAGS="cmsis_nn")
    assert [v.name for v in config.variants] == ["boardvar", "cmsis_nn"]
    assert config.name == "mcu_default_cmsis_nn"


def test_unknown_board_variant(tree: Path) -> None:
    write_board(tree, "mcu", {**ARM_BOARD, "kernel_variants": ["cmsis_mn"]}, ("board.c",))
    message = error_of(tree, TARGET="mcu")
    assert "unknown kernel variant \"cmsis_mn\"" in message and 'did you mean "cmsis_nn"' \
        in message


def test_suggest_is_quiet_when_nothing_is_close() -> None:
    assert suggest("zzzz", ["host", "mcu"]) == ""
    assert suggest("HOST", ["host", "mcu"]) == ' (did you mean "host"?)'
