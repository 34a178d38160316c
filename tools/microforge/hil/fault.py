"""Fault decoder: turns a board's ``MF-FAULT`` line into a readable report.

Boards print one line when the firmware faults (see ``targets/common/cortex_m/fault.c`` and
``targets/common/riscv/trap.c``)::

    MF-FAULT pc=0x... lr=0x... xpsr=0x... cfsr=0x... hfsr=0x... mmfar=0x... bfar=0x...
    MF-FAULT mcause=0x... mepc=0x... mtval=0x... ra=0x... sp=0x...

`parse_fault_line` / `find_fault` read it, `decode_fault` names the fault from the status
registers and looks the addresses up in the ELF with the matching ``addr2line`` (function, file
and line, inlined frames included). A stack overflow into the stack guard the linker scripts
reserve (``__stack_guard_start``..``__stack_guard_end``) is recognised and said as such.

Command line: ``python -m microforge.hil.fault ELF [LOG]`` (LOG defaults to stdin).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

FAULT_TAG = "MF-FAULT"
ADDR2LINE_TIMEOUT_S = 30.0

_FIELD_RE = re.compile(r"([a-z][a-z0-9_]*)=(0x[0-9a-fA-F]+|\d+)")
_ARM_KEYS = ("pc", "lr", "xpsr", "cfsr", "hfsr", "mmfar", "bfar")
_RISCV_KEYS = ("mcause", "mepc", "mtval")

#: addr2line per ELF machine, with the Debian package that provides it.
_ADDR2LINE = {
    "EM_ARM": ("arm-none-eabi-addr2line", "binutils-arm-none-eabi"),
    "EM_RISCV": ("riscv64-unknown-elf-addr2line", "binutils-riscv64-unknown-elf"),
    "EM_X86_64": ("addr2line", "binutils"),
    "EM_386": ("addr2line", "binutils"),
    "EM_AARCH64": ("addr2line", "binutils"),
}

# Configurable Fault Status Register bits (ARMv7-M / ARMv8-M).
_CFSR_BITS = (
    (0, "IACCVIOL", "instruction fetch from a no-execute or protected region"),
    (1, "DACCVIOL", "data access violation (MPU)"),
    (3, "MUNSTKERR", "MPU fault while unstacking on exception return"),
    (4, "MSTKERR", "MPU fault while stacking on exception entry"),
    (5, "MLSPERR", "MPU fault during lazy floating-point state preservation"),
    (8, "IBUSERR", "bus error on instruction fetch"),
    (9, "PRECISERR", "precise data bus error"),
    (10, "IMPRECISERR", "imprecise data bus error (pc is after the access)"),
    (11, "UNSTKERR", "bus error while unstacking on exception return"),
    (12, "STKERR", "bus error while stacking on exception entry"),
    (13, "LSPERR", "bus error during lazy floating-point state preservation"),
    (16, "UNDEFINSTR", "undefined instruction"),
    (17, "INVSTATE", "invalid state (Thumb bit clear: a call through a bad pointer?)"),
    (18, "INVPC", "invalid EXC_RETURN on exception return"),
    (19, "NOCP", "coprocessor access while disabled (FPU not enabled?)"),
    (20, "STKOF", "stack limit (MSPLIM/PSPLIM) violation"),
    (24, "UNALIGNED", "unaligned access"),
    (25, "DIVBYZERO", "integer division by zero"),
)
_MMARVALID = 1 << 7
_BFARVALID = 1 << 15
_STACKING_FAILED = (1 << 4) | (1 << 12)

_HFSR_BITS = (
    (1, "VECTTBL", "bus fault reading the vector table"),
    (30, "FORCED", "escalated from a configurable fault (see the causes)"),
    (31, "DEBUGEVT", "debug event"),
)

_ARM_EXCEPTIONS = {
    2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault",
    7: "SecureFault", 11: "SVCall", 12: "DebugMonitor", 14: "PendSV", 15: "SysTick",
}  # fmt: skip

_RISCV_EXCEPTIONS = {
    0: "instruction address misaligned",
    1: "instruction access fault",
    2: "illegal instruction",
    3: "breakpoint",
    4: "load address misaligned",
    5: "load access fault",
    6: "store/AMO address misaligned",
    7: "store/AMO access fault",
    8: "environment call from U-mode",
    9: "environment call from S-mode",
    11: "environment call from M-mode",
    12: "instruction page fault",
    13: "load page fault",
    15: "store/AMO page fault",
}
_RISCV_ADDRESS_CAUSES = (0, 1, 4, 5, 6, 7, 12, 13, 15)


class FaultDecodeError(Exception):
    """The fault cannot be decoded: no ELF, no addr2line, or addr2line failed."""


@dataclass(frozen=True)
class FaultRecord:
    """One parsed ``MF-FAULT`` line."""

    line: str
    arch: str  # "arm", "riscv" or "unknown"
    registers: dict[str, int] = field(default_factory=dict)

    @property
    def pc(self) -> int | None:
        """The faulting instruction (Arm: stacked pc; RISC-V: mepc)."""
        key = "mepc" if self.arch == "riscv" else "pc"
        return self.registers.get(key)

    @property
    def return_address(self) -> int | None:
        """Where the faulting function was called from (Arm: stacked lr; RISC-V: ra)."""
        key = "ra" if self.arch == "riscv" else "lr"
        return self.registers.get(key)

    @property
    def message(self) -> str:
        """Free text after the tag when the line carries no registers."""
        return self.line.split(FAULT_TAG, 1)[1].strip()


def parse_fault_line(line: str) -> FaultRecord | None:
    """Reads one ``MF-FAULT`` line; None when the line is not one."""
    text = line.strip().replace("\r", "")
    position = text.find(FAULT_TAG)
    if position < 0:
        return None
    text = text[position:]
    rest = text[len(FAULT_TAG):]
    if rest and not rest[0].isspace():
        return None  # e.g. "MF-FAULTY", another token
    registers = {key: int(value, 0) for key, value in _FIELD_RE.findall(rest)}
    if all(key in registers for key in _ARM_KEYS):
        arch = "arm"
    elif all(key in registers for key in _RISCV_KEYS):
        arch = "riscv"
    else:
        arch = "unknown"
    return FaultRecord(line=text, arch=arch, registers=registers)


def find_fault(text: str | bytes) -> FaultRecord | None:
    """The first ``MF-FAULT`` line of a console log, or None."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    for line in text.splitlines():
        record = parse_fault_line(line)
        if record is not None:
            return record
    return None


@dataclass(frozen=True)
class SourceLocation:
    """What addr2line says about one address; `inlined_into` lists the outer frames."""

    address: int
    function: str | None
    file: str | None
    line: int | None
    inlined_into: tuple[SourceLocation, ...] = ()

    @property
    def known(self) -> bool:
        return self.function is not None or self.file is not None

    def __str__(self) -> str:
        if not self.known:
            return "(no symbol)"
        where = f"{self.file}:{self.line}" if self.file and self.line else self.file or "?"
        text = f"{self.function or '??'} at {where}"
        for outer in self.inlined_into:
            text += f", inlined into {outer}"
        return text


@dataclass(frozen=True)
class FaultReport:
    """A decoded fault: causes in words, source locations, and the report text."""

    record: FaultRecord
    kind: str
    causes: tuple[str, ...]
    fault_address: int | None
    stack_overflow: bool
    location: SourceLocation | None
    caller: SourceLocation | None
    elf: Path | None

    @property
    def function(self) -> str | None:
        return self.location.function if self.location else None

    @property
    def file(self) -> str | None:
        return self.location.file if self.location else None

    @property
    def line(self) -> int | None:
        return self.location.line if self.location else None

    def text(self) -> str:
        """The multi-line human-readable report."""
        lines = [f"{self.kind}"]
        if self.stack_overflow and self.fault_address is not None:
            lines.append(
                f"  stack overflow: access at 0x{self.fault_address:08x} hit the stack guard"
            )
        for cause in self.causes:
            lines.append(f"  cause: {cause}")
        if self.fault_address is not None and not self.stack_overflow:
            lines.append(f"  fault address: 0x{self.fault_address:08x}")
        pc = self.record.pc
        if pc is not None:
            where = str(self.location) if self.location else "(not looked up)"
            if pc == 0 and self.record.arch == "arm" and self._stacking_failed():
                where = "unknown: the exception frame could not be stacked"
            lines.append(f"  pc   0x{pc:08x}  {where}")
        ret = self.record.return_address
        if ret is not None and self.caller is not None:
            lines.append(f"  from 0x{ret:08x}  {self.caller}")
        regs = " ".join(f"{k}=0x{v:08x}" for k, v in self.record.registers.items())
        if regs:
            lines.append(f"  registers: {regs}")
        if self.elf is not None:
            lines.append(f"  image: {self.elf}")
        return "\n".join(lines)

    def _stacking_failed(self) -> bool:
        return bool(self.record.registers.get("cfsr", 0) & _STACKING_FAILED)

    def __str__(self) -> str:
        return self.text()


def _elf_machine(elf: Path) -> str:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(elf, "rb") as handle:
            return str(ELFFile(handle)["e_machine"])
    except FileNotFoundError as err:
        raise FaultDecodeError(f"{elf}: no such ELF file") from err
    except (ELFError, OSError) as err:
        raise FaultDecodeError(f"{elf}: not a readable ELF file: {err}") from err


def _elf_symbols(elf: Path, names: Sequence[str]) -> dict[str, int]:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    found: dict[str, int] = {}
    with open(elf, "rb") as handle:
        for section in ELFFile(handle).iter_sections():
            if not isinstance(section, SymbolTableSection):
                continue
            for name in names:
                for symbol in section.get_symbol_by_name(name) or ():
                    found[name] = int(symbol["st_value"])
    return found


def addr2line_tool(elf: Path) -> str:
    """The addr2line matching the ELF's machine; FaultDecodeError when it is missing."""
    machine = _elf_machine(elf)
    tool, package = _ADDR2LINE.get(machine, ("addr2line", "binutils"))
    path = shutil.which(tool)
    if path is None:
        raise FaultDecodeError(
            f"{tool} not found on PATH (needed for {machine} images); "
            f"install it with: sudo apt-get install {package}"
        )
    return path


_ADDRESS_LINE = re.compile(r"^0x[0-9a-fA-F]+$")


def _parse_addr2line(output: str, addresses: Sequence[int]) -> list[SourceLocation]:
    blocks: list[list[str]] = []
    for raw in output.splitlines():
        line = raw.strip()
        if _ADDRESS_LINE.match(line):
            blocks.append([])
        elif blocks:
            blocks[-1].append(line)
    if len(blocks) != len(addresses):
        raise FaultDecodeError(
            f"addr2line answered {len(blocks)} addresses for {len(addresses)} asked"
        )
    result = []
    for address, block in zip(addresses, blocks, strict=True):
        frames = []
        for index in range(0, len(block) - 1, 2):
            function = block[index]
            file_part, _, line_part = block[index + 1].rpartition(":")
            line_number = re.match(r"\d+", line_part)
            frames.append(
                SourceLocation(
                    address=address,
                    function=None if function == "??" else function,
                    file=None if file_part in ("??", "") else file_part,
                    line=int(line_number.group()) if line_number and line_number.group() != "0"
                    else None,
                )
            )
        if not frames:
            result.append(SourceLocation(address, None, None, None))
            continue
        inner, outer = frames[0], tuple(frames[1:])
        result.append(SourceLocation(address, inner.function, inner.file, inner.line, outer))
    return result


def locate(
    elf: Path | str,
    addresses: Sequence[int],
    tool: str | None = None,
    timeout: float = ADDR2LINE_TIMEOUT_S,
) -> list[SourceLocation]:
    """Function, file and line (with inlined frames) for each address, from the ELF."""
    elf = Path(elf)
    if not addresses:
        return []
    command = [tool or addr2line_tool(elf), "-e", str(elf), "-a", "-f", "-C", "-i"]
    command += [f"0x{address:x}" for address in addresses]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as err:
        raise FaultDecodeError(f"addr2line did not answer within {timeout:.0f} s") from err
    except OSError as err:
        raise FaultDecodeError(f"cannot run {command[0]}: {err}") from err
    if done.returncode != 0:
        raise FaultDecodeError(
            f"{Path(command[0]).name} failed (status {done.returncode}): {done.stderr.strip()}"
        )
    return _parse_addr2line(done.stdout, addresses)


def _arm_causes(regs: dict[str, int]) -> tuple[str, tuple[str, ...], int | None]:
    cfsr, hfsr = regs.get("cfsr", 0), regs.get("hfsr", 0)
    active = regs.get("xpsr", 0) & 0x1FF  # what was running when the fault hit
    if cfsr & _STACKING_FAILED:
        where = "an unknown context (the exception frame could not be stacked)"
    elif active == 0:
        where = "thread mode"
    elif active >= 16:
        where = f"the IRQ {active - 16} handler"
    else:
        where = f"the {_ARM_EXCEPTIONS.get(active, f'exception {active}')} handler"
    kind = f"Arm fault in {where}"
    causes = [f"{name}: {text}" for bit, name, text in _CFSR_BITS if cfsr & (1 << bit)]
    causes += [f"HFSR {name}: {text}" for bit, name, text in _HFSR_BITS if hfsr & (1 << bit)]
    if not cfsr and not hfsr and "pc" in regs:
        causes.append("no fault status bits set: an exception or interrupt without a handler")
    address = None
    if cfsr & _MMARVALID:
        address = regs.get("mmfar")
    elif cfsr & _BFARVALID:
        address = regs.get("bfar")
    return kind, tuple(causes), address


def _riscv_causes(regs: dict[str, int]) -> tuple[str, tuple[str, ...], int | None]:
    mcause = regs.get("mcause", 0)
    if mcause & 0x80000000:
        return "RISC-V trap: unexpected interrupt", (f"interrupt {mcause & 0x7FFFFFFF}",), None
    name = _RISCV_EXCEPTIONS.get(mcause, f"exception {mcause}")
    causes = [name]
    address = None
    if mcause in _RISCV_ADDRESS_CAUSES:
        address = regs.get("mtval")
    elif mcause == 2 and regs.get("mtval"):
        causes.append(f"instruction bits 0x{regs['mtval']:08x}")
    return f"RISC-V trap: {name}", tuple(causes), address


def _caller_address(record: FaultRecord) -> int | None:
    ret = record.return_address
    if ret is None or ret == 0:
        return None
    if record.arch == "arm":
        if ret >= 0xF0000000:
            return None  # EXC_RETURN: the fault interrupted a handler's caller frame
        return (ret & ~1) - 1  # inside the call instruction, not after it
    return ret - 1


def decode_fault(
    record: FaultRecord,
    elf: Path | str | None = None,
    tool: str | None = None,
    timeout: float = ADDR2LINE_TIMEOUT_S,
) -> FaultReport:
    """Names the fault and, given the ELF, where in the source it happened."""
    if record.arch == "arm":
        kind, causes, address = _arm_causes(record.registers)
    elif record.arch == "riscv":
        kind, causes, address = _riscv_causes(record.registers)
    else:
        kind, causes, address = f"fault: {record.message or 'no registers'}", (), None
    elf_path = Path(elf) if elf is not None else None
    location = caller = None
    stack_overflow = False
    if elf_path is not None:
        symbols = _elf_symbols_checked(elf_path)
        start = symbols.get("__stack_guard_start")
        end = symbols.get("__stack_guard_end")
        if address is not None and start is not None and end is not None:
            stack_overflow = start <= address < end
        wanted: list[int] = []
        pc = record.pc
        if pc:
            wanted.append(pc & ~1 if record.arch == "arm" else pc)
        caller_address = _caller_address(record)
        if caller_address is not None:
            wanted.append(caller_address)
        found = locate(elf_path, wanted, tool=tool, timeout=timeout)
        if pc:
            location = found.pop(0)
        if caller_address is not None:
            caller = found.pop(0)
    if "stack guard" in record.message and record.arch == "unknown":
        stack_overflow = True
    return FaultReport(
        record=record,
        kind=kind,
        causes=causes,
        fault_address=address,
        stack_overflow=stack_overflow,
        location=location,
        caller=caller,
        elf=elf_path,
    )


def _elf_symbols_checked(elf: Path) -> dict[str, int]:
    _elf_machine(elf)  # clear error for a missing or broken file
    return _elf_symbols(elf, ("__stack_guard_start", "__stack_guard_end"))


def decode_text(
    text: str | bytes, elf: Path | str | None = None, tool: str | None = None
) -> FaultReport | None:
    """Finds the first ``MF-FAULT`` line in a console log and decodes it; None if none."""
    record = find_fault(text)
    return decode_fault(record, elf, tool=tool) if record is not None else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m microforge.hil.fault",
        description="Decode an MF-FAULT line from a board's console log.",
    )
    parser.add_argument("elf", type=Path, help="the firmware ELF that faulted")
    parser.add_argument("log", nargs="?", type=Path, help="console log (default: stdin)")
    args = parser.parse_args(argv)
    try:
        text = args.log.read_bytes() if args.log else sys.stdin.buffer.read()
    except OSError as err:
        print(f"error: cannot read {args.log}: {err.strerror}", file=sys.stderr)
        return 2
    try:
        report = decode_text(text, args.elf)
    except FaultDecodeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if report is None:
        print("no MF-FAULT line found", file=sys.stderr)
        return 1
    print(report.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
