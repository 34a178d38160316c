"""`cmake`: a plain CMake project for the board's GCC cross toolchain.

It compiles exactly the build's sources with the build's flags, in the build's three groups
(runtime as a static library, board objects, example objects), links with the board's linker
script and start-up, and makes the same images (bin/hex) as `scons`.
"""

from __future__ import annotations

from .base import Exporter, ExportRequest, Option
from .spec import BuildSpec, ProjectSources
from .templates import cmake_arg, cmake_list, render
from .writer import ExportError, ProjectFiles

OBJCOPY_FORMATS = {"bin": "binary", "hex": "ihex"}
PROCESSORS = {"arm": "arm", "riscv": "riscv32", "xtensa": "xtensa"}


def description(spec: BuildSpec) -> str:
    return f"{spec.cpu or spec.arch}, kernels: {variants(spec)}, build type {spec.build_type}"


def variants(spec: BuildSpec) -> str:
    return ", ".join(spec.kernel_variants) if spec.kernel_variants else "reference"


def image_kinds(spec: BuildSpec) -> list[str]:
    return [kind for kind in ("bin", "hex") if kind in spec.images]


def check_groups(sources: ProjectSources) -> None:
    for name, group in (("runtime", sources.runtime), ("board", sources.board_group),
                        ("example", sources.example_group)):
        if not group:
            raise ExportError(f"the build lists no {name} sources for {sources.spec.board}")


class CMakeExporter(Exporter):
    kind = "cmake"
    description = "plain CMake project for the GCC cross toolchain"
    options = (
        Option("minimum_version", "cmake_minimum_required version", "3.20",
               ("3.20", "3.22", "3.25")),
    )

    def generate(self, request: ExportRequest) -> ProjectFiles:
        options = self.resolve_options(request.options)
        sources = request.sources()
        check_groups(sources)
        files = ProjectFiles()
        sources.add_to(files, tests=True)
        spec = request.spec
        if spec.toolchain_prefix:
            files.add_text(f"cmake/{toolchain_file(spec)}", render("cmake", "toolchain.cmake.in", {
                "board": spec.board,
                "arch": spec.arch,
                "prefix": spec.toolchain_prefix,
                "processor": PROCESSORS.get(spec.arch, spec.arch),
            }))
        files.add_text("CMakeLists.txt", cmakelists(spec, sources, options["minimum_version"]))
        return files


def toolchain_file(spec: BuildSpec) -> str:
    return f"toolchain-{spec.toolchain_prefix.rstrip('-')}.cmake"


def source_dirs(paths: list, indent: str = "  ") -> str:
    return cmake_list((f"${{CMAKE_CURRENT_SOURCE_DIR}}/{cmake_path(p)}" for p in paths), indent,
                      raw=True)


def cmakelists(spec: BuildSpec, sources: ProjectSources, minimum_version: str) -> str:
    name = spec.example
    cross = bool(spec.toolchain_prefix)
    toolchain = ""
    if cross:
        file = f"${{CMAKE_CURRENT_LIST_DIR}}/cmake/{toolchain_file(spec)}"
        toolchain = (f'\nif(NOT CMAKE_TOOLCHAIN_FILE)\n  set(CMAKE_TOOLCHAIN_FILE "{file}")\n'
                     "endif()\n")
    link_script = ""
    script = sources.linker_script
    if script is not None:
        script_path = f"${{CMAKE_CURRENT_SOURCE_DIR}}/{cmake_path(script)}"
        link_script = (
            f'  target_link_options(${{name}} PRIVATE "-T{script_path}")\n'
            f'  set_target_properties(${{name}} PROPERTIES LINK_DEPENDS "{script_path}")\n'
        )
    images = ""
    kinds = image_kinds(spec) if cross else []
    if kinds:
        commands = "".join(
            f"\n  COMMAND ${{CMAKE_OBJCOPY}} -O {OBJCOPY_FORMATS[kind]} $<TARGET_FILE:{name}> "
            f"$<TARGET_FILE_DIR:{name}>/{name}.{kind}"
            for kind in kinds
        )
        byproducts = " ".join(f"${{CMAKE_CURRENT_BINARY_DIR}}/{name}.{kind}" for kind in kinds)
        images = (
            f"add_custom_command(TARGET {name} POST_BUILD{commands}\n"
            f"  BYPRODUCTS {byproducts}\n"
            f'  COMMENT "Making {" and ".join(f"{name}.{kind}" for kind in kinds)}"\n'
            "  VERBATIM)\n"
        )
    testing_library = ""
    tests = ""
    if sources.tests:
        testing_library = (
            "\n# The test framework (micro/testing), linked into test programs only.\n"
            f"add_library(mf_testing OBJECT{cmake_list(cmake_path(p) for p in sources.testing)}"
            "\n)\ntarget_include_directories(mf_testing PRIVATE ${MF_INCLUDE_DIRS})\n"
            "mf_compile_settings(mf_testing)\n")
        tests = "\n# The example's test programs (they print MF-CASE lines and a verdict).\n"
        for program, paths in sources.tests.items():
            listed = [cmake_path(p) for p in paths + sources.model_sources]
            tests += (f"mf_firmware({program}{cmake_list(listed)}\n"
                      "  $<TARGET_OBJECTS:mf_testing>\n)\n")
    languages = sorted(sources.languages() | {"C"})
    return render("cmake", "CMakeLists.txt.in", {
        "example": name,
        "board": spec.board,
        "description": description(spec),
        "minimum_version": minimum_version,
        "toolchain": toolchain,
        "languages": " ".join(languages),
        "include_dirs": source_dirs(sources.include_dirs),
        "defines": cmake_list(spec.defines),
        "cflags": cmake_list(spec.cflags),
        "asflags": cmake_list(spec.asflags),
        "variants": variants(spec),
        "runtime_sources": cmake_list(cmake_path(p) for p in sources.runtime),
        "board_sources": cmake_list(cmake_path(p) for p in sources.board_group),
        "board_include_dirs": source_dirs(sources.board_include_dirs),
        "testing_library": testing_library,
        "example_include_dirs": source_dirs(sources.example_include_dirs, "    "),
        "example_defines": cmake_list(spec.example_defines, "    "),
        "example_cflags": cmake_list(spec.example_cflags, "    "),
        "suffix": ".elf" if cross else "",
        "ldflags": cmake_list(spec.ldflags, "    "),
        "libs": cmake_list(spec.libs, "    "),
        "link_script": link_script,
        "example_sources": cmake_list(cmake_path(p) for p in sources.example_group),
        "images": images,
        "tests": tests,
    })


def cmake_path(path: object) -> str:
    text = str(path)
    if cmake_arg(text) != text:
        raise ExportError(f"a project path CMake would need quoted: {text}")
    return text
