"""The farm inventory: which boards are plugged in where (separate from the board catalogue).

A farm file is TOML, one ``[[unit]]`` per physical board (or emulator slot)::

    [farm]
    name = "rack-2"                      # optional
    lock_dir = "/run/microforge-locks"   # optional: where device locks live

    [[unit]]
    name = "m4-0"                        # unique in the farm
    board = "qemu_cortex_m4"             # targets/<board> (or one of its aliases)
    emulated = true                      # a fresh emulator for every run

    [[unit]]
    name = "disco-1"
    board = "disco_f746ng"
    port = "/dev/serial/by-id/usb-STMicroelectronics_STM32_STLink_066DFF495351-if02"
    probe = "066DFF495351"               # full unique id; "remote:<host>:<port>" for `pyocd server`
    method = "pyocd"                     # optional: one of the board's alternative flash methods
    [unit.flash]                         # optional: [flash] keys this host fills in
    pack_path = "/packs/Keil.STM32F7xx_DFP.pack"

    [[unit]]
    name = "edge-lab2"
    board = "sparkfun_edge"
    port = "rfc2217://lab2.example:4001" # a console shared over the network (RFC 2217)

Every field is checked; an error names the file, the unit and the field. Two units that resolve
to one probe, port or drive are refused: they would be the same physical board.
``microforge farm scan`` writes this file from the serial ports and pyOCD's probes it finds;
emulated boards are always available.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..device.errors import ConfigError
from ..device.flashers import FLASHERS
from ..device.lock import board_resources, check_distinct, default_lock_dir

if TYPE_CHECKING:
    from .dut import Dut

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Seconds pyOCD may take to list probes during a scan.
PROBE_LIST_TIMEOUT = 30.0


class FarmError(ConfigError):
    """A farm file is missing, malformed or names boards that cannot work."""


@dataclass(frozen=True)
class UnitField:
    kind: type | tuple[type, ...]
    help: str
    required: bool = False


UNIT_FIELDS: dict[str, UnitField] = {
    "name": UnitField(str, "unique name of this unit in the farm", required=True),
    "board": UnitField(str, "board name (targets/<board>) or alias", required=True),
    "emulated": UnitField(bool, "start the board's emulator for each run"),
    "port": UnitField(str, "console: device path or pyserial URL (rfc2217://, socket://)"),
    "probe": UnitField(str, "debug probe unique id, remote:<host>:<port>, or qemu:<host>:<port>"),
    "method": UnitField(str, "flash method (one the board describes)"),
    "flash": UnitField(dict, "[flash] keys this host fills in (pack_path, volume_path, ...)"),
    "enabled": UnitField(bool, "false: listed but never used"),
    "tags": UnitField(list, "free labels, e.g. rack position"),
    "description": UnitField(str, "one line, e.g. what the scan found"),
}
FARM_FIELDS: dict[str, UnitField] = {
    "name": UnitField(str, "name of this farm"),
    "lock_dir": UnitField(str, "folder of the device lock files"),
}


@dataclass(frozen=True)
class FarmUnit:
    """One board of the farm: emulated (a fresh emulator per run) or wired to this host."""

    name: str
    board: str  # the catalogue name (aliases resolved)
    emulated: bool = False
    port: str = ""
    probe: str = ""
    method: str = ""
    flash: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    tags: tuple[str, ...] = ()
    description: str = ""

    @property
    def resources(self) -> list[str]:
        """The devices this unit uses (probe, port after symlinks, drive); empty if emulated."""
        if self.emulated:
            return []
        volume = self.flash.get("volume_path")
        return board_resources(self.probe or None, self.port or None, volume)

    def to_toml(self) -> str:
        lines = ["[[unit]]", f"name = {_toml_value(self.name)}",
                 f"board = {_toml_value(self.board)}"]  # fmt: skip
        if self.emulated:
            lines.append("emulated = true")
        for key in ("port", "probe", "method", "description"):
            value = getattr(self, key)
            if value:
                lines.append(f"{key} = {_toml_value(value)}")
        if not self.enabled:
            lines.append("enabled = false")
        if self.tags:
            lines.append(f"tags = {_toml_value(list(self.tags))}")
        if self.flash:
            lines.append("[unit.flash]")
            lines += [f"{key} = {_toml_value(value)}" for key, value in self.flash.items()]
        return "\n".join(lines) + "\n"


@dataclass
class Farm:
    units: list[FarmUnit]
    name: str = "farm"
    path: Path | None = None
    lock_dir: Path = field(default_factory=default_lock_dir)

    @property
    def enabled(self) -> list[FarmUnit]:
        return [u for u in self.units if u.enabled]

    def unit(self, name: str) -> FarmUnit:
        for unit in self.units:
            if unit.name == name:
                return unit
        raise FarmError(f"{self.where}: no unit named {name!r}; units: "
                        f"{', '.join(u.name for u in self.units) or 'none'}")  # fmt: skip

    def select(self, wanted: Sequence[str]) -> list[FarmUnit]:
        """Enabled units whose name or board (or board alias) is in ``wanted`` (all if empty)."""
        if not wanted:
            return self.enabled
        aliases = _catalogue_aliases()
        picked: list[FarmUnit] = []
        for word in wanted:
            board = aliases.get(word, word)
            found = [u for u in self.enabled if word == u.name or board == u.board]
            if not found:
                known = sorted({u.name for u in self.enabled} | {u.board for u in self.enabled})
                raise FarmError(f"{self.where}: no enabled unit or board {word!r}; "
                                f"known: {', '.join(known) or 'none'}")  # fmt: skip
            picked += [u for u in found if u not in picked]
        return picked

    @property
    def where(self) -> str:
        return str(self.path) if self.path else "the emulated farm"

    def to_toml(self, header: str = "") -> str:
        text = header
        text += f"[farm]\nname = {_toml_value(self.name)}\n"
        if self.lock_dir != default_lock_dir():
            text += f"lock_dir = {_toml_value(str(self.lock_dir))}\n"
        for unit in self.units:
            text += "\n" + unit.to_toml()
        return text


# -- loading and checking -----------------------------------------------------------------------
def _catalogue() -> dict[str, dict[str, Any]]:
    from microforge import ROOT
    from microforge.config.board import load_boards

    return {name: dict(board.data) for name, board in load_boards(ROOT).boards.items()}


def _catalogue_aliases() -> dict[str, str]:
    from microforge import ROOT
    from microforge.config.board import load_boards

    return load_boards(ROOT).by_alias()


def board_data(name: str) -> dict[str, Any]:
    """A board's catalogue data (targets/<board>/board.toml), by name or alias."""
    boards = _catalogue()
    real = _catalogue_aliases().get(name, name)
    if real not in boards:
        raise FarmError(f"unknown board {name!r}{_suggest(name, boards)}")
    return boards[real]


def _suggest(value: str, choices: Mapping[str, Any] | Sequence[str]) -> str:
    from microforge.config.errors import suggest

    return suggest(value, list(choices))


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", bool: "true or false", dict: "a table", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_fields(table: Mapping[str, Any], fields: Mapping[str, UnitField], where: str) -> None:
    for key in table:
        if key not in fields:
            raise FarmError(f"{where}: unknown field {key!r}{_suggest(key, fields)}; "
                            f"fields: {', '.join(fields)}")  # fmt: skip
    for key, spec in fields.items():
        if key not in table:
            if spec.required:
                raise FarmError(f"{where}: field {key!r} is required ({spec.help})")
            continue
        value = table[key]
        if not isinstance(value, spec.kind) or (spec.kind is not bool and isinstance(value, bool)):
            raise FarmError(f"{where}: field {key!r}: expected {_type_name(spec.kind)}, "
                            f"got {value!r}")  # fmt: skip
        if isinstance(value, str) and not value.strip():
            raise FarmError(f"{where}: field {key!r}: must not be empty")


def parse_unit(raw: Mapping[str, Any], where: str, catalogue: Mapping[str, dict[str, Any]],
               aliases: Mapping[str, str]) -> FarmUnit:  # fmt: skip
    if isinstance(raw.get("name"), str) and raw["name"]:
        where = f"{where} ({raw['name']})"
    _check_fields(raw, UNIT_FIELDS, where)
    name = raw["name"]
    if not NAME_RE.match(name):
        raise FarmError(f"{where}: field 'name': {name!r} must match {NAME_RE.pattern}")
    spelled = raw["board"]
    board = aliases.get(spelled, spelled)
    if board not in catalogue:
        raise FarmError(f"{where}: field 'board': unknown board {spelled!r}"
                        f"{_suggest(spelled, catalogue)}; boards: {', '.join(sorted(catalogue))}")
    data = catalogue[board]
    has_emulator = bool(data.get("emulator"))
    port, probe = raw.get("port", ""), raw.get("probe", "")
    emulated = raw.get("emulated", has_emulator and not port and not probe)
    if emulated and not has_emulator:
        raise FarmError(f"{where}: field 'emulated': board {board!r} has no [emulator] table")
    if emulated and (port or probe):
        raise FarmError(f"{where}: an emulated unit gets its console and probe from its "
                        "emulator: remove 'port' and 'probe' (or set emulated = false)")
    if not emulated and not port:
        raise FarmError(f"{where}: field 'port' is required for a board wired to this host "
                        "(a device path, or rfc2217://host:port)")
    if probe.lower().startswith("remote:"):
        host, _, number = probe[len("remote:"):].rpartition(":")
        if not host or not number.isdigit():
            raise FarmError(f"{where}: field 'probe': a pyOCD server probe is "
                            f"remote:<host>:<port>, got {probe!r}")
    flash_table = dict(data.get("flash") or {})
    method = raw.get("method", "")
    if method:
        if method not in FLASHERS:
            raise FarmError(f"{where}: field 'method': unknown flash method {method!r}"
                            f"{_suggest(method, FLASHERS)}; methods: {', '.join(sorted(FLASHERS))}")
    elif not emulated and not flash_table.get("method"):
        raise FarmError(f"{where}: board {board!r} has no [flash] method; set 'method'")
    chosen = method or str(flash_table.get("method", ""))
    if not emulated and chosen in ("pyocd", "qemu") and not probe:
        raise FarmError(f"{where}: field 'probe' is required to flash with {chosen}")
    tags = raw.get("tags", [])
    if not all(isinstance(t, str) for t in tags):
        raise FarmError(f"{where}: field 'tags': expected a list of strings")
    flash = dict(raw.get("flash", {}))
    if chosen in FLASHERS and flash:
        known = set(FLASHERS[chosen].options) | {"timeout"}
        for key in flash:
            if key not in known:
                raise FarmError(f"{where}: field 'flash.{key}': the {chosen} flasher does not "
                                f"take {key!r}{_suggest(key, sorted(known))}; it takes: "
                                f"{', '.join(sorted(known))}")
    return FarmUnit(
        name=name, board=board, emulated=bool(emulated), port=port, probe=probe, method=method,
        flash=flash, enabled=raw.get("enabled", True), tags=tuple(tags),
        description=raw.get("description", ""),
    )  # fmt: skip


def parse_farm(data: Mapping[str, Any], where: str, path: Path | None = None) -> Farm:
    for key in data:
        if key not in ("farm", "unit"):
            raise FarmError(f"{where}: unknown table {key!r}{_suggest(key, ['farm', 'unit'])}; "
                            "a farm file has [farm] and [[unit]] tables")
    head = data.get("farm", {})
    if not isinstance(head, dict):
        raise FarmError(f"{where}: [farm] must be a table")
    _check_fields(head, FARM_FIELDS, f"{where}: [farm]")
    raw_units = data.get("unit", [])
    if not isinstance(raw_units, list) or not all(isinstance(u, dict) for u in raw_units):
        raise FarmError(f"{where}: units are [[unit]] tables")
    if not raw_units:
        raise FarmError(f"{where}: no [[unit]] tables: the farm has no boards")
    catalogue, aliases = _catalogue(), _catalogue_aliases()
    units = [parse_unit(raw, f"{where}: unit[{i}]", catalogue, aliases)
             for i, raw in enumerate(raw_units)]  # fmt: skip
    seen: dict[str, int] = {}
    for index, unit in enumerate(units):
        if unit.name in seen:
            raise FarmError(f"{where}: unit[{index}]: name {unit.name!r} is already used by "
                            f"unit[{seen[unit.name]}]")
        seen[unit.name] = index
    try:
        check_distinct({u.name: u.resources for u in units if u.enabled})
    except ConfigError as err:
        raise FarmError(f"{where}: {err}: they would be the same physical board") from None
    lock_dir = Path(head["lock_dir"]) if "lock_dir" in head else default_lock_dir()
    if path is not None and not lock_dir.is_absolute():
        lock_dir = path.parent / lock_dir
    return Farm(units, name=head.get("name", path.stem if path else "farm"), path=path,
                lock_dir=lock_dir)  # fmt: skip


def load_farm(path: Path | str) -> Farm:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FarmError(
            f"farm file {path} does not exist (microforge farm scan writes one)"
        ) from None
    except OSError as err:
        raise FarmError(f"cannot read farm file {path}: {err}") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise FarmError(f"{path}: not valid TOML: {err}") from None
    return parse_farm(data, str(path), path)


def emulated_farm(boards: Sequence[str] = ()) -> Farm:
    """One emulated unit per available emulated board (or per name in ``boards``)."""
    catalogue = _catalogue()
    names = [n for n, d in sorted(catalogue.items())
             if d.get("emulator") and d.get("status", "available") == "available"]  # fmt: skip
    if boards:
        aliases = _catalogue_aliases()
        wanted = [aliases.get(b, b) for b in boards]
        for board in wanted:
            if board not in names:
                raise FarmError(f"{board!r} is not an emulated board; emulated boards: "
                                f"{', '.join(names)}")
        names = wanted
    units = [FarmUnit(name=n, board=n, emulated=True, description=catalogue[n].get(
        "description", "")) for n in names]  # fmt: skip
    return Farm(units, name="emulated")


# -- opening a unit -----------------------------------------------------------------------------
def open_unit(
    unit: FarmUnit,
    workdir: Path,
    *,
    lock_dir: Path | None = None,
    flash_overrides: Mapping[str, Any] | None = None,
    max_runtime: float = 600.0,
    log_path: Path | None = None,
    lock_timeout: float = 60.0,
    data: Mapping[str, Any] | None = None,
    die_with_parent: bool = False,
) -> Dut:
    """An open DUT on ``unit``: a fresh emulator, or the wired board with its devices locked
    (a second run on the same probe, port or drive waits ``lock_timeout`` and then fails)."""
    from .dut import open_dut, open_emulated_dut

    data = dict(data) if data is not None else board_data(unit.board)
    overrides = {**unit.flash, **(flash_overrides or {})}
    if unit.emulated:
        return open_emulated_dut(data, workdir, name=unit.name, flash_overrides=overrides,
                                 max_runtime=max_runtime, log_path=log_path,
                                 die_with_parent=die_with_parent)  # fmt: skip
    method = unit.method or str((data.get("flash") or {}).get("method", ""))
    if method == "qemu":
        # An emulator run elsewhere: its gdbstub is the probe.
        emulator = data.get("emulator") or {}
        overrides = {"probe": unit.probe, "arch": data.get("arch", "arm"),
                     "machine": emulator.get("machine", ""), **overrides}  # fmt: skip
    return open_dut(data, workdir, port=unit.port, probe=unit.probe or None, name=unit.name,
                    method=unit.method or None, overrides=overrides, lock_dir=lock_dir,
                    lock_timeout=lock_timeout, log_path=log_path)  # fmt: skip


# -- writing ------------------------------------------------------------------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise FarmError(f"cannot write {value!r} to a farm file")


# -- scanning -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PortInfo:
    device: str
    serial_number: str = ""
    vid: int | None = None
    pid: int | None = None
    description: str = ""
    manufacturer: str = ""
    stable_path: str = ""  # /dev/serial/by-id/... when there is one


@dataclass(frozen=True)
class ProbeInfo:
    unique_id: str
    description: str = ""
    vendor: str = ""
    product: str = ""
    board_name: str = ""  # from pyOCD's board id table
    target: str = ""  # pyOCD target type of that board


@dataclass
class ScanResult:
    farm: Farm
    notes: list[str] = field(default_factory=list)  # what was found but not identified

    def to_toml(self) -> str:
        header = ("# microforge farm inventory, written by `microforge farm scan`.\n"
                  "# Check the boards, then run: microforge nightly --farm <this file>\n")
        text = self.farm.to_toml(header)
        if self.notes:
            text += "\n# Found but not identified; add a [[unit]] with the right board:\n"
            text += "".join(f"# {note}\n" for note in self.notes)
        return text


def gather_ports() -> list[PortInfo]:
    from serial.tools import list_ports

    by_id: dict[str, str] = {}
    folder = Path("/dev/serial/by-id")
    if folder.is_dir():
        for link in sorted(folder.iterdir()):
            by_id.setdefault(os.path.realpath(link), str(link))
    ports = []
    for info in list_ports.comports():
        if info.vid is None and not info.serial_number:
            continue  # legacy on-board UARTs (ttyS*) are not boards
        ports.append(PortInfo(
            device=info.device, serial_number=info.serial_number or "", vid=info.vid,
            pid=info.pid, description=info.description or "",
            manufacturer=info.manufacturer or "",
            stable_path=by_id.get(os.path.realpath(info.device), ""),
        ))  # fmt: skip
    return ports


def gather_probes(timeout: float = PROBE_LIST_TIMEOUT) -> tuple[list[ProbeInfo], str]:
    """pyOCD's probes, listed in a child process (a stuck USB device cannot hang the scan)."""
    from ..device.process import run_bounded

    done = run_bounded([sys.executable, "-m", "microforge.hil.farm", "--list-probes"], timeout)
    if done.timed_out:
        return [], f"pyOCD did not list its probes within {timeout:.0f} s"
    try:
        rows = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return [], f"pyOCD could not list probes: {done.stderr.strip()[-300:]}"
    return [ProbeInfo(**row) for row in rows], ""


def _list_probes_here() -> list[dict[str, str]]:
    from pyocd.probe.aggregator import DebugProbeAggregator

    rows = []
    for probe in DebugProbeAggregator.get_all_connected_probes():
        info = probe.associated_board_info
        rows.append({
            "unique_id": probe.unique_id, "description": probe.description or "",
            "vendor": probe.vendor_name or "", "product": probe.product_name or "",
            "board_name": info.name if info else "", "target": info.target if info else "",
        })  # fmt: skip
    return rows


def _probe_board(probe: ProbeInfo, catalogue: Mapping[str, dict[str, Any]]) -> str:
    """The catalogue board whose pyOCD target is the probe's board target."""
    if not probe.target:
        return ""
    for name, data in sorted(catalogue.items()):
        flash = data.get("flash") or {}
        targets = {v for k, v in flash.items() if k.endswith("pyocd_target")}
        if probe.target.lower() in {str(t).lower() for t in targets}:
            return name
    return ""


def _unit_name(board: str, taken: set[str]) -> str:
    index = 0
    while f"{board}-{index}" in taken:
        index += 1
    taken.add(f"{board}-{index}")
    return f"{board}-{index}"


def scan(
    ports: Sequence[PortInfo],
    probes: Sequence[ProbeInfo],
    catalogue: Mapping[str, dict[str, Any]] | None = None,
) -> ScanResult:
    """A farm from what is attached: probes paired with their own serial port (same serial
    number), identified by pyOCD's board table; every emulated board; notes for the rest."""
    catalogue = catalogue if catalogue is not None else _catalogue()
    taken: set[str] = set()
    units: list[FarmUnit] = []
    notes: list[str] = []
    ports_left = list(ports)
    for probe in probes:
        port = next((p for p in ports_left if p.serial_number and
                     p.serial_number.lower() == probe.unique_id.lower()), None)  # fmt: skip
        if port is not None:
            ports_left.remove(port)
        board = _probe_board(probe, catalogue)
        what = " ".join(x for x in (probe.vendor, probe.product, probe.board_name) if x)
        if not board or port is None:
            why = "no board in targets/ uses its target" if not board else "no serial port"
            notes.append(f"probe {probe.unique_id} ({what or probe.description}"
                         f"{', target ' + probe.target if probe.target else ''}): {why}")
            continue
        default = (catalogue[board].get("flash") or {}).get("method")
        method = "" if default in ("pyocd", "msd") else "pyocd"  # methods that use the probe
        units.append(FarmUnit(
            name=_unit_name(board, taken), board=board, port=port.stable_path or port.device,
            probe=probe.unique_id, method=method, description=what or probe.description,
        ))  # fmt: skip
    for port in ports_left:
        ids = f"{port.vid:04x}:{port.pid:04x}" if port.vid is not None and port.pid else "?"
        notes.append(f"port {port.stable_path or port.device}: {port.description or '?'} "
                     f"({ids}, serial {port.serial_number or '?'})")
    emulated = emulated_farm().units
    return ScanResult(Farm(units + emulated, name="farm"), notes)


def _main(argv: list[str]) -> int:
    if argv[1:] == ["--list-probes"]:
        print(json.dumps(_list_probes_here()))
        return 0
    sys.stderr.write("usage: python -m microforge.hil.farm --list-probes\n")
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
