"""`platformio`: a PlatformIO project with one environment per board that offers this export.

    platformio.ini                   one [env:<board>] per board
    lib/microforge[-<variants>]/     the runtime as a library (library.json), per kernel set
    lib/board-<board>/               the board's support (platform hooks, start-up, drivers)
    src/                             the example and its model as C source
    tools/microforge_link_flags.py   applies the build's link flags (custom option)
    platforms/microforge-emulated/   a local platform for emulated boards (QEMU)

Official platforms and boards are named for real boards (ststm32/disco_f746ng,
espressif32/esp32dev with ESP-IDF, the community Apollo3 platform for the SparkFun Edge).
Bare-metal environments get every flag of the build; framework environments (ESP-IDF) leave
the CPU flags, start-up and link to the framework.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

import microforge

from .base import Exporter, ExportRequest
from .esp import framework_flags
from .spec import BuildSpec, ProjectSources, map_sources
from .templates import ini_list, json_text, render
from .writer import ExportError, ProjectFiles


@dataclass(frozen=True)
class PioBoard:
    platform: str
    board: str
    framework: str = ""          # "": bare metal, our start-up, linker script and link flags


#: Boards with an official (or community) PlatformIO platform.
PIO_BOARDS = {
    "disco_f746ng": PioBoard("ststm32", "disco_f746ng"),
    "esp32": PioBoard("espressif32", "esp32dev", "espidf"),
    "sparkfun_edge": PioBoard("https://github.com/nigelb/platform-apollo3blue.git",
                              "SparkFun_Edge"),
}
#: Flash methods that are also upload_protocol names of those platforms.
UPLOAD_PROTOCOLS = {"svl": "svl", "asb": "asb"}

EMULATED_PLATFORM = "microforge-emulated"
EMULATED_DIR = PurePosixPath("platforms") / EMULATED_PLATFORM
LINK_SCRIPT = "tools/microforge_link_flags.py"
SRC = PurePosixPath("src")


def platform_class_name(name: str) -> str:
    """PlatformIO's rule: the name without non-alphanumerics, capitalized, plus 'Platform'."""
    kept = "".join(c for c in name if c.isalnum() or c == "_")
    return kept.lower().capitalize() + "Platform"


def runtime_library(spec: BuildSpec) -> str:
    return "-".join(["microforge", *spec.kernel_variants])


def board_library(spec: BuildSpec) -> str:
    return f"board-{spec.board}"


def place(path: PurePosixPath, spec: BuildSpec) -> PurePosixPath:
    """Where a file (or folder) of the build lands in the PlatformIO project."""
    top = path.parts[0]
    if top == "micro":
        return PurePosixPath("lib") / runtime_library(spec) / path
    if top in ("examples", "model"):
        return SRC / path
    return PurePosixPath("lib") / board_library(spec) / path


def _flags(values: Iterable[str]) -> list[str]:
    result = list(values)
    for value in result:
        if any(c.isspace() for c in value) or '"' in value or "'" in value:
            raise ExportError(f"PlatformIO flag lists cannot carry {value!r}")
    return result


@dataclass
class PioEnv:
    spec: BuildSpec
    sources: ProjectSources
    pio: PioBoard | None      # None: the local emulated platform

    @property
    def bare_metal(self) -> bool:
        return self.pio is None or not self.pio.framework


class PlatformIOExporter(Exporter):
    kind = "platformio"
    description = "PlatformIO project: one env per board, runtime as a library, test/ device test"

    def generate(self, request: ExportRequest) -> ProjectFiles:
        self.resolve_options(request.options)
        specs = dict(request.board_specs() if request.board_specs else {})
        specs[request.spec.board] = request.spec
        envs = [make_env(spec) for _, spec in sorted(specs.items())]
        examples = {env.spec.example for env in envs}
        if len(examples) != 1:
            raise ExportError(f"one example per project; got {', '.join(sorted(examples))}")
        files = ProjectFiles()
        for env in envs:
            add_env_files(files, env)
        emulated = [env for env in envs if env.pio is None]
        if emulated:
            add_emulated_platform(files, emulated)
        files.add_text(LINK_SCRIPT, render("platformio", "link_flags.py.in", {}))
        tests = False
        for env in envs:
            tests |= add_test_files(files, env)
        if tests:
            files.add_text("test/test_custom_runner.py",
                           render("platformio", "test_custom_runner.py.in", {}))
        files.add_text("platformio.ini", render("platformio", "platformio.ini.in", {
            "example": request.spec.example,
            "default_env": request.spec.board,
            "envs": "".join(env_section(env) for env in envs),
        }))
        return files


def make_env(spec: BuildSpec) -> PioEnv:
    if "platformio" not in spec.exports:
        raise ExportError(f'board "{spec.board}" does not support the "platformio" export')
    pio = PIO_BOARDS.get(spec.board)
    if pio is None:
        if not spec.emulator or spec.arch != "arm":
            raise ExportError(f"no PlatformIO platform is known for board {spec.board}; "
                              f"known: {', '.join(sorted(PIO_BOARDS))} and emulated Arm boards")
    return PioEnv(spec, map_sources(spec, bare_metal=pio is None or not pio.framework), pio)


def add_env_files(files: ProjectFiles, env: PioEnv) -> None:
    spec, sources = env.spec, env.sources
    staging = ProjectFiles()
    sources.add_to(staging)
    for path in staging.paths():
        files.add_bytes(place(path, spec), staging.content(path))
    runtime = runtime_library(spec)
    variants = ", ".join(spec.kernel_variants) or "reference"
    files.add_text(f"lib/{runtime}/library.json", json_text({
        "name": runtime,
        "version": microforge.__version__,
        "description": ("The microforge runtime: TensorFlow Lite models from flash, one fixed "
                        f"arena, no malloc (kernels: {variants})."),
        "keywords": ["tensorflow lite", "tflite", "machine learning", "microcontroller"],
        "frameworks": "*",
        "platforms": "*",
        "build": {"includeDir": "micro/include"},
    }))
    board_lib = board_library(spec)
    board_dirs = [f"-I{path}" for path in sources.board_include_dirs]
    files.add_text(f"lib/{board_lib}/library.json", json_text({
        "name": board_lib,
        "version": microforge.__version__,
        "description": f"microforge board support for {spec.board}: the board interface "
                       "(mf_board.h) and the runtime's platform hooks.",
        "frameworks": "*",
        "platforms": "*",
        # Objects, not an archive: the vector table and start-up must always be linked.
        "build": {"libArchive": False, "flags": board_dirs},
    }))


def add_test_files(files: ProjectFiles, env: PioEnv) -> bool:
    """test/test_<program>/: a test program's own sources, micro/testing and the model.
    PlatformIO builds it with the environment's libraries (runtime, board support)."""
    sources = env.sources
    for program, paths in sources.tests.items():
        folder = PurePosixPath("test") / f"test_{program}"
        beside = {h for h in sources.headers if h.parts[0] == "examples"}
        wanted = set(paths) | set(sources.testing) | set(sources.model) | beside
        staging = ProjectFiles()
        sources.add_to(staging, select=wanted)
        for path in staging.paths():
            files.add_bytes(folder / path, staging.content(path))
    return bool(sources.tests)


def env_section(env: PioEnv) -> str:
    spec, sources = env.spec, env.sources
    cflags = spec.cflags if env.bare_metal else framework_flags(spec.cflags, spec.cpu_flags)
    build_flags = _flags(cflags)
    build_flags += _flags(f"-D{d}" for d in spec.defines)
    build_flags += [f"-I{place(d, spec)}" for d in sources.include_dirs]
    build_flags += _flags(f"-l{lib}" for lib in spec.libs)
    src_flags = _flags(f"-D{d}" for d in spec.example_defines) + _flags(spec.example_cflags)
    src_flags += [f"-I{place(d, spec)}" for d in sources.example_include_dirs]
    lines = [f"\n[env:{spec.board}]"]
    if env.pio is None:
        lines.append(f"platform = symlink://${{PROJECT_DIR}}/{EMULATED_DIR}")
        lines.append(f"board = {spec.board}")
    else:
        lines.append(f"platform = {env.pio.platform}")
        lines.append(f"board = {env.pio.board}")
        if env.pio.framework:
            lines.append(f"framework = {env.pio.framework}")
    lines.append(f"build_flags ={ini_list(build_flags)}")
    lines.append(f"build_src_flags ={ini_list(src_flags)}")
    if env.bare_metal:
        script = sources.linker_script
        if script is not None:
            lines.append(f"board_build.ldscript = {place(script, spec)}")
        lines.append(f"custom_microforge_link_flags ={ini_list(_flags(spec.ldflags))}")
    lines.append(f"lib_deps ={ini_list([runtime_library(spec), board_library(spec)])}")
    lines.append(f"monitor_speed = {spec.serial_baud}")
    method = spec.flash.get("method", "") if spec.flash else ""
    if env.pio is not None and method in UPLOAD_PROTOCOLS:
        lines.append(f"upload_protocol = {UPLOAD_PROTOCOLS[method]}")
    if env.pio is None and spec.run_command:
        elf = "${platformio.build_dir}/${this.__env__}/firmware.elf"
        command = [a.replace("{elf}", elf) for a in spec.run_command]
        lines.append(f"test_testing_command ={ini_list(command)}")
    return "\n".join(lines) + "\n"


def add_emulated_platform(files: ProjectFiles, envs: list[PioEnv]) -> None:
    folder = EMULATED_DIR
    files.add_text(f"{folder}/platform.json", render("platformio", "platform/platform.json.in", {
        "name": EMULATED_PLATFORM, "version": microforge.__version__}))
    files.add_text(f"{folder}/platform.py", render("platformio", "platform/platform.py.in", {
        "class_name": platform_class_name(EMULATED_PLATFORM)}))
    files.add_text(f"{folder}/builder/main.py", render("platformio", "platform/main.py.in", {}))
    for env in envs:
        spec = env.spec
        flash = spec.memory.get("flash", {})
        ram = spec.memory.get("ram", {})
        if not spec.run_command:
            raise ExportError(f"{spec.board}: the emulator {spec.emulator.get('program')} is "
                              "not installed, so its run command is unknown")
        files.add_text(f"{folder}/boards/{spec.board}.json", json_text({
            "build": {
                "cpu": spec.cpu,
                "mcu": spec.emulator.get("machine", spec.board),
                "toolchain_prefix": spec.toolchain_prefix,
            },
            "emulator": {"command": list(spec.run_command)},
            "frameworks": [],
            "name": spec.board,
            "upload": {
                "maximum_size": int(flash.get("size", 0)),
                "maximum_ram_size": int(ram.get("size", 0)),
            },
            "url": "https://www.qemu.org/docs/master/system/target-arm.html",
            "vendor": "QEMU",
        }))
