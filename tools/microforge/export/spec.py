"""What an exporter needs to know about one firmware: the build's file lists and flags.

Exporters never keep their own flag or file lists: a `BuildSpec` holds the build's, computed
from the same board data and kernel variants `scons` uses (`from_config` below).
`map_sources` turns it into project-relative paths: files of the source tree keep their path
relative to the tree (so relative includes keep working), generated files go under `model/`.

The build compiles three groups with different extras, and exporters that can keep them apart
do (CMake, Make, PlatformIO):
  runtime  micro/core + kernels            global flags only
  board    start-up, drivers, platform hooks  + board_include_dirs
  example  the example + the model as C    + example_include_dirs, defines and cflags
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .includes import IncludeScan, linker_script_closure, scan_includes
from .writer import ExportError, ProjectFiles

C_SUFFIXES = (".c",)
CXX_SUFFIXES = (".cc", ".cpp", ".cxx")
ASM_SUFFIXES = (".S", ".s")
MODEL_DIR = PurePosixPath("model")


@dataclass(frozen=True)
class GeneratedFile:
    """A file the build generates (the model as C source, its header)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class TestProgram:
    """A test program of the example: its own sources (example group) plus micro/testing."""

    name: str
    sources: tuple[Path, ...]
    timeout: int = 60


@dataclass(frozen=True)
class BuildSpec:
    """One firmware (board x kernel variants x build type x example) as the build sees it."""

    root: Path                          # the source tree
    board: str
    example: str
    arch: str                           # arm | riscv | xtensa | host
    cpu: str
    toolchain_prefix: str               # "arm-none-eabi-"; "" for the host compiler
    runtime_sources: tuple[Path, ...]   # micro/core + kernels after the variant overlay
    board_sources: tuple[Path, ...]     # the board group in build order: start-up, drivers,
                                        # targets/common/platform.c
    platform_sources: tuple[Path, ...]  # the part of board_sources every export keeps (the
                                        # platform hooks); frameworks replace the rest
    example_sources: tuple[Path, ...]
    generated: tuple[GeneratedFile, ...]  # the model as C source and header (example group)
    include_dirs: tuple[Path, ...]        # every group, in search order
    defines: tuple[str, ...]              # every group: NAME or NAME=value
    cflags: tuple[str, ...]               # C compile flags but -D/-I (cpu, warnings, -O, -std)
    cpu_flags: tuple[str, ...]            # the part of the flags a framework owns (-mcpu, ...)
    asflags: tuple[str, ...]              # assembler flags but -D/-I
    ldflags: tuple[str, ...]              # every link flag but the linker script and libs
    libs: tuple[str, ...]                 # -l names, linked last
    linker_script: Path | None
    board_include_dirs: tuple[Path, ...] = ()    # board group, searched first
    example_include_dirs: tuple[Path, ...] = ()  # example group, searched first (+ model/)
    example_defines: tuple[str, ...] = ()
    example_cflags: tuple[str, ...] = ()
    kernel_variants: tuple[str, ...] = ()
    build_type: str = "default"
    fpu: str = "none"
    float_abi: str = "soft"
    exports: tuple[str, ...] = ()         # kinds the board supports
    images: tuple[str, ...] = ("bin",)    # flashable images made from the ELF: bin, hex
    emulator: Mapping[str, Any] = field(default_factory=dict)
    run_command: tuple[str, ...] = ()     # emulated boards: the run command, image as {elf}
    serial_baud: int = 115200
    memory: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    flash: Mapping[str, Any] = field(default_factory=dict)
    tests: tuple[TestProgram, ...] = ()
    testing_sources: tuple[Path, ...] = ()   # micro/testing: linked into test programs only

    @property
    def all_defines(self) -> tuple[str, ...]:
        """Defines for exporters that cannot give the example its own (one flag set)."""
        return tuple(dict.fromkeys(self.defines + self.example_defines))

    @property
    def all_cflags(self) -> tuple[str, ...]:
        return self.cflags + tuple(f for f in self.example_cflags if f not in self.cflags)


def _tree_path(root: Path, path: Path) -> PurePosixPath:
    try:
        return PurePosixPath(path.resolve().relative_to(root.resolve()).as_posix())
    except ValueError as error:
        raise ExportError(f"{path} is outside the source tree {root}") from error


@dataclass
class ProjectSources:
    """A BuildSpec mapped to paths inside an exported project (all relative, POSIX)."""

    spec: BuildSpec
    runtime: list[PurePosixPath]
    platform: list[PurePosixPath]   # the platform hooks (kept by framework exports)
    board: list[PurePosixPath]      # the board group as compiled: all of it on bare metal
    example: list[PurePosixPath]
    model: list[PurePosixPath]
    headers: list[PurePosixPath]
    include_dirs: list[PurePosixPath]           # global, only folders holding exported headers
    board_include_dirs: list[PurePosixPath]
    example_include_dirs: list[PurePosixPath]   # model/ included when there is a model
    linker_scripts: list[PurePosixPath]
    # project path -> absolute path of a tree file, for everything copied from the tree
    copies: dict[PurePosixPath, Path]
    # names included by project files but not found in it: system and vendor SDK headers
    external_includes: dict[PurePosixPath, set[str]]
    # (including file, name as written, header, found beside the including file)
    include_edges: list[tuple[PurePosixPath, str, PurePosixPath, bool]]
    # test program name -> its sources (without micro/testing); micro/testing sources
    tests: dict[str, list[PurePosixPath]] = field(default_factory=dict)
    testing: list[PurePosixPath] = field(default_factory=list)

    @property
    def compiled(self) -> list[PurePosixPath]:
        return self.runtime + self.board + self.example + self.model_sources

    @property
    def model_sources(self) -> list[PurePosixPath]:
        return [p for p in self.model if p.suffix not in (".h", ".hpp")]

    @property
    def example_group(self) -> list[PurePosixPath]:
        return self.example + self.model_sources

    @property
    def board_group(self) -> list[PurePosixPath]:
        return self.board

    @property
    def all_include_dirs(self) -> list[PurePosixPath]:
        """One search path for exporters with a single flag set (group extras first)."""
        return list(dict.fromkeys(self.example_include_dirs + self.board_include_dirs
                                  + self.include_dirs))

    @property
    def linker_script(self) -> PurePosixPath | None:
        return self.linker_scripts[0] if self.linker_scripts else None

    def languages(self) -> set[str]:
        found = set()
        for path in self.compiled:
            if path.suffix in C_SUFFIXES:
                found.add("C")
            elif path.suffix in CXX_SUFFIXES:
                found.add("CXX")
            elif path.suffix in ASM_SUFFIXES:
                found.add("ASM")
        return found

    def generated_paths(self) -> list[PurePosixPath]:
        return list(self.model)

    def content(self, path: PurePosixPath) -> bytes:
        if path in self.copies:
            return self.copies[path].read_bytes()
        for dest, generated in zip(self.model, self.spec.generated, strict=True):
            if dest == path:
                return generated.data
        raise ExportError(f"{path} is not part of the project")

    @property
    def test_only(self) -> set[PurePosixPath]:
        """Sources compiled only into test programs (their own files and micro/testing)."""
        firmware = set(self.compiled)
        tests = {p for paths in self.tests.values() for p in paths} | set(self.testing)
        return tests - firmware

    def add_to(self, files: ProjectFiles, prefix: str = "",
               select: Iterable[PurePosixPath] | None = None, tests: bool = False) -> None:
        """Copies the tree files and writes the generated ones under `prefix`: the firmware's
        (and with `tests`, the test programs' too), or exactly `select`."""
        if select is not None:
            wanted = set(select)
        else:
            wanted = set(self.copies) | set(self.model)
            if not tests:
                wanted -= self.test_only
        for dest in sorted(wanted):
            files.add_bytes(f"{prefix}{dest}", self.content(dest))


def map_sources(spec: BuildSpec, bare_metal: bool = True) -> ProjectSources:
    """Maps the build's file lists into project paths, with the headers they reach.

    bare_metal=False leaves out the board's start-up, drivers and linker script: for vendor
    frameworks (Mbed, Arduino) that own them.
    """
    root = spec.root
    copies: dict[PurePosixPath, Path] = {}

    def tree(paths: Iterable[Path]) -> list[PurePosixPath]:
        mapped = []
        for path in paths:
            if not path.is_file():
                raise ExportError(f"the build names {path}, which does not exist")
            dest = _tree_path(root, path)
            copies[dest] = path.resolve()
            mapped.append(dest)
        return mapped

    runtime = tree(spec.runtime_sources)
    platform = tree(spec.platform_sources)
    board = tree(spec.board_sources) if bare_metal else list(platform)
    if bare_metal and not set(platform) <= set(board):
        raise ExportError("the platform sources must be part of the board sources")
    example = tree(spec.example_sources)
    tests = {program.name: tree(program.sources) for program in spec.tests}
    testing = tree(spec.testing_sources) if spec.tests else []
    test_sources = sorted({p for paths in tests.values() for p in paths} | set(testing))
    model = [MODEL_DIR / item.name for item in spec.generated]
    if len(set(model)) != len(model):
        raise ExportError("the build generates two files with the same name")

    def dirs(folders: Iterable[Path]) -> list[Path]:
        return [Path(folder).resolve() for folder in folders]

    base = dirs(spec.include_dirs)
    board_dirs = dirs(spec.board_include_dirs)
    example_dirs = dirs(spec.example_include_dirs)
    scan = IncludeScan()
    for group, search in ((runtime, base), (board, board_dirs + base),
                          (example + test_sources, example_dirs + base)):
        found = scan_includes([copies[p] for p in group], search)
        scan.headers |= found.headers
        scan.unresolved |= found.unresolved
        scan.edges |= found.edges

    external: dict[PurePosixPath, set[str]] = {}
    generated_names = {item.name for item in spec.generated}
    for including, name in scan.unresolved:
        if name not in generated_names:
            external.setdefault(_tree_path(root, including), set()).add(name)
    headers = []
    for header in sorted(scan.headers):
        try:
            dest = _tree_path(root, header)
        except ExportError:
            continue  # a header outside the tree (a toolchain or SDK header)
        copies[dest] = header
        headers.append(dest)

    # Only folders that hold a header the project carries: no include path names a missing dir.
    header_dirs = {parent for header in headers for parent in header.parents}

    def project_dirs(folders: list[Path]) -> list[PurePosixPath]:
        mapped = [_tree_path(root, folder) for folder in folders]
        return [d for d in dict.fromkeys(mapped) if d in header_dirs]

    example_project_dirs = project_dirs(example_dirs) + ([MODEL_DIR] if model else [])

    scripts: list[PurePosixPath] = []
    if spec.linker_script is not None and bare_metal:
        for script in linker_script_closure(spec.linker_script.resolve()):
            dest = _tree_path(root, script)
            copies[dest] = script
            scripts.append(dest)

    edges = []
    for edge in sorted(scan.edges, key=lambda e: (str(e.including), e.name)):
        try:
            edges.append((_tree_path(root, edge.including), edge.name,
                          _tree_path(root, edge.header), edge.beside))
        except ExportError:
            continue
    return ProjectSources(
        spec=spec, runtime=runtime, platform=platform, board=board, example=example,
        model=model, headers=headers, include_dirs=project_dirs(base),
        board_include_dirs=project_dirs(board_dirs),
        example_include_dirs=example_project_dirs, linker_scripts=scripts, copies=copies,
        external_includes=external, include_edges=edges, tests=tests, testing=testing)


# --- the adapter -----------------------------------------------------------------------------


def from_config(config: Any, example_name: str, require_support: bool = True) -> BuildSpec:
    """The BuildSpec of `example_name` built for `config` (a microforge.config.Config).

    require_support=False builds the spec even when example.toml does not list the board's
    arch (tests of boards whose examples are not enabled yet).

    Uses the build's own functions when `microforge.build` provides `export_spec`; until then
    it assembles the same lists from the build's public pieces (flags, include dirs, kernel
    overlay, board and example data).
    """
    from microforge import build

    native = getattr(build, "export_spec", None)
    if native is not None:
        return native(config, example_name, require_support)
    return _assemble(config, example_name, require_support)


def _assemble(config: Any, example_name: str, require_support: bool) -> BuildSpec:
    from microforge.build import plan
    from microforge.build.env import flags, include_dirs
    from microforge.build.model_c import ModelBuildError, c_array, validate
    from microforge.config import load_examples
    from microforge.config.errors import unknown
    from microforge.config.toolchain import cpu_flags

    root = Path(config.root)
    board = config.board
    examples = load_examples(root)
    if example_name not in examples:
        raise unknown("example", example_name, examples)
    example = examples[example_name]
    if require_support and not example.supports(board.name, board.arch):
        where = ", ".join(example.data["boards"] or example.data["arch"])
        raise ExportError(f'example "{example_name}" does not support board {board.name} '
                          f"({board.arch}); it supports: {where}")

    found = flags(config)
    cpu = tuple(cpu_flags(config.toolchain.flag_style, config.cpu, config.fpu,
                          config.float_abi, config.abi))
    board_sources, board_dirs = plan.board_sources(config)
    platform = [p for p in board_sources if p == root / "targets" / "common" / "platform.c"]

    generated: list[GeneratedFile] = []
    model = config.model_override or example.model
    if model is not None:
        symbol = example.data["model_symbol"]
        try:
            data = Path(model).read_bytes()
            validate(Path(model), data)
        except OSError as error:
            raise ExportError(f"model {model}: {error.strerror}") from error
        except ModelBuildError as error:
            raise ExportError(f"model {model}: {error}") from error
        label = str(Path(model).relative_to(root)) if Path(model).is_relative_to(root) \
            else str(model)
        c_text, h_text = c_array(data, symbol, label)
        generated = [GeneratedFile(f"{symbol}.c", c_text.encode()),
                     GeneratedFile(f"{symbol}.h", h_text.encode())]

    run_command: tuple[str, ...] = ()
    if board.emulator and board.arch != "host":
        from microforge.build.runners import RunnerError, command_for

        try:
            command = command_for(board.name, board.arch, dict(board.emulator), Path("{elf}"))
            run_command = (board.emulator["program"], *command[1:])
        except RunnerError:
            run_command = ()  # the emulator is not installed here: no run command in exports

    tests = tuple(TestProgram(p.name, tuple(p.sources), p.timeout) for p in example.tests)
    return BuildSpec(
        root=root,
        board=board.name,
        example=example_name,
        arch=board.arch,
        cpu=config.cpu,
        toolchain_prefix=config.toolchain.prefix,
        runtime_sources=tuple(plan.runtime_sources(config)),
        platform_sources=tuple(platform),
        board_sources=tuple(board_sources),
        example_sources=tuple(example.sources),
        generated=tuple(generated),
        include_dirs=tuple(include_dirs(config)),
        defines=tuple(found["defines"]),
        cflags=tuple(found["ccflags"] + found["cflags"]),
        cpu_flags=cpu,
        asflags=tuple(found["asflags"]),
        ldflags=tuple(found["ldflags"]),
        libs=tuple(dict.fromkeys([*board.libs, *example.data.get("libs", [])])),
        linker_script=board.folder / board.linker_script if board.linker_script else None,
        board_include_dirs=tuple(board_dirs),
        example_include_dirs=(example.folder,),
        example_defines=tuple(example.data["defines"]),
        example_cflags=tuple(example.data["cflags"]),
        kernel_variants=tuple(v.name for v in config.variants),
        build_type=config.build_type,
        fpu=config.fpu,
        float_abi=config.float_abi,
        exports=tuple(board.exports),
        images=tuple(board.images),
        emulator=dict(board.emulator),
        run_command=run_command,
        serial_baud=int(board.serial.get("baud", 115200)) if board.serial else 115200,
        memory=dict(board.memory),
        flash=dict(board.flash),
        tests=tests,
        testing_sources=tuple(plan.testing_sources(root)),
    )
