"""A pyOCD debug probe that drives QEMU's gdbstub, so emulated boards are programmed through the
same pyOCD path (session, discovery, FileProgrammer, reset) as boards on a real SWD probe.

QEMU exposes memory, core registers, run control and a monitor; it does not emulate a debug
port or the Cortex-M debug registers. This probe therefore presents to pyOCD:

* an ADIv5 SW-DP with one AHB-AP (register-level, including TAR/DRW/BDx transfers), plus an
  accelerated memory interface for bulk transfers;
* on that AP's bus, a ROM table, the SCS identification and debug registers (DHCSR, DCRSR,
  DCRDR, DEMCR, DFSR, AIRCR resets) and an FPB, all mapped onto gdb remote commands: halt is an
  interrupt, resume is ``c``, step is ``s``, a core register access is ``p``/``P``, an FPB
  comparator is a hardware breakpoint (``Z1``), a SYSRESETREQ is ``monitor system_reset``;
* every other address is read and written in QEMU's memory through ``m``/``M``.

Limits (QEMU 7.2's M-profile gdbstub): MSP is the current SP, and PSP, CONTROL, PRIMASK,
BASEPRI and FAULTMASK read as 0 unless the stub exposes them; vector catch works for core reset
only; there are no DWT watchpoints.

Probe unique ids are ``<host>:<port>``; select one with ``qemu:<host>:<port>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def __getattr__(name: str) -> Any:
    # pyOCD loads its probe plugins (this module's, through the pyocd.probe entry point) while
    # it is first imported. When this module is what imports pyOCD, pyOCD asks for the plugin
    # before it is defined below: it gets one that declines to load, and register_with_pyocd()
    # adds the probe once this module is complete.
    if name == "QemuGdbProbePlugin":
        from pyocd.core.plugin import Plugin

        class NotYetLoaded(Plugin):
            def should_load(self) -> bool:
                return False

            def load(self) -> Any:
                raise RuntimeError("microforge.device.pyocd_qemu is still being imported")

            @property
            def name(self) -> str:
                return "qemu"

        return NotYetLoaded
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from pyocd.core import exceptions  # noqa: E402 - after the hook above
from pyocd.core.memory_interface import MemoryInterface  # noqa: E402
from pyocd.core.memory_map import MemoryMap, RamRegion  # noqa: E402
from pyocd.core.plugin import Plugin  # noqa: E402
from pyocd.coresight.coresight_target import CoreSightTarget  # noqa: E402
from pyocd.probe.debug_probe import DebugProbe  # noqa: E402

from .gdb_remote import (  # noqa: E402
    GdbErrorReply,
    GdbRemote,
    GdbRemoteError,
    GdbTargetExited,
    GdbTimeout,
)

PROBE_TYPE = "qemu"

# Debug port and access port values presented to pyOCD.
DPIDR_VALUE = 0x2BA01477  # ADIv5 SW-DP, version 1, designer Arm
AHB_AP_IDR = 0x24770011  # AHB-AP, MEM-AP class, designer Arm
ROM_TABLE_BASE = 0xE00FF000
DP_CTRL_STAT_REQ = 0x50000000  # CSYSPWRUPREQ | CDBGPWRUPREQ
DP_CTRL_STAT_ACK_SHIFT = 1

# Memory-mapped debug registers.
AIRCR = 0xE000ED0C
DFSR = 0xE000ED30
DHCSR = 0xE000EDF0
DCRSR = 0xE000EDF4
DCRDR = 0xE000EDF8
DEMCR = 0xE000EDFC
SCS_BASE = 0xE000E000
FPB_BASE = 0xE0002000
FPB_COMPARATORS = 6
FPB_LITERALS = 2

DBGKEY = 0xA05F
C_DEBUGEN, C_HALT, C_STEP, C_MASKINTS = 1, 2, 4, 8
S_REGRDY, S_HALT, S_RETIRE_ST, S_RESET_ST = 1 << 16, 1 << 17, 1 << 24, 1 << 25
DFSR_HALTED, DFSR_BKPT, DFSR_VCATCH = 1, 2, 8
VC_CORERESET = 1
AIRCR_VECTKEY = 0x05FA
AIRCR_RESET_BITS = 0x5  # SYSRESETREQ | VECTRESET

ARM_DESIGNER = 0x43B
CLASS_ROM_TABLE = 0x1
CLASS_GENERIC = 0xE


def identification_words(part: int, component_class: int) -> dict[int, int]:
    """Offsets 0xFD0..0xFFC of a CoreSight component's peripheral and component ids."""
    designer = ARM_DESIGNER
    return {
        0xFD0: (designer >> 8) & 0xF,
        0xFD4: 0, 0xFD8: 0, 0xFDC: 0,
        0xFE0: part & 0xFF,
        0xFE4: ((part >> 8) & 0xF) | ((designer & 0xF) << 4),
        0xFE8: ((designer >> 4) & 0x7) | 0x8,
        0xFEC: 0,
        0xFF0: 0x0D,
        0xFF4: component_class << 4,
        0xFF8: 0x05,
        0xFFC: 0xB1,
    }  # fmt: skip


ROM_TABLE_WORDS = {
    0x000: ((SCS_BASE - ROM_TABLE_BASE) & 0xFFFFF000) | 0x3,
    0x004: ((FPB_BASE - ROM_TABLE_BASE) & 0xFFFFF000) | 0x3,
    0x008: 0,
    0xFCC: 0x1,  # MEMTYPE: system memory present on this bus
    **identification_words(0x4C4, CLASS_ROM_TABLE),
}
SCS_ID_WORDS = identification_words(0x00C, CLASS_GENERIC)
FPB_ID_WORDS = identification_words(0x003, CLASS_GENERIC)

# DCRSR register selector -> gdb register name.
CORE_REGISTER_NAMES = {
    **{n: f"r{n}" for n in range(13)},
    13: "sp", 14: "lr", 15: "pc", 16: "xpsr", 17: "msp", 18: "psp", 33: "fpscr",
}  # fmt: skip
REGSEL_CFBP = 20


def _translate(err: Exception, address: int | None = None) -> Exception:
    """Map gdb client errors onto pyOCD's exception types."""
    if isinstance(err, GdbTimeout):
        return exceptions.TransferTimeoutError(str(err))
    if isinstance(err, GdbTargetExited):
        return exceptions.ProbeDisconnected(str(err))
    if isinstance(err, GdbErrorReply):
        if address is not None:
            return exceptions.TransferFaultError(address)
        return exceptions.TransferError(str(err))
    return exceptions.ProbeError(str(err))


class CortexMDebugBus:
    """The AHB-AP's view of a Cortex-M system, over a gdb remote connection."""

    def __init__(self, gdb: GdbRemote) -> None:
        self.gdb = gdb
        self.dhcsr_control = 0
        self.dcrdr = 0
        self.demcr = 0
        self.dfsr = 0
        self.register_ready = True
        self.reset_seen = False
        self.retired = False
        self.reset_asserted = False
        self.fp_ctrl_enable = 0
        self.fp_comp = [0] * FPB_COMPARATORS
        self.breakpoints: set[int] = set()

    # -- run state -----------------------------------------------------------------------
    @property
    def exited(self) -> bool:
        """The emulator ended (the guest exited or QEMU was stopped)."""
        return not self.gdb.connected

    def halted(self) -> bool:
        if self.exited:
            return False
        if self.gdb.running:
            try:
                stop = self.gdb.poll_stop()
            except GdbTargetExited:
                return False
            if stop is not None and not stop.exited:
                self.dfsr |= DFSR_BKPT if stop.value == 5 else DFSR_HALTED
        return not self.gdb.running and not self.exited

    def _halt(self) -> None:
        if self.gdb.running:
            self.gdb.halt()
            self.dfsr |= DFSR_HALTED

    def _resume(self) -> None:
        if not self.gdb.running and not self.exited:
            self.gdb.cont()
            self.retired = True

    def _while_stopped(self, action: Callable[[], Any]) -> Any:
        """Run a gdb request, pausing the target around it if it is running."""
        was_running = self.gdb.running
        if was_running:
            stop = self.gdb.poll_stop()
            if stop is not None:
                self.dfsr |= DFSR_BKPT if stop.value == 5 else DFSR_HALTED
                was_running = False
            else:
                self.gdb.halt()
        try:
            return action()
        finally:
            if was_running:
                self.gdb.cont()

    def system_reset(self) -> None:
        """Reset the machine; stop at the reset vector if reset catch is armed."""
        if self.gdb.running:
            self.gdb.halt()
        self.gdb.monitor("system_reset")
        self.reset_seen = True
        self.dfsr = 0
        self.fp_ctrl_enable = 0
        if self.reset_asserted:
            return
        if (self.dhcsr_control & C_DEBUGEN) and (self.demcr & VC_CORERESET):
            self.dfsr |= DFSR_VCATCH
        else:
            self._resume()

    def assert_reset(self, asserted: bool) -> None:
        if asserted and not self.reset_asserted:
            self._halt()
            self.reset_asserted = True
        elif not asserted and self.reset_asserted:
            self.reset_asserted = False
            self.system_reset()

    # -- word access -----------------------------------------------------------------------
    def _emulated(self, address: int) -> bool:
        if address in (DFSR, DHCSR, DCRSR, DCRDR, DEMCR):
            return True
        if SCS_BASE + 0xFD0 <= address <= SCS_BASE + 0xFFC:
            return True
        return (FPB_BASE <= address < FPB_BASE + 0x1000) or (
            ROM_TABLE_BASE <= address < ROM_TABLE_BASE + 0x1000
        )

    def read_word(self, address: int) -> int:
        address &= ~3
        if self._emulated(address):
            return self._read_emulated(address)
        return int.from_bytes(self.read_bytes(address, 4), "little")

    def write_word(self, address: int, value: int) -> None:
        address &= ~3
        value &= 0xFFFFFFFF
        if address == AIRCR and (value >> 16) == AIRCR_VECTKEY and value & AIRCR_RESET_BITS:
            self.system_reset()
        elif self._emulated(address):
            self._write_emulated(address, value)
        else:
            self.write_bytes(address, value.to_bytes(4, "little"))

    def read(self, address: int, size: int) -> int:
        """Read a 1, 2 or 4 byte value (little endian)."""
        if size == 4 and address % 4 == 0:
            return self.read_word(address)
        if self._emulated(address & ~3):
            word = self.read_word(address)
            shift = (address & 3) * 8
            return (word >> shift) & ((1 << (size * 8)) - 1)
        return int.from_bytes(self.read_bytes(address, size), "little")

    def write(self, address: int, size: int, value: int) -> None:
        if size == 4 and address % 4 == 0:
            self.write_word(address, value)
            return
        if self._emulated(address & ~3):
            shift = (address & 3) * 8
            mask = ((1 << (size * 8)) - 1) << shift
            word = self.read_word(address)
            self.write_word(address, (word & ~mask) | ((value << shift) & mask))
            return
        self.write_bytes(address, (value & ((1 << (size * 8)) - 1)).to_bytes(size, "little"))

    # -- block access ----------------------------------------------------------------------
    def _segments(self, address: int, length: int) -> list[tuple[int, int, bool]]:
        """Split a range into (start, length, emulated) runs on word boundaries."""
        segments: list[tuple[int, int, bool]] = []
        position, end = address, address + length
        while position < end:
            emulated = self._emulated(position & ~3)
            next_word = (position & ~3) + 4
            run_end = min(next_word, end)
            while run_end < end and self._emulated(run_end & ~3) == emulated:
                run_end = min(run_end + 4, end)
            segments.append((position, run_end - position, emulated))
            position = run_end
        return segments

    def read_bytes(self, address: int, length: int) -> bytes:
        if not any(emulated for *_, emulated in self._segments(address, length)):
            return self._gdb_read(address, length)
        out = bytearray()
        for start, count, emulated in self._segments(address, length):
            if emulated:
                first = start & ~3
                words = b"".join(
                    self.read_word(word).to_bytes(4, "little")
                    for word in range(first, start + count, 4)
                )
                out += words[start - first : start - first + count]
            else:
                out += self._gdb_read(start, count)
        return bytes(out)

    def write_bytes(self, address: int, data: bytes) -> None:
        segments = self._segments(address, len(data))
        if not any(emulated for *_, emulated in segments):
            self._gdb_write(address, data)
            return
        for start, count, emulated in segments:
            chunk = data[start - address : start - address + count]
            if emulated:
                if count == 4 and start % 4 == 0:
                    self.write_word(start, int.from_bytes(chunk, "little"))
                else:
                    for offset, byte in enumerate(chunk):
                        self.write(start + offset, 1, byte)
            else:
                self._gdb_write(start, chunk)

    def _gdb_read(self, address: int, length: int) -> bytes:
        if self.exited:
            raise exceptions.ProbeDisconnected("the emulated target has exited")
        try:
            return self._while_stopped(lambda: self.gdb.read_memory(address, length))
        except GdbRemoteError as err:
            raise _translate(err, address) from err

    def _gdb_write(self, address: int, data: bytes) -> None:
        if self.exited:
            raise exceptions.ProbeDisconnected("the emulated target has exited")
        try:
            self._while_stopped(lambda: self.gdb.write_memory(address, bytes(data)))
        except GdbRemoteError as err:
            raise _translate(err, address) from err

    # -- emulated registers ----------------------------------------------------------------
    def _read_emulated(self, address: int) -> int:
        if address == DHCSR:
            return self._read_dhcsr()
        if address == DCRSR:
            return 0
        if address == DCRDR:
            return self.dcrdr
        if address == DEMCR:
            return self.demcr
        if address == DFSR:
            return self.dfsr
        if SCS_BASE <= address < SCS_BASE + 0x1000:
            return SCS_ID_WORDS.get(address - SCS_BASE, 0)
        if FPB_BASE <= address < FPB_BASE + 0x1000:
            return self._read_fpb(address - FPB_BASE)
        return ROM_TABLE_WORDS.get(address - ROM_TABLE_BASE, 0)

    def _write_emulated(self, address: int, value: int) -> None:
        if address == DHCSR:
            self._write_dhcsr(value)
        elif address == DCRSR:
            self._core_register_transfer(value)
        elif address == DCRDR:
            self.dcrdr = value
        elif address == DEMCR:
            self.demcr = value
        elif address == DFSR:
            self.dfsr &= ~value
        elif FPB_BASE <= address < FPB_BASE + 0x1000:
            self._write_fpb(address - FPB_BASE, value)
        # ROM table and identification registers are read-only.

    def _read_dhcsr(self) -> int:
        value = (self.dhcsr_control & 0xF) | (S_REGRDY if self.register_ready else 0)
        if self.halted():
            # A stopped QEMU is a core held in debug state: debug enabled, halt requested.
            value |= S_HALT | C_DEBUGEN | C_HALT
        if self.retired:
            value |= S_RETIRE_ST
            self.retired = self.gdb.running
        if self.reset_seen:
            value |= S_RESET_ST
            self.reset_seen = False
        return value

    def _write_dhcsr(self, value: int) -> None:
        if (value >> 16) != DBGKEY:
            return
        control = value & 0xF
        self.dhcsr_control = control
        if not control & C_DEBUGEN:
            self._resume()
        elif control & C_HALT:
            self._halt()
        elif self.halted():
            if control & C_STEP:
                try:
                    self.gdb.step()
                except GdbRemoteError as err:
                    raise _translate(err) from err
                self.dfsr |= DFSR_HALTED
            else:
                self._resume()

    def _core_register_transfer(self, value: int) -> None:
        selector = value & 0x7F
        writing = bool(value & (1 << 16))
        if not self.halted():
            self.register_ready = False
            return
        self.register_ready = True
        try:
            if writing:
                self._write_core_register(selector, self.dcrdr)
            else:
                self.dcrdr = self._read_core_register(selector)
        except GdbRemoteError as err:
            raise _translate(err) from err

    def _register_name(self, selector: int) -> str | None:
        name = CORE_REGISTER_NAMES.get(selector)
        if name in ("msp",) and not self.gdb.has_register("msp"):
            return "sp"
        if name is not None and not self.gdb.has_register(name):
            return None
        return name

    def _read_core_register(self, selector: int) -> int:
        if 64 <= selector <= 95:
            return self._read_single(selector - 64)
        if selector == REGSEL_CFBP:
            value = 0
            for shift, name in ((24, "control"), (16, "faultmask"), (8, "basepri"), (0, "primask")):
                if self.gdb.has_register(name):
                    value |= (self.gdb.read_register(name) & 0xFF) << shift
            return value
        name = self._register_name(selector)
        return self.gdb.read_register(name) if name else 0

    def _write_core_register(self, selector: int, value: int) -> None:
        if 64 <= selector <= 95:
            self._write_single(selector - 64, value)
            return
        if selector == REGSEL_CFBP:
            for shift, name in ((24, "control"), (16, "faultmask"), (8, "basepri"), (0, "primask")):
                if self.gdb.has_register(name):
                    self.gdb.write_register(name, (value >> shift) & 0xFF)
            return
        name = self._register_name(selector)
        if name:
            self.gdb.write_register(name, value)

    def _read_single(self, index: int) -> int:
        if self.gdb.has_register(f"s{index}"):
            return self.gdb.read_register(f"s{index}")
        double = self.gdb.read_register(f"d{index // 2}")
        return (double >> (32 * (index % 2))) & 0xFFFFFFFF

    def _write_single(self, index: int, value: int) -> None:
        if self.gdb.has_register(f"s{index}"):
            self.gdb.write_register(f"s{index}", value)
            return
        name = f"d{index // 2}"
        shift = 32 * (index % 2)
        double = self.gdb.read_register(name)
        double = (double & ~(0xFFFFFFFF << shift)) | ((value & 0xFFFFFFFF) << shift)
        self.gdb.write_register(name, double)

    # -- FPB ---------------------------------------------------------------------------------
    def _read_fpb(self, offset: int) -> int:
        if offset == 0x000:
            return (
                ((FPB_COMPARATORS & 0x70) << 8)
                | (FPB_LITERALS << 8)
                | ((FPB_COMPARATORS & 0xF) << 4)
                | self.fp_ctrl_enable
            )
        if 0x008 <= offset < 0x008 + 4 * FPB_COMPARATORS:
            return self.fp_comp[(offset - 0x008) // 4]
        if offset >= 0xFD0:
            return FPB_ID_WORDS.get(offset, 0)
        return 0

    def _write_fpb(self, offset: int, value: int) -> None:
        if offset == 0x000:
            if value & 0x2:
                self.fp_ctrl_enable = value & 0x1
        elif 0x008 <= offset < 0x008 + 4 * FPB_COMPARATORS:
            self.fp_comp[(offset - 0x008) // 4] = value
        else:
            return
        self._sync_breakpoints()

    def _sync_breakpoints(self) -> None:
        wanted: set[int] = set()
        if self.fp_ctrl_enable:
            for comp in self.fp_comp:
                if comp & 1:
                    replace = comp >> 30
                    base = comp & 0x1FFFFFFC
                    if replace in (1, 3):
                        wanted.add(base)
                    if replace in (2, 3):
                        wanted.add(base + 2)
        if wanted == self.breakpoints:
            return

        def apply() -> None:
            for address in self.breakpoints - wanted:
                self.gdb.remove_breakpoint(address)
            for address in wanted - self.breakpoints:
                self.gdb.insert_breakpoint(address)

        try:
            self._while_stopped(apply)
        except GdbRemoteError as err:
            raise _translate(err) from err
        self.breakpoints = wanted


class GdbMemoryInterface(MemoryInterface):
    """Accelerated memory access for the probe's only AP."""

    def __init__(self, bus: CortexMDebugBus) -> None:
        self._bus = bus

    def write_memory(self, addr: int, data: int, transfer_size: int = 32, **attrs: Any) -> None:
        self._bus.write(addr, transfer_size // 8, data)

    def read_memory(  # type: ignore[override]
        self, addr: int, transfer_size: int = 32, now: bool = True, **attrs: Any
    ) -> int | Callable[[], int]:
        value = self._bus.read(addr, transfer_size // 8)
        return value if now else (lambda: value)

    def write_memory_block32(self, addr: int, data: Sequence[int], **attrs: Any) -> None:
        raw = b"".join((word & 0xFFFFFFFF).to_bytes(4, "little") for word in data)
        self._bus.write_bytes(addr, raw)

    def read_memory_block32(self, addr: int, size: int, **attrs: Any) -> Sequence[int]:
        raw = self._bus.read_bytes(addr, size * 4)
        return [int.from_bytes(raw[i : i + 4], "little") for i in range(0, len(raw), 4)]

    def write_memory_block8(self, addr: int, data: Sequence[int], **attrs: Any) -> None:
        self._bus.write_bytes(addr, bytes(data))

    def read_memory_block8(self, addr: int, size: int, **attrs: Any) -> Sequence[int]:
        return list(self._bus.read_bytes(addr, size))


# MEM-AP register offsets and CSW fields.
AP_CSW, AP_TAR, AP_DRW, AP_BD0, AP_CFG, AP_BASE, AP_IDR = 0x00, 0x04, 0x0C, 0x10, 0xF4, 0xF8, 0xFC
CSW_SIZE_MASK, CSW_ADDRINC_SINGLE, CSW_DEVICEEN = 0x7, 0x10, 0x40


class QemuGdbProbe(DebugProbe):
    """Debug probe whose wire is a TCP connection to QEMU's gdbstub."""

    @classmethod
    def get_all_connected_probes(
        cls, unique_id: str | None = None, is_explicit: bool = False
    ) -> Sequence[DebugProbe]:
        # A gdbstub cannot be discovered; it is named explicitly (qemu:<host>:<port>).
        if unique_id and is_explicit:
            probe = cls.get_probe_with_id(unique_id, is_explicit)
            return [probe] if probe else []
        return []

    @classmethod
    def get_probe_with_id(cls, unique_id: str, is_explicit: bool = False) -> DebugProbe | None:
        if not is_explicit:
            return None
        host, _, port = unique_id.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            return None
        return cls(host, int(port))

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        super().__init__()
        self._host = host
        self._port = port
        self._timeout = timeout
        self._gdb: GdbRemote | None = None
        self._bus: CortexMDebugBus | None = None
        self._protocol: DebugProbe.Protocol | None = None
        self._dp_ctrl_stat = 0
        self._dp_select = 0
        self._rdbuff = 0
        self._csw = CSW_ADDRINC_SINGLE | 0x2
        self._tar = 0

    @property
    def description(self) -> str:
        return f"QEMU gdbstub at {self._host}:{self._port}"

    @property
    def vendor_name(self) -> str:
        return "QEMU"

    @property
    def product_name(self) -> str:
        return "gdbstub"

    @property
    def supported_wire_protocols(self) -> Sequence[DebugProbe.Protocol]:
        return [DebugProbe.Protocol.DEFAULT, DebugProbe.Protocol.SWD]

    @property
    def unique_id(self) -> str:
        return f"{self._host}:{self._port}"

    @property
    def wire_protocol(self) -> DebugProbe.Protocol | None:
        return self._protocol

    @property
    def is_open(self) -> bool:
        return self._gdb is not None

    @property
    def capabilities(self) -> set[DebugProbe.Capability]:
        return set()

    @property
    def bus(self) -> CortexMDebugBus:
        if self._bus is None:
            raise exceptions.ProbeError("the QEMU probe is not open")
        return self._bus

    def open(self) -> None:
        gdb = GdbRemote(self._host, self._port, timeout=self._timeout)
        try:
            gdb.connect()
        except GdbRemoteError as err:
            raise exceptions.ProbeError(str(err)) from err
        self._gdb = gdb
        self._bus = CortexMDebugBus(gdb)

    def close(self) -> None:
        if self._gdb is not None:
            self._gdb.detach()
        self._gdb = None
        self._bus = None

    def connect(self, protocol: DebugProbe.Protocol | None = None) -> None:
        self._protocol = DebugProbe.Protocol.SWD

    def disconnect(self) -> None:
        self._protocol = None

    def set_clock(self, frequency: float) -> None:
        """The gdbstub has no wire clock."""

    def reset(self) -> None:
        try:
            self.bus.system_reset()
        except GdbRemoteError as err:
            raise _translate(err) from err

    def assert_reset(self, asserted: bool) -> None:
        try:
            self.bus.assert_reset(asserted)
        except GdbRemoteError as err:
            raise _translate(err) from err

    def is_reset_asserted(self) -> bool:
        return self._bus.reset_asserted if self._bus else False

    # -- DP registers --------------------------------------------------------------------------
    def read_dp(self, addr: int, now: bool = True) -> int | Callable[[], int]:  # type: ignore[override]
        register = addr & 0xC
        if register == 0x0:
            value = DPIDR_VALUE
        elif register == 0x4:
            requests = self._dp_ctrl_stat & DP_CTRL_STAT_REQ
            value = self._dp_ctrl_stat | (requests << DP_CTRL_STAT_ACK_SHIFT)
        elif register == 0x8:
            value = self._dp_select
        else:
            value = self._rdbuff
        return value if now else (lambda: value)

    def write_dp(self, addr: int, data: int) -> None:
        register = addr & 0xC
        if register == 0x4:
            self._dp_ctrl_stat = data & 0xF0000F00
        elif register == 0x8:
            self._dp_select = data

    # -- AP registers --------------------------------------------------------------------------
    def _transfer_size(self) -> int:
        return {0: 1, 1: 2, 2: 4}.get(self._csw & CSW_SIZE_MASK, 4)

    def _advance(self) -> None:
        if self._csw & 0x30 == CSW_ADDRINC_SINGLE:
            self._tar = (self._tar + self._transfer_size()) & 0xFFFFFFFF

    def _read_ap_now(self, addr: int) -> int:
        if (addr >> 24) & 0xFF:
            return 0  # only AP #0 exists
        register = addr & 0xFC
        if register == AP_IDR:
            return AHB_AP_IDR
        if register == AP_BASE:
            return ROM_TABLE_BASE | 0x3
        if register == AP_CFG:
            return 0
        if register == AP_CSW:
            return self._csw | CSW_DEVICEEN
        if register == AP_TAR:
            return self._tar
        if register == AP_DRW:
            size = self._transfer_size()
            lane = (self._tar & 3) * 8
            value = self.bus.read(self._tar, size) << lane
            self._advance()
            return value & 0xFFFFFFFF
        if AP_BD0 <= register < AP_BD0 + 0x10:
            return self.bus.read_word((self._tar & ~0xF) + (register - AP_BD0))
        return 0

    def read_ap(self, addr: int, now: bool = True) -> int | Callable[[], int]:  # type: ignore[override]
        value = self._read_ap_now(addr)
        self._rdbuff = value
        return value if now else (lambda: value)

    def write_ap(self, addr: int, data: int) -> None:
        if (addr >> 24) & 0xFF:
            return
        register = addr & 0xFC
        if register == AP_CSW:
            size = data & CSW_SIZE_MASK
            self._csw = (data & ~CSW_SIZE_MASK) | (size if size <= 2 else 2)
        elif register == AP_TAR:
            self._tar = data & 0xFFFFFFFF
        elif register == AP_DRW:
            size = self._transfer_size()
            lane = (self._tar & 3) * 8
            self.bus.write(self._tar, size, (data >> lane) & ((1 << (size * 8)) - 1))
            self._advance()
        elif AP_BD0 <= register < AP_BD0 + 0x10:
            self.bus.write_word((self._tar & ~0xF) + (register - AP_BD0), data)

    def read_ap_multiple(  # type: ignore[override]
        self, addr: int, count: int = 1, now: bool = True
    ) -> Sequence[int] | Callable[[], Sequence[int]]:
        if (addr & 0xFC) == AP_DRW and self._transfer_size() == 4 and not (addr >> 24) & 0xFF:
            raw = self.bus.read_bytes(self._tar, 4 * count)
            self._tar = (self._tar + 4 * count) & 0xFFFFFFFF
            values = [int.from_bytes(raw[i : i + 4], "little") for i in range(0, len(raw), 4)]
        else:
            values = [self._read_ap_now(addr) for _ in range(count)]
        return values if now else (lambda: values)

    def write_ap_multiple(self, addr: int, values: Sequence[int]) -> None:
        if (addr & 0xFC) == AP_DRW and self._transfer_size() == 4 and not (addr >> 24) & 0xFF:
            raw = b"".join((v & 0xFFFFFFFF).to_bytes(4, "little") for v in values)
            self.bus.write_bytes(self._tar, raw)
            self._tar = (self._tar + len(raw)) & 0xFFFFFFFF
            return
        for value in values:
            self.write_ap(addr, value)

    def get_memory_interface_for_ap(self, ap_address: Any) -> MemoryInterface | None:
        if getattr(ap_address, "apsel", None) == 0:
            return GdbMemoryInterface(self.bus)
        return None


class QemuGdbProbePlugin(Plugin):
    """pyOCD plugin record (entry point group ``pyocd.probe``, name ``qemu``)."""

    def load(self) -> type[QemuGdbProbe]:
        return QemuGdbProbe

    @property
    def name(self) -> str:
        return PROBE_TYPE

    @property
    def description(self) -> str:
        return "QEMU gdbstub as a debug probe"


def _mps2_memory_map(psram_base: int, block_ram: bool) -> MemoryMap:
    regions = [
        RamRegion(name="code", start=0x00000000, length=0x00400000, is_boot_memory=True),
        RamRegion(name="sram", start=0x20000000, length=0x00400000),
        RamRegion(name="psram", start=psram_base, length=0x01000000),
    ]
    if block_ram:
        regions.append(RamRegion(name="block_ram", start=0x01000000, length=0x4000))
    return MemoryMap(*regions)


class QemuMps2An386(CoreSightTarget):
    """QEMU ``mps2-an386`` (Cortex-M4F): code RAM at 0, SRAM at 0x20000000."""

    VENDOR = "QEMU"

    def __init__(self, session: Any) -> None:
        super().__init__(session, _mps2_memory_map(0x21000000, block_ram=True))


class QemuMps2An500(CoreSightTarget):
    """QEMU ``mps2-an500`` (Cortex-M7): code RAM at 0, SRAM at 0x20000000."""

    VENDOR = "QEMU"

    def __init__(self, session: Any) -> None:
        super().__init__(session, _mps2_memory_map(0x60000000, block_ram=False))


TARGETS: dict[str, type[CoreSightTarget]] = {
    "qemu_mps2_an386": QemuMps2An386,
    "qemu_mps2_an500": QemuMps2An500,
}

#: QEMU machine name -> pyOCD target type.
MACHINE_TARGETS = {"mps2-an386": "qemu_mps2_an386", "mps2-an500": "qemu_mps2_an500"}


def register_with_pyocd() -> None:
    """Make the probe type and the QEMU target types known to this process's pyOCD."""
    from pyocd.probe import aggregator
    from pyocd.target import TARGET

    aggregator.PROBE_CLASSES.setdefault(PROBE_TYPE, QemuGdbProbe)
    for name, klass in TARGETS.items():
        TARGET.setdefault(name, klass)
