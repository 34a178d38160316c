"""An offline PlatformIO for the tests: its registry cannot be reached here.

A fully offline `pio run` needs (measured with PlatformIO 6.2):
  - the platform: the exported project carries its own local platform for emulated boards;
  - the toolchain: `platformio/toolchain-gccarmnoneeabi@symlink://DIR`, DIR holding symlinks to
    the Debian arm-none-eabi binaries and a package.json;
  - the `tool-scons` core package placed by hand in $PLATFORMIO_CORE_DIR/packages/tool-scons
    (the SCons module, a scons.py launcher, package.json and .piopm), version 4.41101.0.
PLATFORMIO_CORE_DIR points into a temporary folder, so nothing touches HOME.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import SCons
from platformio.dependencies import get_core_dependencies
from platformio.package.meta import PackageMetadata, PackageSpec, PackageType

TOOL_SCONS_VERSION = "4.41101.0"
ARM_TOOLS = ("gcc", "g++", "cpp", "as", "ld", "ar", "ranlib", "gcc-ar", "gcc-ranlib", "nm",
             "objcopy", "objdump", "size", "strip", "readelf", "addr2line")
SCONS_LAUNCHER = """import sys

from SCons.Script import main

sys.exit(main())
"""


@dataclass
class OfflinePio:
    core_dir: Path
    toolchain_dir: Path
    env: dict[str, str]

    def toolchain_spec(self) -> str:
        return f"platformio/toolchain-gccarmnoneeabi@symlink://{self.toolchain_dir}"

    def offline_config(self, project: Path, folder: Path, envs: list[str]) -> Path:
        """A project configuration that reads the exported platformio.ini and adds only the
        local toolchain package to the given environments."""
        sections = [f"[platformio]\nextra_configs = {project / 'platformio.ini'}\n"]
        for name in envs:
            sections.append(f"[env:{name}]\nplatform_packages = {self.toolchain_spec()}\n")
        path = folder / "offline.ini"
        path.write_text("\n".join(sections))
        return path


def gcc_version_code() -> str:
    """PlatformIO's version of the Debian GCC: 12.2.1 -> 1.120201.0."""
    import subprocess

    out = subprocess.run(["arm-none-eabi-gcc", "-dumpfullversion"], capture_output=True,
                         text=True, timeout=30, check=True).stdout.strip()
    major, minor, patch = (int(x) for x in (out.split(".") + ["0", "0"])[:3])
    return f"1.{major:02d}{minor:02d}{patch:02d}.0"


def make_offline_pio(base: Path) -> OfflinePio:
    if get_core_dependencies().get("tool-scons") != f"~{TOOL_SCONS_VERSION}":
        raise AssertionError(f"this PlatformIO wants tool-scons "
                             f"{get_core_dependencies().get('tool-scons')}, the fixture "
                             f"provides {TOOL_SCONS_VERSION}")
    core = base / "core"
    scons_pkg = core / "packages" / "tool-scons"
    scons_pkg.mkdir(parents=True)
    shutil.copytree(Path(SCons.__file__).parent, scons_pkg / "SCons",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (scons_pkg / "scons.py").write_text(SCONS_LAUNCHER)
    (scons_pkg / "package.json").write_text(json.dumps(
        {"name": "tool-scons", "version": TOOL_SCONS_VERSION}))
    PackageMetadata(PackageType.TOOL, "tool-scons", TOOL_SCONS_VERSION,
                    spec=PackageSpec(owner="platformio", name="tool-scons",
                                     requirements=f"~{TOOL_SCONS_VERSION}")
                    ).dump(str(scons_pkg / ".piopm"))

    toolchain = base / "toolchain-gccarmnoneeabi"
    (toolchain / "bin").mkdir(parents=True)
    for tool in ARM_TOOLS:
        found = shutil.which(f"arm-none-eabi-{tool}")
        if found is None:
            raise AssertionError(f"arm-none-eabi-{tool} is missing (apt-get install "
                                 "gcc-arm-none-eabi)")
        os.symlink(found, toolchain / "bin" / f"arm-none-eabi-{tool}")
    (toolchain / "package.json").write_text(json.dumps({
        "name": "toolchain-gccarmnoneeabi", "version": gcc_version_code(),
        "description": "Debian's GNU Arm embedded toolchain"}))

    env = dict(os.environ)
    env.update({
        "PLATFORMIO_CORE_DIR": str(core),
        "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "No",
        "PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL": "3650",
        "PLATFORMIO_SETTING_CHECK_PRUNE_SYSTEM_THRESHOLD": "0",
        "PLATFORMIO_NO_ANSI": "true",
    })
    return OfflinePio(core, toolchain, env)
