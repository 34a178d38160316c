"""Unit tests of the build's plain-Python parts: runners, the model builder, ELF sizes and the
`microforge` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from microforge import cli
from microforge.build import runners
from microforge.build.elf import read_elf
from microforge.build.model_c import ModelBuildError, build_model_source, c_array, validate
from microforge.build.size import region_use

from .support import ROOT

# ---- runners -------------------------------------------------------------------------------

QEMU_M4 = {"program": "qemu-system-arm", "machine": "mps2-an386",
           "args": ["-semihosting-config", "enable=on,target=native"], "icount_shift": 6}


def test_host_programs_run_directly(tmp_path: Path) -> None:
    assert runners.command_for("host", "host", {}, tmp_path / "prog") == [str(tmp_path / "prog")]


def test_emulator_command_from_board_data(tmp_path: Path) -> None:
    if shutil.which("qemu-system-arm") is None:
        pytest.fail("qemu-system-arm is not installed (tools/install.sh installs it)")
    elf = tmp_path / "fw.elf"
    command = runners.command_for("qemu_cortex_m4", "arm", QEMU_M4, elf)
    assert Path(command[0]).name == "qemu-system-arm"
    assert command[1:] == ["-M", "mps2-an386", "-semihosting-config", "enable=on,target=native",
                           "-display", "none", "-monitor", "none", "-serial", "stdio",
                           "-icount", "shift=6,sleep=off", "-kernel", str(elf)]
    placed = runners.command_for("b", "arm", {**QEMU_M4, "args": ["-device", "loader,file={elf}"]},
                                 elf)
    assert f"loader,file={elf}" in placed and "-kernel" not in placed


def test_missing_emulator_names_its_package(tmp_path: Path) -> None:
    with pytest.raises(runners.RunnerError, match="emulator qemu-system-nothing not found on "
                                                  "PATH; install it with: sudo apt-get install "
                                                  "qemu-system-misc"):
        runners.command_for("b", "riscv", {"program": "qemu-system-nothing",
                                           "debian_package": "qemu-system-misc"},
                            tmp_path / "fw.elf")


def test_physical_board_has_no_runner(tmp_path: Path) -> None:
    with pytest.raises(runners.RunnerError, match="physical board without an emulator"):
        runners.command_for("sparkfun_edge", "arm", {}, tmp_path / "fw.elf")


def test_run_is_bounded_and_kills_the_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {marker}; echo started; wait"
    start = time.monotonic()
    result = runners.run(["sh", "-c", script], timeout=1, log=tmp_path / "run.log")
    assert time.monotonic() - start < 15
    assert result.timed_out
    assert result.test_verdict() == "timed out after 1 s"
    assert "started" in (tmp_path / "run.log").read_text()
    child = int(marker.read_text())
    for _ in range(50):
        if not Path(f"/proc/{child}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists(), "the child outlived the run"


def test_run_keeps_undecodable_bytes_and_streams(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    result = runners.run([sys.executable, "-c",
                          "import sys; sys.stdout.buffer.write(b'a\\xffb\\nline two\\n')"],
                         timeout=30, stream=True)
    assert result.returncode == 0
    assert result.output == "a\ufffdb\nline two\n"
    assert "line two" in capsys.readouterr().out


@pytest.mark.parametrize("output, code, verdict", [
    ("MF-CASE a PASS\n~~~ALL TESTS PASSED~~~\n", 0, ""),
    ("MF-CASE a FAIL x.c:1 no\n~~~SOME TESTS FAILED~~~\n", 1, "some tests failed"),
    ("MF-CASE a PASS\n", 0, "no '~~~ALL TESTS PASSED~~~' line in the output"),
    ("~~~ALL TESTS PASSED~~~\n", 3, "exit code 3"),
])
def test_test_verdict(output: str, code: int, verdict: str) -> None:
    result = runners.RunResult(["x"], code, output, False, 10)
    assert result.test_verdict() == verdict


def test_cannot_start_is_a_failure(tmp_path: Path) -> None:
    result = runners.run([str(tmp_path / "missing")], timeout=5)
    assert result.returncode is None and "cannot start" in result.output
    assert result.test_verdict() != ""


# ---- the model builder ---------------------------------------------------------------------

@pytest.mark.parametrize("data, reason", [
    (b"", "too short"),
    (b"\x10\x00\x00\x00NOPE" + bytes(16), "file identifier"),
    (b"\xff\xff\x00\x00TFL3" + bytes(16), "root table offset"),
])
def test_malformed_models_are_refused(tmp_path: Path, data: bytes, reason: str) -> None:
    model = tmp_path / "bad.tflite"
    model.write_bytes(data)
    with pytest.raises(ModelBuildError, match=reason):
        validate(model, data)
    with pytest.raises(ModelBuildError):
        build_model_source(model, tmp_path / "m.c", tmp_path / "m.h", "g_model", "bad.tflite")
    assert not (tmp_path / "m.c").exists()


def test_a_real_model_is_validated_by_the_model_reader(shared_models: Path) -> None:
    model = shared_models / "hello_world_int8.tflite"
    assert validate(model, model.read_bytes()) == "full"


def test_generated_array_is_aligned_and_exact(tmp_path: Path) -> None:
    data = bytes(range(256)) * 3 + b"\x01\x02\x03"
    c_text, h_text = c_array(data, "g_blob", "blob.bin")
    (tmp_path / "g_blob.c").write_text(c_text)
    (tmp_path / "g_blob.h").write_text(h_text)
    (tmp_path / "main.c").write_text(
        '#include <stdint.h>\n#include <stdio.h>\n#include "g_blob.h"\n'
        "int main(void) {\n  uint32_t sum = 0;\n"
        "  for (uint32_t i = 0; i < g_blob_len; ++i) sum = sum * 31u + g_blob[i];\n"
        '  printf("%u %u %u\\n", (unsigned)g_blob_len, (unsigned)((uintptr_t)g_blob % 16u),'
        " (unsigned)sum);\n  return 0;\n}\n")
    subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", "prog", "main.c",
                    "g_blob.c"], cwd=tmp_path, check=True, timeout=120)
    out = subprocess.run([str(tmp_path / "prog")], capture_output=True, text=True, timeout=30,
                         check=True).stdout.split()
    expected = 0
    for byte in data:
        expected = (expected * 31 + byte) % 2**32
    assert out == [str(len(data)), "0", str(expected)]


# ---- ELF sizes -------------------------------------------------------------------------------

def test_region_use_counts_load_and_run_addresses(tmp_path: Path) -> None:
    source = tmp_path / "fw.c"
    source.write_text("int table[100] = {1};\nint zeroed[300];\nconst int rom[50] = {2};\n"
                      "int main(void) { return table[0] + zeroed[1] + rom[2]; }\n")
    script = tmp_path / "fw.ld"
    script.write_text(
        "MEMORY { FLASH (rx) : ORIGIN = 0x0, LENGTH = 64K\n RAM (rwx) : ORIGIN = 0x20000000, "
        "LENGTH = 16K }\nSECTIONS {\n .text : { *(.text*) *(.rodata*) } > FLASH\n"
        " .data : { *(.data*) } > RAM AT > FLASH\n .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM\n"
        "}\n")
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-O1", "-nostdlib",
                    "-nostartfiles", "-Wl,--entry=main", "-T", str(script), "-o",
                    str(tmp_path / "fw.elf"), str(source)], check=True, timeout=120)
    elf = read_elf(tmp_path / "fw.elf")
    memory = {"flash": {"origin": 0, "size": 0x10000},
              "ram": {"origin": 0x20000000, "size": 0x4000}}
    use = {r.name: r.used for r in region_use(elf, memory)}
    sections = {s.name: s for s in elf.sections}
    assert use["ram"] == sections[".data"].size + sections[".bss"].size
    assert use["flash"] == sections[".text"].size + sections[".data"].size
    assert sections[".data"].size == 400 and sections[".bss"].size == 1200


# ---- the microforge command ------------------------------------------------------------------

def test_builtin_commands() -> None:
    parser, _ = cli.make_parser()
    help_text = parser.format_help()
    for name in ("build", "list", "version"):
        assert name in help_text
    assert cli.main(["version"]) == 0


def test_modules_add_their_subcommands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture) -> None:
    package = tmp_path / "mfplug"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text(
        "def register(subparsers):\n"
        "    p = subparsers.add_parser('hello', help='says hello')\n"
        "    p.add_argument('name')\n"
        "    p.set_defaults(func=lambda args: print('hello ' + args.name) or 7)\n")
    (package / "broken.py").write_text("raise RuntimeError('half written')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("mfplug.good", "mfplug.broken",
                                                 "mfplug.absent"))
    assert cli.main(["hello", "world"]) == 7
    captured = capsys.readouterr()
    assert "hello world" in captured.out
    assert "warning: commands of mfplug.broken are unavailable: RuntimeError: half written" \
        in captured.err
    assert "mfplug.absent" not in captured.err


def test_build_passes_everything_to_scons() -> None:
    done = subprocess.run([sys.executable, "-c", "from microforge.cli import main; "
                           "raise SystemExit(main(['build', '-Q', 'TARGT=host']))"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode != 0
    assert 'unknown variable "TARGT"' in done.stderr + done.stdout


# ---- building from Python ------------------------------------------------------------------

def test_program_paths_follow_the_configuration() -> None:
    from microforge.build import api

    assert api.program_path("hello_world") == ROOT / "gen" / "host_default" / "bin" / \
        "hello_world"
    assert api.program_path("hello_world_test", TARGET="qemu_cortex_m4", TAGS="CMSIS") == \
        ROOT / "gen" / "qemu_cortex_m4_default_cmsis_nn" / "bin" / "hello_world_test.elf"


def test_a_failed_build_raises_with_the_reason() -> None:
    from microforge.build import api

    with pytest.raises(api.BuildError, match='unknown alias or example "helo_world"'):
        api.build("helo_world")
