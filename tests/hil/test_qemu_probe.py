"""pyOCD's own debug operations through the QEMU gdbstub probe: discovery, reset catch,
hardware breakpoints (FPB comparators), stepping and core registers."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from microforge.device.pyocd_qemu import QemuGdbProbe, QemuGdbProbePlugin, register_with_pyocd
from microforge.device.qemu import EmulatorSpec, QemuMachine
from microforge.device.serial_transport import SerialTransport
from pyocd.core.plugin import Plugin
from pyocd.core.session import Session
from pyocd.core.target import Target
from pyocd.flash.file_programmer import FileProgrammer
from pyocd.probe.aggregator import DebugProbeAggregator

from . import fwbuild


def symbol(elf: Path, name: str) -> int:
    with open(elf, "rb") as handle:
        table = ELFFile(handle).get_section_by_name(".symtab")
        (found,) = table.get_symbol_by_name(name)
        return int(found["st_value"]) & ~1


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[tuple[QemuMachine, SerialTransport]]:
    board = fwbuild.load_board("qemu_cortex_m4")
    spec = EmulatorSpec.from_board_data(board["emulator"], board["arch"])
    qemu = QemuMachine(spec, tmp_path, name="probe-test", max_runtime=120).start()
    console = SerialTransport(qemu.serial_url, log_path=tmp_path / "console.log").open()
    yield qemu, console
    console.close()
    qemu.stop()


def wait_halted(target: Target, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while target.get_state() != Target.State.HALTED:
        assert time.monotonic() < deadline, "target did not halt"
        time.sleep(0.01)


def test_debug_operations_through_the_probe(firmware, machine) -> None:
    qemu, console = machine
    elf, image_id = firmware("qemu_cortex_m4", "pass")
    register_with_pyocd()
    (probe,) = DebugProbeAggregator.get_all_connected_probes(unique_id=qemu.probe_id)
    assert probe.unique_id == qemu.probe_id.removeprefix("qemu:")
    with Session(probe, target_override="qemu_mps2_an386") as session:
        target = session.target
        assert target.primary_core.name == "Cortex-M4"
        FileProgrammer(session).program(str(elf))

        # Reset catch: stop on the first instruction, with SP and PC from the vector table.
        vectors = bytes(target.read_memory_block8(0, 8))
        target.reset_and_halt()
        assert target.get_state() == Target.State.HALTED
        assert target.read_core_register("sp") == int.from_bytes(vectors[:4], "little")
        assert target.read_core_register("pc") == int.from_bytes(vectors[4:], "little") & ~1

        # A hardware breakpoint on main() stops the core before main prints anything.
        main = symbol(elf, "main")
        assert target.set_breakpoint(main, Target.BreakpointType.HW)
        target.resume()
        wait_halted(target)
        assert target.read_core_register("pc") == main
        assert target.get_halt_reason() == Target.HaltReason.BREAKPOINT
        assert b"MF-SYNC" not in console.received()
        target.remove_breakpoint(main)

        # Registers can be written and read back; a step moves the pc.
        saved = target.read_core_register("r7")
        target.write_core_register("r7", 0x1234ABCD)
        assert target.read_core_register("r7") == 0x1234ABCD
        target.write_core_register("r7", saved)
        target.step()
        assert target.read_core_register("pc") != main

        target.resume()
    # The run continues after the debugger leaves, and the emulator exits with the code.
    assert console.wait_for(re.compile(rb"~~~ALL TESTS PASSED~~~"), 0, 20) is not None
    assert qemu.wait(10) == 0
    assert console.received().count(f"MF-SYNC {image_id}".encode()) == 1


def test_probe_plugin_record_and_explicit_selection() -> None:

    plugin = QemuGdbProbePlugin()
    assert isinstance(plugin, Plugin) and plugin.name == "qemu"
    assert plugin.load() is QemuGdbProbe
    register_with_pyocd()
    # Only an explicit qemu:<host>:<port> selects it; a stub cannot be discovered.
    assert not QemuGdbProbe.get_all_connected_probes()
    assert QemuGdbProbe.get_probe_with_id("127.0.0.1:1234", is_explicit=False) is None
    (probe,) = DebugProbeAggregator.get_all_connected_probes(unique_id="qemu:127.0.0.1:1234")
    assert probe.unique_id == "127.0.0.1:1234" and not probe.is_open
    assert DebugProbeAggregator.get_all_connected_probes(unique_id="qemu:nonsense") == []
