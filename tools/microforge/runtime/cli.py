"""The `microforge run` subcommand (logic in microforge.bench.command)."""

from __future__ import annotations

import argparse


def _run(args: argparse.Namespace) -> int:
    from microforge.bench import command

    return command.main(args)


def register(subparsers: argparse._SubParsersAction) -> None:
    from microforge.bench import command

    parser = subparsers.add_parser(
        "run", help="run a .tflite model through the runtime (host or emulated board)",
        description=command.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_arguments(parser)
    parser.set_defaults(func=_run)
