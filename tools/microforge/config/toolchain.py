"""Toolchains as data: `targets/toolchains/<name>.toml`, found once per build.

A toolchain file names the tool prefix, how to check the version, the flag style used to turn
a board's cpu/fpu/float_abi into compiler flags, and the Debian packages that provide it.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .schema import Field, check_table, load_toml

FLAG_STYLES = ("host", "arm", "riscv", "xtensa")
VERSION_TIMEOUT_S = 20

TOOLCHAIN_FIELDS: dict[str, Field] = {
    "name": Field("str", "equals the file name", required=True),
    "description": Field("str", "one line", required=True),
    "prefix": Field("str", "prefix of every tool, e.g. arm-none-eabi-", default=""),
    "cc": Field("str", "C compiler (after the prefix)", default="gcc"),
    "ar": Field("str", "archiver", default="ar"),
    "ranlib": Field("str", "archive indexer", default="ranlib"),
    "objcopy": Field("str", "image converter", default="objcopy"),
    "size": Field("str", "size tool", default="size"),
    "arch": Field("list[str]", "board arches it can build for", required=True,
                  choices=("arm", "riscv", "xtensa", "host")),
    "flag_style": Field("str", "how cpu/fpu/float_abi become flags: " + " | ".join(FLAG_STYLES),
                        required=True, choices=FLAG_STYLES),
    "version_args": Field("list[str]", "arguments printing the version", default=["--version"]),
    "version_regex": Field("str", "regex whose groups are the version numbers",
                           default=r"(\d+)\.(\d+)(?:\.(\d+))?"),
    "min_version": Field("str", "oldest accepted version, e.g. 10.2", default="0"),
    "debian_packages": Field("list[str]", "apt packages that install it", default=[]),
    "install_hint": Field("str", "how to get it when no Debian package exists", default=""),
    "cflags": Field("list[str]", "flags for every compile with this toolchain", default=[]),
    "ldflags": Field("list[str]", "flags for every link with this toolchain", default=[]),
    "shared_library": Field("bool", "can build host shared libraries", default=False),
}


@dataclass(frozen=True)
class Toolchain:
    """A toolchain file plus the tools found on this machine."""

    name: str
    data: dict[str, Any] = field(repr=False)
    cc: str = ""            # absolute path of the compiler (set by `find`)
    version: str = ""

    def __getattr__(self, key: str) -> Any:
        data = self.__dict__.get("data")
        if data is not None and key in data:
            return data[key]
        raise AttributeError(key)

    def tool(self, key: str) -> str:
        """The command of one tool (ar, objcopy, ...), from the compiler's folder when possible."""
        name = self.data["prefix"] + self.data[key]
        if self.cc:
            sibling = Path(self.cc).parent / name
            if sibling.is_file():
                return str(sibling)
        return shutil.which(name) or name

    def install_advice(self) -> str:
        packages = self.data["debian_packages"]
        if packages:
            return f"install it with: sudo apt-get install {' '.join(packages)}"
        return self.data["install_hint"] or "install it and put it on PATH"


def toolchain_names(root: Path) -> list[str]:
    folder = root / "targets" / "toolchains"
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def load_toolchain(root: Path, name: str) -> Toolchain:
    """Loads and validates `targets/toolchains/<name>.toml` (not yet searching for it)."""
    file = root / "targets" / "toolchains" / f"{name}.toml"
    where = f"targets/toolchains/{name}.toml"
    if not file.is_file():
        from .errors import unknown

        raise unknown("toolchain", name, toolchain_names(root))
    data = check_table(load_toml(file, where), TOOLCHAIN_FIELDS, where)
    if data["name"] != name:
        raise ConfigError(f"{where}: field 'name': \"{data['name']}\" must equal \"{name}\"")
    try:
        re.compile(data["version_regex"])
    except re.error as exc:
        raise ConfigError(f"{where}: field 'version_regex': {exc}") from exc
    return Toolchain(name=name, data=data)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


@functools.cache
def _probe(cc: str, args: tuple[str, ...]) -> str:
    try:
        done = subprocess.run([cc, *args], capture_output=True, text=True,
                              timeout=VERSION_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"{cc} {' '.join(args)} failed: {exc}") from exc
    return done.stdout + done.stderr


def find(toolchain: Toolchain, cc_override: str = "") -> Toolchain:
    """Locates the compiler on PATH and checks its version; ConfigError says what to install."""
    wanted = cc_override or toolchain.prefix + toolchain.data["cc"]
    path = shutil.which(wanted)
    if path is None:
        raise ConfigError(
            f"toolchain {toolchain.name}: {wanted} not found on PATH; "
            f"{toolchain.install_advice()}"
        )
    output = _probe(path, tuple(toolchain.version_args))
    match = re.search(toolchain.version_regex, output)
    if match is None:
        raise ConfigError(
            f"toolchain {toolchain.name}: cannot read a version from "
            f"`{wanted} {' '.join(toolchain.version_args)}`"
        )
    version = ".".join(g for g in match.groups() if g is not None)
    if _version_tuple(version) < _version_tuple(toolchain.min_version):
        raise ConfigError(
            f"toolchain {toolchain.name}: {wanted} is version {version}, "
            f"{toolchain.min_version} or newer is needed; {toolchain.install_advice()}"
        )
    return Toolchain(name=toolchain.name, data=toolchain.data, cc=path, version=version)


def riscv_abi(isa: str, float_abi: str) -> str:
    """The -mabi for a RISC-V ISA string: ilp32/lp64 plus f/d when floats go in registers."""
    base = "lp64" if isa.startswith("rv64") else "ilp32"
    if float_abi != "hard":
        return base
    extensions = isa[4:].split("_")[0]
    if "g" in extensions or "d" in extensions:
        return base + "d"
    if "f" in extensions:
        return base + "f"
    return base


def cpu_flags(style: str, cpu: str, fpu: str, float_abi: str, abi: str = "") -> list[str]:
    """Compiler and linker flags that select the CPU, per flag style."""
    if style == "arm":
        flags = [f"-mcpu={cpu}", "-mthumb"]
        if fpu and fpu != "none":
            flags += [f"-mfpu={fpu}", f"-mfloat-abi={float_abi}"]
        else:
            flags += ["-mfloat-abi=soft"]
        return flags
    if style == "riscv":
        return [f"-march={cpu}", f"-mabi={abi or riscv_abi(cpu, float_abi)}"]
    if style == "xtensa":
        return ["-mlongcalls"]
    return []
