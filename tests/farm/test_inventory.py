"""The farm inventory: loading with clear errors, one device per unit, scanning, the command."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from microforge.hil.farm import (
    FarmError,
    PortInfo,
    ProbeInfo,
    emulated_farm,
    load_farm,
    parse_farm,
    scan,
)

from .support import microforge

GOOD = """
[farm]
name = "rack"

[[unit]]
name = "m4-0"
board = "qemu_m4"

[[unit]]
name = "disco-1"
board = "disco_f746ng"
port = "/dev/serial/by-id/usb-STMicroelectronics_STLink_066DFF495351-if02"
probe = "066DFF495351"
method = "pyocd"
tags = ["shelf-2"]
[unit.flash]
pack_path = "/packs/Keil.STM32F7xx_DFP.pack"

[[unit]]
name = "edge-remote"
board = "sparkfun_edge"
port = "rfc2217://lab2.example:4001"

[[unit]]
name = "disco-remote"
board = "disco_f746ng"
port = "rfc2217://lab3.example:4002"
probe = "remote:lab3.example:5555"
method = "pyocd"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "farm.toml"
    path.write_text(text)
    return path


def test_a_good_farm_loads(tmp_path: Path) -> None:
    farm = load_farm(write(tmp_path, GOOD))
    assert [u.name for u in farm.units] == ["m4-0", "disco-1", "edge-remote", "disco-remote"]
    m4, disco, edge, remote = farm.units
    assert m4.board == "qemu_cortex_m4" and m4.emulated and m4.resources == []
    assert not disco.emulated and disco.flash == {"pack_path": "/packs/Keil.STM32F7xx_DFP.pack"}
    assert disco.resources == ["probe:066dff495351",
                               "port:/dev/serial/by-id/usb-STMicroelectronics_STLink_066DFF495351-if02"]
    assert edge.method == "" and edge.port.startswith("rfc2217://")
    assert remote.probe == "remote:lab3.example:5555"
    assert [u.name for u in farm.select(["disco_f746ng"])] == ["disco-1", "disco-remote"]
    assert [u.name for u in farm.select(["qemu_m4", "edge-remote"])] == ["m4-0", "edge-remote"]


def test_a_written_farm_reads_back_the_same(tmp_path: Path) -> None:
    farm = load_farm(write(tmp_path, GOOD))
    again = parse_farm(tomllib.loads(farm.to_toml()), "again")
    assert again.units == farm.units and again.name == farm.name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('name = "m4-0"', 'name = "m4-0"\ncolour = "red"'),
         "unit[0] (m4-0): unknown field 'colour'"),
        (('board = "qemu_m4"', 'board = "qemu_cortex_m44"'),
         "unit[0] (m4-0): field 'board': unknown board 'qemu_cortex_m44' (did you mean "
         '"qemu_cortex_m4"?)'),
        (('name = "disco-1"', 'name = "m4-0"'), "unit[1]: name 'm4-0' is already used by unit[0]"),
        (('tags = ["shelf-2"]', 'tags = "shelf-2"'),
         "unit[1] (disco-1): field 'tags': expected a list, got 'shelf-2'"),
        (('pack_path = "/packs', 'pack = "/packs'),
         "unit[1] (disco-1): field 'flash.pack': the pyocd flasher does not take 'pack'"),
        (('method = "pyocd"\ntags', 'method = "jtag"\ntags'),
         "unit[1] (disco-1): field 'method': unknown flash method 'jtag'"),
        (('port = "rfc2217://lab2.example:4001"', ""),
         "unit[2] (edge-remote): field 'port' is required"),
        (('probe = "remote:lab3.example:5555"', 'probe = "remote:lab3"'),
         "unit[3] (disco-remote): field 'probe': a pyOCD server probe is remote:<host>:<port>"),
        (('board = "qemu_m4"', 'board = "qemu_m4"\nport = "/dev/ttyACM9"\nemulated = true'),
         "unit[0] (m4-0): an emulated unit gets its console and probe from its emulator"),
        (('name = "edge-remote"\nboard = "sparkfun_edge"',
          'name = "edge-remote"\nboard = "sparkfun_edge"\nemulated = true'),
         "unit[2] (edge-remote): field 'emulated': board 'sparkfun_edge' has no [emulator]"),
        (('[farm]\nname = "rack"', '[farm]\nname = 3'),
         "[farm]: field 'name': expected a string, got 3"),
        (('[farm]', '[farms]\n[farm]'), "unknown table 'farms' (did you mean \"farm\"?)"),
    ],
)
def test_errors_name_the_file_the_unit_and_the_field(tmp_path: Path, change, message) -> None:
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(FarmError) as caught:
        load_farm(path)
    assert str(caught.value).startswith(f"{path}: "), caught.value
    assert message in str(caught.value)


def test_two_units_on_one_probe_or_port_are_refused(tmp_path: Path) -> None:
    twin = GOOD + ('\n[[unit]]\nname = "disco-twin"\nboard = "stm32f746g_disco"\n'
                   'port = "/dev/ttyACM7"\nprobe = "066dff495351"\nmethod = "pyocd"\n')
    with pytest.raises(FarmError) as caught:
        load_farm(write(tmp_path, twin))
    assert "'disco-1' and 'disco-twin' both use probe:066dff495351" in str(caught.value)
    assert "the same physical board" in str(caught.value)
    # The same port reached through a symlink is the same port.
    target = tmp_path / "ttyACM0"
    target.write_text("")
    (tmp_path / "by-id").symlink_to(target)
    linked = ('[[unit]]\nname = "a"\nboard = "sparkfun_edge"\nport = "{}"\n'
              '[[unit]]\nname = "b"\nboard = "sparkfun_edge"\nport = "{}"\n')
    with pytest.raises(FarmError, match="'a' and 'b' both use port:"):
        load_farm(write(tmp_path, linked.format(target, tmp_path / "by-id")))
    # A disabled unit holds nothing.
    disabled = twin + "enabled = false\n"
    farm = load_farm(write(tmp_path, disabled))
    assert len(farm.units) == 5 and len(farm.enabled) == 4


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(FarmError, match="does not exist .microforge farm scan writes one"):
        load_farm(tmp_path / "nope.toml")
    with pytest.raises(FarmError, match="not valid TOML"):
        load_farm(write(tmp_path, "[[unit]\n"))
    with pytest.raises(FarmError, match="no \\[\\[unit\\]\\] tables"):
        load_farm(write(tmp_path, "[farm]\n"))


def test_emulated_boards_are_always_available() -> None:
    farm = emulated_farm()
    assert [u.board for u in farm.units] == ["qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32"]
    assert all(u.emulated for u in farm.units)
    with pytest.raises(FarmError, match="'disco_f746ng' is not an emulated board"):
        emulated_farm(["disco_f746ng"])


def test_scan_pairs_probes_with_their_ports_and_notes_the_rest() -> None:
    ports = [
        PortInfo("/dev/ttyACM0", "066DFF495351", 0x0483, 0x374B, "STM32 STLink",
                 stable_path="/dev/serial/by-id/usb-STM_STLink_066DFF495351-if02"),
        PortInfo("/dev/ttyUSB0", "A10K3X", 0x1A86, 0x7523, "USB Serial"),
    ]
    probes = [
        ProbeInfo("066DFF495351", "DISCO-F746NG [stm32f746nghx]", "STMicroelectronics",
                  "STM32 STLink", "DISCO-F746NG", "stm32f746nghx"),
        ProbeInfo("0240000032044e45", "DAPLink", "Arm", "DAPLink CMSIS-DAP", "FRDM-K64F",
                  "k64f"),
    ]
    result = scan(ports, probes)
    wired = [u for u in result.farm.units if not u.emulated]
    assert len(wired) == 1
    disco = wired[0]
    assert (disco.name, disco.board, disco.probe) == ("disco_f746ng-0", "disco_f746ng",
                                                      "066DFF495351")
    assert disco.port == "/dev/serial/by-id/usb-STM_STLink_066DFF495351-if02"
    assert {u.board for u in result.farm.units if u.emulated} == {
        "qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32"}
    assert any("probe 0240000032044e45" in n and "target k64f" in n for n in result.notes)
    assert any("port /dev/ttyUSB0: USB Serial (1a86:7523, serial A10K3X)" in n
               for n in result.notes)
    # What the scan writes loads back as a farm, notes as comments.
    text = result.to_toml()
    assert "# port /dev/ttyUSB0" in text
    assert parse_farm(tomllib.loads(text), "scan").units == result.farm.units


def test_farm_scan_and_show_commands(tmp_path: Path) -> None:
    out = tmp_path / "farm.toml"
    done = microforge("farm", "scan", "-o", str(out), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "emulated board(s)" in done.stderr
    farm = load_farm(out)
    assert {"qemu_cortex_m4", "qemu_cortex_m7", "qemu_riscv32"} <= {u.board for u in farm.units}
    again = microforge("farm", "scan", "-o", str(out), timeout=120)
    assert again.returncode == 2 and "exists; use --force" in again.stderr
    shown = microforge("farm", "show", "--farm", str(out))
    assert shown.returncode == 0 and "qemu_cortex_m7" in shown.stdout and "emulated" in shown.stdout
    out.write_text(out.read_text().replace("emulated = true", "emulated = 1", 1))
    bad = microforge("farm", "show", "--farm", str(out))
    assert bad.returncode == 2
    assert f"error: {out}: unit[0]" in bad.stderr and "field 'emulated': expected true or false" \
        in bad.stderr
