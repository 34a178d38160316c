"""The SCons environment for a Config: toolchain data + board data + build type + tags."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from SCons.Script import Environment

from microforge.config import Config
from microforge.config.toolchain import cpu_flags

from .output import SHORT, Output

WARNINGS = ["-Wall", "-Wextra", "-Werror"]
PASS_ENV = ("HOME", "TMPDIR", "CCACHE_DIR", "CCACHE_BASEDIR", "CCACHE_DISABLE", "LANG")


def include_dirs(config: Config) -> list[Path]:
    root = config.root
    dirs = [root / "micro" / "include", root / "targets" / "common" / "include"]
    for variant in reversed(config.variants):
        dirs.extend(variant.include_dirs)
    dirs += [root / "micro" / "kernels", root / "micro" / "testing"]
    return dirs


def flags(config: Config) -> dict[str, list[str]]:
    """Every flag of the build, by kind (the SCons signature covers them all)."""
    board = config.board.data
    toolchain = config.toolchain
    cpu = cpu_flags(toolchain.flag_style, config.cpu, config.fpu, config.float_abi, config.abi)
    build = config.build_type_data
    ccflags = list(toolchain.cflags) + cpu + WARNINGS + list(board["cflags"])
    ccflags += list(config.arch_data.get("cflags", [])) + list(build["cflags"])
    defines = list(board["defines"]) + list(config.arch_data.get("defines", []))
    defines += list(build["defines"])
    ldflags = cpu + list(toolchain.ldflags) + list(board["ldflags"])
    for tag in config.tags.values():
        ccflags += tag["cflags"]
        defines += tag["defines"]
        ldflags += tag["ldflags"]
    for variant in config.variants:
        defines += list(variant.defines)
    defines += [f"MF_TAG_{t.upper()}" for t in config.board_tags]
    return {
        "ccflags": ccflags,
        "cflags": ["-std=c11"],
        "asflags": cpu + list(board["cflags"]),
        "defines": list(dict.fromkeys(defines)),
        "ldflags": ldflags,
    }


#: Sources modified this recently are compared by content: SCons' time stamps are whole
#: seconds, so two edits within one second can carry the same stamp.
RECENT_EDIT_S = 3


def decide(dependency: Any, target: Any, prev_ni: Any, repo_node: Any = None) -> bool:
    """content-timestamp, made safe against SCons' whole-second time stamps.

    Files the build made are compared by content (each hashed at most once per run): an
    object rebuilt within the second of the previous one, with the same size, would
    otherwise look unchanged and the program would not be relinked. A source is changed
    when its size changed; a source edited in the last few seconds is compared by content;
    any other source keeps the cheap time stamp check.
    """
    if dependency.has_builder():
        return dependency.changed_content(target, prev_ni, repo_node)
    size = getattr(prev_ni, "size", None)
    if size is not None and size != dependency.get_size():
        return True
    if time.time() - dependency.get_timestamp() < RECENT_EDIT_S:
        return dependency.changed_content(target, prev_ni, repo_node)
    return dependency.changed_timestamp_then_content(target, prev_ni, repo_node)


def make_env(config: Config, output: Output) -> Any:
    toolchain = config.toolchain
    found = flags(config)
    env_vars = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env_vars.update({k: os.environ[k] for k in PASS_ENV if k in os.environ})
    # Generic tools: the compiler is known already, no tool needs to probe it again.
    env = Environment(tools=["cc", "gnulink", "ar", "as"], ENV=env_vars)
    compiler = toolchain.cc
    ccache = shutil.which("ccache") if config.ccache else None
    env.Replace(
        CC=f"{ccache} {compiler}" if ccache else compiler,
        LINK=compiler,
        SHLINK=compiler,
        AS=compiler,
        AR=toolchain.tool("ar"),
        RANLIB=toolchain.tool("ranlib"),
        ARFLAGS=["rcs"],          # the archive index is written by ar itself
        RANLIBCOM="",
        OBJCOPY=toolchain.tool("objcopy"),
        CCFLAGS=found["ccflags"],
        CFLAGS=found["cflags"],
        ASFLAGS=found["asflags"],
        ASPPFLAGS=found["asflags"] + ["-x", "assembler-with-cpp"],
        CPPDEFINES=found["defines"],
        CPPPATH=[str(p) for p in include_dirs(config)],
        LINKFLAGS=found["ldflags"],
        LIBS=list(config.board.libs),
        OBJSUFFIX=".o",
        SHOBJSUFFIX=".o",
    )
    if config.is_host:
        env["STATIC_AND_SHARED_OBJECTS_ARE_THE_SAME"] = 1
    else:
        env.Append(LINKFLAGS=["-Wl,-Map=${TARGET}.map"])
        env["PROGSUFFIX"] = ".elf"
        env["MF_MEMORY"] = dict(config.board.memory)
        script = config.board.linker_script
        if script:
            env.Append(LINKFLAGS=["-T", str(config.board.folder / script)])
    env.Decider(decide)
    if config.cache_dir is not None:
        env.CacheDir(str(config.cache_dir))
    if not config.verbose:
        env.Replace(**SHORT)
    env["PRINT_CMD_LINE_FUNC"] = output.print_command
    return env
