"""From command-line variables (and TFLM spellings) to one validated `Config`.

Everything here runs before any compile: a bad TARGET, TAGS value, variable, BUILD_TYPE or
TARGET_ARCH raises ConfigError naming the bad value, the valid ones and a close match.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .board import Board, BoardSet, load_boards
from .errors import ConfigError, suggest, unknown
from .schema import Field, check_table, load_toml
from .tflm import names as tflm_names
from .toolchain import Toolchain, find, load_toolchain
from .variants import Variant, known_variant_names, load_variant

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Variable:
    name: str
    help: str
    default: str = ""


#: Every command-line variable; anything else on the command line is an error.
VARIABLES: tuple[Variable, ...] = (
    Variable("TARGET", "board to build for: a folder of targets/, a board alias or a TFLM "
             "spelling (sparkfun_edge, esp, mbed, cortex_m_generic, ...)", "host"),
    Variable("TAGS", "space- or comma-separated: kernel variants (cmsis_nn, CMSIS), board tags, "
             "global tags (see `scons list`)"),
    Variable("BUILD_TYPE", "default | debug | release | release_with_logs", "default"),
    Variable("TARGET_ARCH", "CPU of a multi-CPU board (cortex_m_generic: cortex-m4+fp, ...)"),
    Variable("OPTIMIZED_KERNEL_DIR", "kernel variant, TFLM spelling (cmsis_nn); same as a TAG"),
    Variable("TOOLCHAIN", "a file of targets/toolchains/ (host: gcc or clang)"),
    Variable("CC", "C compiler command; CC=clang selects the clang toolchain"),
    Variable("MODEL", "a .tflite file that replaces the examples' model (and the model of the "
             "board runner firmware, alias runner)"),
    Variable("INPUTS", "boards: an inputs file for the runner firmware (written by "
             "microforge run); default: one invoke on zero inputs"),
    Variable("V", "1: print full command lines", "0"),
    Variable("FAST", "1: cache implicit dependencies (faster no-op builds; a new header "
             "shadowing an old one on the include path is missed)", "0"),
    Variable("CACHE", "folder of a shared build cache (objects reused across trees)"),
    Variable("CCACHE", "0: do not compile through ccache even when it is installed", "1"),
    Variable("TIMEOUT", "seconds a run_/test_/benchmark program may take (default: per program)"),
    Variable("EXPORT_OPTIONS", "options of generate_<ex>_<kind>_project, space-separated "
             "NAME=VALUE (e.g. idf_target=esp32s3)"),
)
VARIABLE_NAMES = tuple(v.name for v in VARIABLES)

_BUILD_TYPE = {
    "description": Field("str", "one line", required=True),
    "cflags": Field("list[str]", "compile flags", default=[]),
    "defines": Field("list[str]", "defines", default=[]),
}
_TAG = {
    "description": Field("str", "one line", required=True),
    "arch": Field("list[str]", "board arches it applies to (empty: all)", default=[]),
    "defines": Field("list[str]", "defines", default=[]),
    "cflags": Field("list[str]", "compile flags", default=[]),
    "ldflags": Field("list[str]", "link flags", default=[]),
}


@functools.lru_cache(maxsize=1)
def build_types() -> dict[str, dict[str, Any]]:
    file = HERE / "build_types.toml"
    raw = load_toml(file)
    return {k: check_table(v, _BUILD_TYPE, str(file), k) for k, v in raw.items()}


@functools.lru_cache(maxsize=1)
def global_tags() -> dict[str, dict[str, Any]]:
    file = HERE / "tags.toml"
    raw = load_toml(file)
    return {k: check_table(v, _TAG, str(file), k) for k, v in raw.items()}


@dataclass
class Config:
    """One build configuration: the board, CPU, toolchain, variants, tags and build type."""

    root: Path
    board: Board
    target: str                         # as spelled on the command line
    cpu: str
    fpu: str
    float_abi: str
    abi: str
    arch_name: str                      # TARGET_ARCH table used, "" when none
    arch_data: dict[str, Any]
    build_type: str
    toolchain: Toolchain
    variants: list[Variant]
    board_tags: list[str]
    tags: dict[str, dict[str, Any]]     # global tags used
    name: str                           # gen/<name>
    notes: list[str] = field(default_factory=list)
    model_override: Path | None = None
    runner_inputs: Path | None = None   # INPUTS=: built into the board runner firmware
    tool_error: str = ""                # set when an export-only board's compiler is missing
    verbose: bool = False
    fast: bool = False
    cache_dir: Path | None = None
    ccache: bool = True
    timeout: int | None = None
    export_options: dict[str, str] = field(default_factory=dict)

    @property
    def gen_dir(self) -> Path:
        return self.root / "gen" / self.name

    @property
    def arch(self) -> str:
        return self.board.arch

    @property
    def is_host(self) -> bool:
        return self.board.arch == "host"

    @property
    def library_only(self) -> bool:
        """A board without a linker script (other than the host) only builds the library."""
        return not self.is_host and not self.board.linker_script

    @property
    def build_type_data(self) -> dict[str, Any]:
        return build_types()[self.build_type]


def split_tags(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", text.strip()) if t]


def _flag(args: Mapping[str, str], name: str) -> bool:
    value = args.get(name, "0").strip().lower()
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off", ""):
        return False
    raise ConfigError(f'{name}="{args[name]}": expected 0 or 1')


def check_variables(args: Mapping[str, str]) -> None:
    for key in args:
        if key not in VARIABLE_NAMES:
            raise ConfigError(
                f'unknown variable "{key}"{suggest(key, VARIABLE_NAMES)}; '
                f"valid: {', '.join(VARIABLE_NAMES)} (see scons -h)"
            )


def target_spellings(boardset: BoardSet) -> list[str]:
    """Every TARGET value that names something (for error messages)."""
    tflm = tflm_names()
    return sorted(set(boardset.boards) | set(boardset.broken) | set(boardset.by_alias())
                  | set(tflm.targets) | set(tflm.board_from_tags))


def _not_available(target: str, name: str, boardset: BoardSet, why: str) -> ConfigError:
    ready = sorted(b.name for b in boardset.boards.values() if b.data["status"] == "available")
    spelled = f'{target}: board "{name}"' if target != f"TARGET={name}" else target
    return ConfigError(f"{spelled} is not yet available ({why}); available boards: "
                       f"{', '.join(ready)}")


def resolve_board(target: str, tags: list[str], boardset: BoardSet,
                  notes: list[str]) -> tuple[Board, list[str]]:
    """The board a TARGET spelling selects, and the TAGS left once a board tag is used."""
    tflm = tflm_names()
    aliases = boardset.by_alias()
    if target in tflm.board_from_tags and target not in boardset.boards:
        known = set(boardset.boards) | set(boardset.broken) | set(tflm.targets.values())
        picked = [t for t in tags if t in known]
        if not picked:
            raise ConfigError(
                f"TARGET={target} needs the board in TAGS ({tflm.board_from_tags[target]}); "
                f"boards: {', '.join(sorted(boardset.boards))}"
            )
        if len(picked) > 1:
            raise ConfigError(f"TARGET={target}: TAGS names more than one board: "
                              f"{', '.join(picked)}")
        tags = [t for t in tags if t != picked[0]]
        notes.append(f"TARGET={target} TAGS={picked[0]} (TFLM spelling) -> board {picked[0]}")
        target_name = picked[0]
        spelled = f"TARGET={target} TAGS={picked[0]}"
    else:
        target_name = target
        spelled = f"TARGET={target}"
    if target_name in boardset.boards or target_name in boardset.broken:
        name = target_name
    elif target_name in aliases:
        name = aliases[target_name]
        notes.append(f"TARGET={target_name} -> board {name} (alias)")
    elif target_name in tflm.targets:
        name = tflm.targets[target_name]
        if name != target_name:
            notes.append(f"TARGET={target_name} (TFLM spelling) -> board {name}")
    elif target_name in tflm.targets.values():
        name = target_name
    else:
        raise unknown("TARGET", target_name, target_spellings(boardset))
    if name in boardset.broken:
        raise boardset.broken[name]
    if name not in boardset.boards:
        raise _not_available(spelled, name, boardset, f"no targets/{name}/board.toml yet")
    board = boardset.boards[name]
    if board.data["status"] == "planned":
        raise _not_available(spelled, name, boardset, "board.toml says status = \"planned\"")
    return board, tags


def resolve_cpu(board: Board, target_arch: str) -> tuple[str, dict[str, Any]]:
    """The TARGET_ARCH table used ("" when none) and the cpu/fpu/float_abi/abi data."""
    base = {k: board.data[k] for k in ("cpu", "fpu", "float_abi", "abi")}
    base.update(defines=[], cflags=[])
    tables = board.target_arch
    if tables:
        chosen = target_arch or board.default_arch
        if not chosen:
            raise ConfigError(
                f"TARGET={board.name} needs TARGET_ARCH, one of: {', '.join(sorted(tables))}"
            )
        if chosen not in tables:
            raise unknown(f"TARGET_ARCH for {board.name}", chosen, tables)
        data = dict(tables[chosen])
        return chosen, data
    if not target_arch:
        return "", base
    if board.arch == "host":
        accepted = set(tflm_names().host_arch)
    else:
        accepted = {board.cpu}
        if board.fpu != "none":
            accepted.add(board.cpu + "+fp")
    if target_arch not in accepted:
        raise unknown(f"TARGET_ARCH for {board.name}", target_arch, accepted)
    return "", base


def resolve(args: Mapping[str, str], root: Path, launch_dir: Path | None = None,
            find_tools: bool = True) -> Config:
    """Builds the Config for command-line `args` (VARIABLE -> value) in tree `root`."""
    root = Path(root).resolve()
    launch_dir = Path(launch_dir or root)
    check_variables(args)
    notes: list[str] = []

    build_type = args.get("BUILD_TYPE", "default")
    if build_type not in build_types():
        raise unknown("BUILD_TYPE", build_type, build_types())

    boardset = load_boards(root)
    tags = split_tags(args.get("TAGS", ""))
    board, tags = resolve_board(args.get("TARGET", "host") or "host", tags, boardset, notes)
    arch_name, cpu = resolve_cpu(board, args.get("TARGET_ARCH", ""))

    # TAGS: kernel variants, then board tags, then global tags.
    spellings = known_variant_names(root)
    requested_variants = list(board.kernel_variants)
    okd = args.get("OPTIMIZED_KERNEL_DIR", "")
    if okd:
        if okd not in spellings:
            raise unknown("OPTIMIZED_KERNEL_DIR", okd, spellings)
        requested_variants.append(spellings[okd])
    board_tags: list[str] = []
    used_tags: dict[str, dict[str, Any]] = {}
    name_parts: list[str] = []
    if okd:
        name_parts.append(spellings[okd])
    for tag in tags:
        if tag in spellings:
            canonical = spellings[tag]
            if canonical != tag:
                notes.append(f"TAGS={tag} (TFLM spelling) -> kernel variant {canonical}")
            requested_variants.append(canonical)
            name_parts.append(canonical)
        elif tag in board.tags:
            board_tags.append(tag)
            name_parts.append(tag)
        elif tag in global_tags():
            data = global_tags()[tag]
            if data["arch"] and board.arch not in data["arch"]:
                raise ConfigError(f"TAGS={tag} is for {', '.join(data['arch'])} boards only; "
                                  f"{board.name} is {board.arch}")
            used_tags[tag] = data
            name_parts.append(tag)
        else:
            valid = set(spellings) | set(board.tags) | set(global_tags())
            raise unknown(f"TAGS value for {board.name}", tag, valid)

    variants: list[Variant] = []
    for name in dict.fromkeys(requested_variants):
        if name not in spellings:
            raise ConfigError(f"{board.name}/board.toml: field 'kernel_variants': unknown kernel "
                              f"variant \"{name}\"{suggest(name, spellings)}")
        variant = load_variant(root, spellings[name])
        if variant.arch and board.arch not in variant.arch:
            raise ConfigError(f"kernel variant {variant.name} supports "
                              f"{', '.join(variant.arch)} boards; {board.name} is {board.arch}")
        if variant.empty:
            notes.append(f"kernel variant {variant.name} has no kernels yet: every op uses the "
                         "reference kernel")
        variants.append(variant)

    # Toolchain: TOOLCHAIN, or CC=clang..., or the board's.
    cc = args.get("CC", "")
    toolchain_name = args.get("TOOLCHAIN", "")
    if not toolchain_name and cc and os.path.basename(cc).startswith("clang"):
        toolchain_name = "clang"
    toolchain_name = toolchain_name or board.toolchain
    toolchain = load_toolchain(root, toolchain_name)
    if board.arch not in toolchain.arch:
        raise ConfigError(f"toolchain {toolchain.name} builds for {', '.join(toolchain.arch)}, "
                          f"not for {board.name} ({board.arch})")
    tool_error = ""
    if find_tools:
        try:
            toolchain = find(toolchain, cc)
        except ConfigError as exc:
            if board.data["status"] != "export-only":
                raise
            # Projects can still be exported; anything that compiles says why it cannot.
            kinds = ", ".join(board.exports) or "none"
            tool_error = (f"TARGET={board.name} is export-only here (its compiler is missing): "
                          f"generate a project for its own IDE instead (generate_<ex>_<kind>"
                          f"_project, kinds: {kinds}). {exc}")

    model_override = None
    if args.get("MODEL"):
        model_override = (launch_dir / args["MODEL"]).resolve()
        if not model_override.is_file():
            raise ConfigError(f"MODEL={args['MODEL']}: no such file")
    runner_inputs = None
    if args.get("INPUTS"):
        runner_inputs = (launch_dir / args["INPUTS"]).resolve()
        if not runner_inputs.is_file():
            raise ConfigError(f"INPUTS={args['INPUTS']}: no such file")
    cache_dir = None
    if args.get("CACHE"):
        cache_dir = (launch_dir / args["CACHE"]).resolve()
    timeout = None
    if args.get("TIMEOUT"):
        if not args["TIMEOUT"].isdigit() or int(args["TIMEOUT"]) == 0:
            raise ConfigError(f"TIMEOUT={args['TIMEOUT']}: expected a whole number of seconds")
        timeout = int(args["TIMEOUT"])
    export_options = {}
    for word in args.get("EXPORT_OPTIONS", "").split():
        name, eq, value = word.partition("=")
        if not eq or not name:
            raise ConfigError(f"EXPORT_OPTIONS: {word!r} must be NAME=VALUE")
        export_options[name] = value

    parts = [board.name]
    if arch_name:
        parts.append(arch_name)
    parts.append(build_type)
    if toolchain.name != board.toolchain:
        parts.append(toolchain.name)
    parts.extend(dict.fromkeys(name_parts))
    dir_name = re.sub(r"[^A-Za-z0-9_.-]", "_", "_".join(parts)).replace("-", "_")

    return Config(
        root=root, board=board, target=args.get("TARGET", "host"),
        cpu=cpu["cpu"], fpu=cpu["fpu"], float_abi=cpu["float_abi"], abi=cpu["abi"],
        arch_name=arch_name, arch_data=cpu, build_type=build_type, toolchain=toolchain,
        variants=variants, board_tags=board_tags, tags=used_tags, name=dir_name, notes=notes,
        model_override=model_override, runner_inputs=runner_inputs, verbose=_flag(args, "V"),
        fast=_flag(args, "FAST"),
        cache_dir=cache_dir, ccache=_flag({"CCACHE": args.get("CCACHE", "1")}, "CCACHE"),
        timeout=timeout, tool_error=tool_error, export_options=export_options,
    )
