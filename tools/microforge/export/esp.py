"""`esp`: an ESP-IDF project.

    CMakeLists.txt                 the IDF project
    sdkconfig.defaults             IDF target and console baud rate
    main/                          component "main": the example, the model, the board support
    components/microforge/         component "microforge": the runtime (core + kernels)

The compiler flags are the build's, minus the CPU flags, which ESP-IDF sets for its target.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from .base import Exporter, ExportRequest, Option
from .spec import ProjectSources
from .templates import cmake_list, render
from .writer import ProjectFiles

IDF_TARGETS = ("esp32", "esp32s3", "esp32c3")
RUNTIME_COMPONENT = "microforge"
RUNTIME_DIR = PurePosixPath("components") / RUNTIME_COMPONENT
MAIN_DIR = PurePosixPath("main")
RUNTIME_TREE = PurePosixPath("micro")


def framework_flags(flags: tuple[str, ...], cpu_flags: tuple[str, ...]) -> list[str]:
    """The build's flags without the ones the vendor framework owns for its target."""
    owned = set(cpu_flags)
    return [flag for flag in flags if flag not in owned]


def in_runtime(path: PurePosixPath) -> bool:
    return path.parts[:1] == RUNTIME_TREE.parts


class EspIdfExporter(Exporter):
    kind = "esp"
    description = "ESP-IDF project (idf.py build): main component + runtime component"
    options = (
        Option("idf_target", "the chip: CONFIG_IDF_TARGET", "esp32", IDF_TARGETS),
    )

    def generate(self, request: ExportRequest) -> ProjectFiles:
        options = self.resolve_options(request.options)
        spec = request.spec
        sources = request.sources()
        files = ProjectFiles()
        runtime_files = set(sources.runtime) | {h for h in sources.headers if in_runtime(h)}
        main_files = (set(sources.copies) | set(sources.model)) - runtime_files - sources.test_only
        add_under(files, sources, RUNTIME_DIR, runtime_files)
        add_under(files, sources, MAIN_DIR, main_files)
        cflags = framework_flags(spec.cflags, spec.cpu_flags)
        variants = ", ".join(spec.kernel_variants) or "reference"
        files.add_text("CMakeLists.txt", render("esp", "CMakeLists.txt.in", {
            "example": spec.example,
            "board": spec.board,
        }))
        files.add_text("sdkconfig.defaults", render("esp", "sdkconfig.defaults.in", {
            "board": spec.board,
            "idf_target": options["idf_target"],
            "baud": str(spec.serial_baud),
        }))
        files.add_text(f"{RUNTIME_DIR}/CMakeLists.txt", render("esp", "runtime.CMakeLists.txt.in", {
            "variants": variants,
            "sources": cmake_list(str(p) for p in sources.runtime),
            "include_dirs": cmake_list(str(d) for d in sources.include_dirs if in_runtime(d)),
            "defines": cmake_list(spec.defines),
            "cflags": cmake_list(cflags),
        }))
        main_sources = [p for p in sources.compiled if not in_runtime(p)]
        files.add_text(f"{MAIN_DIR}/CMakeLists.txt", render("esp", "main.CMakeLists.txt.in", {
            "example": spec.example,
            "sources": cmake_list(str(p) for p in main_sources),
            "include_dirs": cmake_list(str(d) for d in sources.all_include_dirs
                                       if not in_runtime(d)),
            "defines": cmake_list(spec.example_defines),
            "cflags": cmake_list(framework_flags(spec.all_cflags, spec.cpu_flags)),
        }))
        return files


def add_under(files: ProjectFiles, sources: ProjectSources, folder: PurePosixPath,
              selected: set[PurePosixPath]) -> None:
    staging = ProjectFiles()
    sources.add_to(staging, select=selected)
    for path in staging.paths():
        files.add_bytes(folder / path, staging.content(path))
