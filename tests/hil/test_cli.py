"""`microforge flash` and `microforge monitor` as a user runs them."""

from __future__ import annotations

import select
import subprocess
import sys
from pathlib import Path

from .wire import WirePeer


def microforge(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "microforge.cli", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def test_flash_an_emulated_board_shows_its_console_and_exit_code(firmware, tmp_path) -> None:
    elf, image_id = firmware("qemu_cortex_m4", "assert")
    log = tmp_path / "run.log"
    done = microforge("flash", "--board", "qemu_cortex_m4", "--log", str(log), str(elf))
    assert done.returncode == 1, done.stderr  # the firmware's exit code
    assert f"MF-SYNC {image_id}" in done.stdout and "~~~SOME TESTS FAILED~~~" in done.stdout
    assert "through pyocd" in done.stderr
    assert log.read_bytes().decode() == done.stdout


def test_flash_reports_bad_input_clearly(tmp_path: Path) -> None:
    done = microforge("flash", "--board", "qemu_cortex_m9", str(tmp_path / "x.elf"))
    assert done.returncode == 2
    assert "unknown board 'qemu_cortex_m9' (did you mean 'qemu_cortex_m7'?)" in done.stderr
    done = microforge("flash", "--board", "sparkfun_edge", "--set", "bogus=1", "x.bin")
    assert done.returncode == 2 and "does not take 'bogus'" in done.stderr


def test_monitor_logs_and_stops_at_a_pattern(tmp_path: Path) -> None:
    output = b"hello \xff\nMF-SUMMARY passed=1 failed=0\n~~~ALL TESTS PASSED~~~\n"
    peer = WirePeer(lambda conn: conn.sendall(output), talks_first=True)
    log = tmp_path / "mon.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "microforge.cli", "monitor", peer.url, "--log", str(log),
         "--until", "~~~ALL TESTS PASSED~~~", "--timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        ready, _, _ = select.select([process.stderr], [], [], 30)
        assert ready, "monitor did not start"
        assert b"console socket://" in process.stderr.readline()  # the port is open now
        peer.opened.set()
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(5)
    peer.join()
    assert process.returncode == 0, err
    assert out == output
    assert log.read_bytes() == out


def test_monitor_gives_up_at_its_timeout(tmp_path: Path) -> None:
    peer = WirePeer(lambda conn: conn.recv(1))
    done = microforge("monitor", peer.url, "--until", "never", "--timeout", "1", timeout=30)
    assert done.returncode == 1 and "'never' not seen within 1 s" in done.stderr
