"""`mbed`: an Mbed OS project, for Mbed CE (CMake) and for Mbed CLI 1.

    CMakeLists.txt        Mbed CE: the application target linked with mbed-os
    mbed_app.json         both flows: the build's -D flags as "macros", console baud
    mbed-os.lib           Mbed CLI 1: the Mbed OS release to deploy
    .mbedignore           Mbed CLI 1: build trees that are not sources
    mbed/mf_board_mbed.cpp  the board interface over Mbed OS

Mbed OS owns start-up, clocks, the console UART and the link, so the board's bare-metal
sources and linker script stay out; the portable platform hooks stay in.
"""

from __future__ import annotations

from .base import Exporter, ExportRequest, Option
from .cmake import source_dirs
from .esp import framework_flags
from .templates import cmake_list, json_text, render
from .writer import ExportError, ProjectFiles

#: microforge board -> Mbed OS target name.
MBED_TARGETS = {"disco_f746ng": "DISCO_F746NG"}
#: The Mbed OS release Mbed CLI 1 deploys (the last Arm release, 6.17.0).
MBED_OS_LIB = "https://github.com/ARMmbed/mbed-os/#mbed-os-6.17.0"
GLUE = "mbed/mf_board_mbed.cpp"


class MbedExporter(Exporter):
    kind = "mbed"
    description = "Mbed OS project: Mbed CE CMake and Mbed CLI 1 (mbed_app.json, mbed-os.lib)"
    options = (
        Option("mbed_target", "Mbed OS target name (default: the board's)", ""),
    )

    def generate(self, request: ExportRequest) -> ProjectFiles:
        options = self.resolve_options(request.options)
        spec = request.spec
        target = options["mbed_target"] or MBED_TARGETS.get(spec.board, "")
        if not target:
            raise ExportError(f"no Mbed OS target is known for board {spec.board}; "
                              "give one with mbed_target=<NAME>")
        sources = request.sources(bare_metal=False)
        files = ProjectFiles()
        sources.add_to(files)
        compiled = sources.compiled
        variants = ", ".join(spec.kernel_variants) or "reference"
        files.add_text(GLUE, render("mbed", "mf_board_mbed.cpp.in", {
            "board": spec.board, "mbed_target": target}))
        runtime = set(sources.runtime)
        app_sources = [str(p) for p in compiled if p not in runtime] + [GLUE]
        app_dirs = [d for d in sources.all_include_dirs if d not in sources.include_dirs]
        files.add_text("CMakeLists.txt", render("mbed", "CMakeLists.txt.in", {
            "example": spec.example,
            "board": spec.board,
            "mbed_target": target,
            "variants": variants,
            "runtime_sources": cmake_list(str(p) for p in sources.runtime),
            "include_dirs": source_dirs(sources.include_dirs),
            "sources": cmake_list(app_sources),
            "example_include_dirs": source_dirs(app_dirs),
            "cflags": cmake_list(framework_flags(spec.all_cflags, spec.cpu_flags)),
        }))
        files.add_text("mbed_app.json", json_text({
            "macros": list(spec.all_defines),
            "target_overrides": {"*": {"platform.stdio-baud-rate": spec.serial_baud}},
        }))
        files.add_text("mbed-os.lib", MBED_OS_LIB + "\n")
        files.add_text(".mbedignore", render("mbed", "mbedignore.in", {}))
        files.add_text("README.md", render("mbed", "README.md.in", {
            "example": spec.example, "board": spec.board, "mbed_target": target,
            "variants": variants, "baud": str(spec.serial_baud)}))
        return files
