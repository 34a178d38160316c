"""`arduino`: an Arduino library zip (library format 1.5).

    <name>/library.properties
    <name>/src/<name>.h              the header a sketch includes
    <name>/src/...                   runtime, platform hooks, example, model as C source
    <name>/examples/<ex>/<ex>.ino    the example as a sketch: mf_board.h over Serial/micros()

Arduino compiles everything under src/ and puts only src/ on the include path, and it has
no per-library compiler flags. So headers the build finds through its include dirs are placed
where `src/` finds them, every C source starts by including the build's -D flags
(`mf_build_config.h`), and the example's main() is renamed: the Arduino core owns main().
"""

from __future__ import annotations

import posixpath
import re
from importlib import metadata
from pathlib import PurePosixPath

import microforge

from .base import Exporter, ExportRequest, Option
from .spec import C_SUFFIXES, ProjectSources
from .templates import render
from .writer import ExportError, ProjectFiles

ENTRY = "mf_example_main"
CONFIG_HEADER = "mf_build_config.h"
MAIN_RE = re.compile(r"^[ \t]*int[ \t\n]+main[ \t]*\([ \t]*(void)?[ \t]*\)", re.MULTILINE)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$")
FALLBACK_URL = "https://example.invalid/microforge"


def project_url() -> str:
    """The package's home page from its metadata, when it declares one."""
    try:
        meta = metadata.metadata("microforge")
    except metadata.PackageNotFoundError:
        return FALLBACK_URL
    for entry in meta.get_all("Project-URL") or []:
        _, _, url = entry.partition(",")
        if url.strip():
            return url.strip()
    return meta.get("Home-page") or FALLBACK_URL


def define_line(define: str) -> str:
    name, sep, value = define.partition("=")
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        raise ExportError(f"cannot write -D{define} as a #define")
    return f"#define {name} {value if sep else '1'}"


class ArduinoExporter(Exporter):
    kind = "arduino"
    description = "Arduino library zip: library.properties, src/, examples/<ex>/<ex>.ino"
    options = (
        Option("name", "library name (default: microforge_<example>)", ""),
        Option("url", "library.properties url (default: the package's home page)", ""),
    )

    def generate(self, request: ExportRequest) -> ProjectFiles:
        options = self.resolve_options(request.options)
        spec = request.spec
        name = options["name"] or f"microforge_{spec.example}"
        if not NAME_RE.match(name):
            raise ExportError(f'Arduino library name "{name}" must start with a letter or digit '
                              "and hold only letters, digits, _ . - (at most 63)")
        sources = request.sources(bare_metal=False)
        library = library_files(sources, name, options["url"] or project_url())
        files = ProjectFiles()
        files.add_bytes(f"{name}.zip", library.to_zip(prefix=f"{name}/"))
        return files


def library_files(sources: ProjectSources, name: str, url: str) -> ProjectFiles:
    spec = sources.spec
    header = f"{name}.h"
    layout = src_layout(sources)
    main_files = [path for path in sources.example if MAIN_RE.search(_text(sources, path))]
    if len(main_files) != 1:
        raise ExportError(f"example {spec.example} must define main() in exactly one source; "
                          f"found {len(main_files)}")
    for reserved in (header, CONFIG_HEADER):
        if PurePosixPath(reserved) in layout:
            raise ExportError(f"src/{reserved} is generated; a source of the build has that name")
    if PurePosixPath("mf_board.h") not in layout:
        raise ExportError("mf_board.h is not reachable from src/; the board interface is missing")

    files = ProjectFiles()
    for location, origin in sorted(layout.items()):
        data = _content(sources, origin)
        if origin.suffix in C_SUFFIXES and origin in sources.compiled:
            prelude = f'#include "{CONFIG_HEADER}" /* the build\'s -D flags */\n'
            if origin == main_files[0]:
                prelude += f"#define main {ENTRY} /* the Arduino core owns main() */\n"
            data = (prelude + "#line 1\n").encode() + data
        files.add_bytes(f"src/{location}", data)

    variants = ", ".join(spec.kernel_variants) or "reference"
    guard = re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_H"
    files.add_text(f"src/{header}", render("arduino", "library.h.in", {
        "name": name, "example": spec.example, "board": spec.board, "variants": variants,
        "guard": guard, "entry": ENTRY}))
    files.add_text(f"src/{CONFIG_HEADER}", render("arduino", "build_config.h.in", {
        "board": spec.board,
        "defines": "".join(f"{define_line(d)}\n" for d in spec.all_defines)}))
    files.add_text(f"examples/{spec.example}/{spec.example}.ino", render(
        "arduino", "sketch.ino.in", {"example": spec.example, "header": header,
                                     "baud": str(spec.serial_baud), "entry": ENTRY}))
    properties = render("arduino", "library.properties.in", {
        "name": name,
        "version": microforge.__version__,
        "author": "microforge",
        "sentence": f"The {spec.example} TensorFlow Lite example on the microforge runtime.",
        "paragraph": (f"The microforge runtime (kernels: {variants}) with the {spec.example} "
                      f"example and its model as C source, exported for {spec.board}."),
        "url": url,
        "header": header,
        "ldflags": "ldflags=" + " ".join(f"-l{lib}" for lib in spec.libs) if spec.libs else "",
    })
    files.add_text("library.properties",
                   "".join(line + "\n" for line in properties.splitlines() if line.strip()))
    return files


def _text(sources: ProjectSources, path: PurePosixPath) -> str:
    return sources.copies[path].read_text(encoding="utf-8", errors="replace")


def src_layout(sources: ProjectSources) -> dict[PurePosixPath, PurePosixPath]:
    """Location under src/ -> origin (tree path, or generated path) of every library file.

    Compiled sources keep their tree path; a header found beside its includer goes beside it,
    a header found through the include dirs goes where src/ (the only include dir) finds it;
    generated files go to src/ itself. A location claimed by two different files, or a
    lookup that would find another file first, fails the export.
    """
    layout: dict[PurePosixPath, PurePosixPath] = {}
    edges: dict[PurePosixPath, list[tuple[str, PurePosixPath, bool]]] = {}
    for including, name, header, beside in sources.include_edges:
        edges.setdefault(including, []).append((name, header, beside))

    def claim(location: PurePosixPath, origin: PurePosixPath) -> bool:
        if location.parts[:1] == ("..",) or location.is_absolute():
            raise ExportError(f"{origin} would land outside src/ at {location}")
        present = layout.get(location)
        if present is None:
            layout[location] = origin
            return True
        if present != origin and _content(sources, present) != _content(sources, origin):
            raise ExportError(f"src/{location} is wanted by both {present} and {origin}")
        return False

    pending: list[tuple[PurePosixPath, PurePosixPath]] = []
    for path in sources.compiled:
        if path in sources.copies and claim(path, path):
            pending.append((path, path))
    for path in sources.generated_paths():
        claim(PurePosixPath(path.name), path)
    while pending:
        origin, location = pending.pop()
        for name, header, beside in edges.get(origin, []):
            if beside:
                target = PurePosixPath(posixpath.normpath(f"{location.parent}/{name}"))
            else:
                target = PurePosixPath(posixpath.normpath(name))
            if claim(target, header):
                pending.append((header, target))
            # A quote include looks beside the includer first: that must not be another file.
            nearby = PurePosixPath(posixpath.normpath(f"{location.parent}/{name}"))
            if not beside and nearby in layout and \
                    _content(sources, layout[nearby]) != _content(sources, header):
                raise ExportError(f"in the Arduino layout {origin} would include src/{nearby} "
                                  f"instead of {header}")
    return layout


def _content(sources: ProjectSources, origin: PurePosixPath) -> bytes:
    if origin in sources.copies:
        return sources.copies[origin].read_bytes()
    for path, generated in zip(sources.generated_paths(), sources.spec.generated, strict=True):
        if path == origin:
            return generated.data
    raise ExportError(f"unknown file {origin}")
