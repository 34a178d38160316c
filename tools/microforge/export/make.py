"""`make`: a plain Makefile project for the board's GCC cross toolchain (the same three groups
and flags as the CMake export and the build)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .base import Exporter, ExportRequest
from .cmake import check_groups, description, image_kinds, variants
from .templates import make_list, make_word, render
from .writer import ExportError, ProjectFiles


def _includes(paths: Iterable[object]) -> str:
    return make_list(f"-I{path}" for path in paths)


class MakeExporter(Exporter):
    kind = "make"
    description = "plain Makefile project for the GCC cross toolchain"

    def generate(self, request: ExportRequest) -> ProjectFiles:
        self.resolve_options(request.options)
        spec = request.spec
        sources = request.sources()
        check_groups(sources)
        for path in sources.compiled + sources.all_include_dirs:
            if any(c in str(path) for c in " $#%:"):
                raise ExportError(f"a Makefile cannot name {path} (space, $, #, % or :)")
        files = ProjectFiles()
        sources.add_to(files, tests=True)
        cross = bool(spec.toolchain_prefix)
        images = "".join(f" $(BUILD_DIR)/$(NAME).{kind}" for kind in image_kinds(spec)) \
            if cross else ""
        script = sources.linker_script
        suffix = ".elf" if cross else ""
        test_objects, test_lists, test_rules, test_targets = "", "", "", ""
        for program, paths in sources.tests.items():
            var = re.sub(r"[^A-Za-z0-9]", "_", program).upper() + "_OBJECTS"
            listed = make_list(str(p) for p in paths + sources.model_sources)
            test_objects += f"{var} := $(call objects,{listed})\n"
            test_lists += f" $({var})"
            target = f"$(BUILD_DIR)/{program}{suffix}"
            test_targets += f" {target}"
            test_rules += (
                f"# {program}: a test program (prints MF-CASE lines and a verdict).\n"
                f"{target}: $({var}) $(BOARD_OBJECTS) $(TESTING_OBJECTS) $(LIB) $(LDSCRIPT)\n"
                f"\t$(CC) $(LDFLAGS) $(addprefix -T,$(LDSCRIPT)) -o $@ $({var}) "
                "$(BOARD_OBJECTS) $(TESTING_OBJECTS) $(LIB) $(LDLIBS)\n\n")
        files.add_text("Makefile", render("make", "Makefile.in", {
            "example": spec.example,
            "board": spec.board,
            "description": description(spec),
            "variants": variants(spec),
            "prefix": spec.toolchain_prefix,
            "suffix": suffix,
            "testing_sources": make_list(str(p) for p in sources.testing),
            "test_objects": test_objects,
            "test_object_lists": test_lists,
            "test_rules": test_rules,
            "tests": test_targets,
            "runtime_sources": make_list(str(p) for p in sources.runtime),
            "board_sources": make_list(str(p) for p in sources.board_group),
            "example_sources": make_list(str(p) for p in sources.example_group),
            "include_dirs": _includes(sources.include_dirs),
            "defines": make_list(f"-D{define}" for define in spec.defines),
            "cflags": make_list(spec.cflags),
            "asflags": make_list(spec.asflags),
            "ldflags": make_list(spec.ldflags),
            "linker_script": f" {make_word(str(script))}" if script is not None else "",
            "libs": make_list(f"-l{lib}" for lib in spec.libs),
            "board_include_dirs": _includes(sources.board_include_dirs),
            "example_include_dirs": _includes(sources.example_include_dirs),
            "example_defines": make_list(f"-D{define}" for define in spec.example_defines),
            "example_cflags": make_list(spec.example_cflags),
            "images": images,
        }))
        return files
