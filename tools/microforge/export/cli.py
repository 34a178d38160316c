"""`microforge export`: write a vendor IDE project for an example and a board."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    from . import EXPORTERS

    kinds = ", ".join(f"{kind} ({e.description})" for kind, e in EXPORTERS.items())
    parser = subparsers.add_parser(
        "export", help="write a vendor IDE project (esp, mbed, platformio, arduino, cmake, make)",
        description="Writes gen/<config>/prj/<example>/<kind>/ from the same board data, "
                    f"file lists and flags the build uses. Kinds: {kinds}.")
    parser.add_argument("example", help="an example of examples/")
    parser.add_argument("kind", help="project kind")
    parser.add_argument("options", nargs="*", metavar="NAME=VALUE",
                        help="options of the kind, e.g. idf_target=esp32s3")
    parser.add_argument("--target", default="host", help="board (TARGET of scons)")
    parser.add_argument("--tags", default="", help="TAGS of scons (kernel variants, ...)")
    parser.add_argument("--build-type", default="default", help="BUILD_TYPE of scons")
    parser.add_argument("--target-arch", default="", help="TARGET_ARCH of scons")
    parser.add_argument("--model", default="", help="a .tflite that replaces the model")
    parser.add_argument("-o", "--output", type=Path, help="folder to write (default under gen/)")
    parser.add_argument("--root", type=Path, help="source tree (default: found from here)")
    parser.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    from microforge.cli import _find_root
    from microforge.config import ConfigError, resolve

    from .api import export
    from .base import parse_options
    from .writer import ExportError

    root = (args.root or _find_root(Path.cwd())).resolve()
    variables = {"TARGET": args.target, "BUILD_TYPE": args.build_type}
    for name, value in (("TAGS", args.tags), ("TARGET_ARCH", args.target_arch),
                        ("MODEL", args.model)):
        if value:
            variables[name] = value
    try:
        config = resolve(variables, root, launch_dir=Path.cwd(), find_tools=False)
        result = export(config, args.example, args.kind, parse_options(args.options),
                        args.output)
    except (ConfigError, ExportError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    print(result.summary())
    return 0
