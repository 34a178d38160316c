"""Device locks: one run per device, and two names for one device are caught."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from microforge.device.errors import ConfigError, DeviceBusy
from microforge.device.lock import DeviceLock, board_resources, canonical_resource, check_distinct


def test_second_holder_waits_then_fails_naming_the_first(tmp_path: Path) -> None:
    resources = board_resources(probe="066DFF495351", port="/dev/null")
    with DeviceLock(resources, "nightly-1:disco", tmp_path):
        started = time.monotonic()
        with pytest.raises(DeviceBusy, match="nightly-1:disco") as err:
            DeviceLock(resources, "nightly-2:disco", tmp_path, timeout=0.3).acquire()
        assert 0.25 < time.monotonic() - started < 3
        assert str(os.getpid()) in str(err.value)
    with DeviceLock(resources, "nightly-2:disco", tmp_path, timeout=0.3):
        pass  # free again once released


def test_a_lock_held_by_another_process_blocks(tmp_path: Path) -> None:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from microforge.device.lock import DeviceLock\n"
        f"with DeviceLock(['probe:abc'], 'other-process', Path({str(tmp_path)!r})):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(DeviceBusy, match="other-process"):
            DeviceLock(["probe:abc"], "me", tmp_path, timeout=0.2).acquire()
    finally:
        holder.kill()
        holder.wait(5)
    with DeviceLock(["probe:abc"], "me", tmp_path, timeout=2):
        pass  # the kernel dropped the dead holder's lock


def test_two_spellings_of_one_port_are_one_resource(tmp_path: Path) -> None:
    device = tmp_path / "ttyACM0"
    device.touch()
    alias = tmp_path / "usb-STMicroelectronics_STLINK-V3_0001-if02"
    alias.symlink_to(device)
    assert canonical_resource("port", str(alias)) == canonical_resource("port", str(device))
    assert canonical_resource("probe", "066dff49") == canonical_resource("probe", "066DFF49")
    with DeviceLock(board_resources(port=str(device)), "a", tmp_path / "locks"):
        with pytest.raises(DeviceBusy):
            DeviceLock(board_resources(port=str(alias)), "b", tmp_path / "locks", 0.1).acquire()


def test_farm_check_rejects_boards_sharing_a_probe() -> None:
    check_distinct({"edge-1": board_resources(port="/dev/null"), "disco-1": ["probe:1234"]})
    with pytest.raises(ConfigError, match="'disco-1' and 'disco-2' both use probe:066dff49"):
        check_distinct(
            {
                "disco-1": board_resources(probe="066DFF49"),
                "disco-2": board_resources(probe="066dff49"),
            }
        )
