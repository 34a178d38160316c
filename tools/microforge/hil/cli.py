"""`microforge farm` and `microforge nightly`.

microforge farm scan -o farm.toml          # serial ports + pyOCD probes + emulated boards
microforge farm show --farm farm.toml      # check the file, list its units
microforge farm serve /dev/ttyACM0 --listen 0.0.0.0:4001    # share a console (RFC 2217)
microforge nightly --farm farm.toml --retry-failed 1 --out nightly/
microforge nightly --resume nightly/runs/20261121-020000-1a2b
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from ..device.errors import DeviceError
from .farm import FarmError, emulated_farm, gather_ports, gather_probes, load_farm, scan


def run_scan(args: argparse.Namespace) -> int:
    ports = gather_ports()
    probes, problem = gather_probes(args.probe_timeout)
    if problem:
        sys.stderr.write(f"warning: {problem}\n")
    result = scan(ports, probes)
    text = result.to_toml()
    real = [u for u in result.farm.units if not u.emulated]
    sys.stderr.write(f"found {len(real)} wired board(s), {len(result.notes)} unidentified "
                     f"device(s); {len(result.farm.units) - len(real)} emulated board(s)\n")
    if args.output is None:
        sys.stdout.write(text)
        return 0
    if args.output.exists() and not args.force:
        raise FarmError(f"{args.output} exists; use --force to replace it")
    args.output.write_text(text)
    load_farm(args.output)  # what was written must load
    sys.stderr.write(f"wrote {args.output}\n")
    return 0


def run_show(args: argparse.Namespace) -> int:
    farm = load_farm(args.farm) if args.farm else emulated_farm()
    print(f"farm {farm.name} ({farm.where}), locks in {farm.lock_dir}")
    for unit in farm.units:
        how = "emulated" if unit.emulated else f"port {unit.port}" + (
            f", probe {unit.probe}" if unit.probe else "")  # fmt: skip
        state = "" if unit.enabled else "  [disabled]"
        print(f"  {unit.name:<20} {unit.board:<18} {how}{state}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from .port_server import PortServer

    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise FarmError(f"--listen takes HOST:PORT, got {args.listen!r}")
    server = PortServer(args.port, host, int(port), baudrate=args.baud).start()
    sys.stderr.write(f"serving {args.port} at {server.address} (Ctrl-C stops)\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        return 0
    return 0


def run_nightly(args: argparse.Namespace) -> int:
    from microforge import ROOT

    from . import nightly
    from .nightly.jobs import load_jobs_file, parse_subset, plan_tree, subset
    from .nightly.quarantine import load_quarantine
    from .nightly.runner import Options, RunPlan, new_run_id

    if args.resume is not None:
        run_dir = args.resume
        plan = nightly.load_run(run_dir)
    else:
        if args.farm is not None:
            farm = load_farm(args.farm)
            farm_text = args.farm.read_text()
        else:
            farm = emulated_farm()
            farm_text = farm.to_toml()
        units = farm.select(args.board)
        boards = sorted({u.board for u in units})
        root = (args.root or ROOT).resolve()
        if args.jobs_file is not None:
            jobs = [j for j in load_jobs_file(args.jobs_file, job_timeout=args.job_timeout)
                    if j.board in boards]  # fmt: skip
        else:
            jobs = plan_tree(root, boards, programs=args.program, job_timeout=args.job_timeout)
        if args.subset:
            index, count = parse_subset(args.subset)
            jobs = subset(jobs, index, count)
        if not jobs:
            raise FarmError("nothing to run: no program supports the selected boards")
        if args.quarantine is not None:
            load_quarantine(args.quarantine)  # fail now on a bad file, not after the build
        options = Options(
            retry_failed=args.retry_failed, build=not args.no_build, build_type=args.build_type,
            build_jobs=args.jobs,
            quarantine_file=str(args.quarantine.resolve()) if args.quarantine else "",
            history_dir=str(args.history.resolve()) if args.history else "",
            flag_threshold=args.flag_threshold, subset=args.subset or "",
        )  # fmt: skip
        if args.board:
            farm.units = [u for u in farm.units if u in units]
        plan = RunPlan(new_run_id(), root, farm, farm_text, jobs, options)
        run_dir = nightly.create_run(args.out, plan)
        sys.stderr.write(f"run directory {run_dir}\n")
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a cancelled CI job stops cleanly
    try:
        summary = nightly.run(run_dir, plan)
    except KeyboardInterrupt:
        sys.stderr.write(f"interrupted; continue with: microforge nightly --resume {run_dir}\n")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items())
    verdict = "PASSED" if summary["passed"] else f"FAILED ({len(summary['failing'])} failing)"
    print(f"nightly {summary['run_id']}: {verdict}: {counts}; {summary['seconds']:.0f} s")
    print(f"report: {run_dir / 'report.html'}")
    print(f"junit: {run_dir / 'junit.xml'}")
    return 0 if summary["passed"] else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    farm = subparsers.add_parser(
        "farm", help="the farm inventory: scan for boards, show, share a console",
        description="The farm file lists the boards attached to this host (or reachable over "
        "the network) and how; emulated boards are always available.",
    )  # fmt: skip
    actions = farm.add_subparsers(dest="farm_command", metavar="<action>", required=True)
    scan_parser = actions.add_parser("scan", help="write an inventory of what is attached")
    scan_parser.add_argument("-o", "--output", type=Path, help="farm file to write (else stdout)")
    scan_parser.add_argument("--force", action="store_true", help="replace an existing file")
    scan_parser.add_argument("--probe-timeout", type=float, default=30.0,
                             help="seconds pyOCD may take to list probes")  # fmt: skip
    scan_parser.set_defaults(func=_guarded(run_scan))
    show = actions.add_parser("show", help="check a farm file and list its units")
    show.add_argument("--farm", type=Path, help="farm file (default: the emulated boards)")
    show.set_defaults(func=_guarded(run_show))
    serve = actions.add_parser("serve", help="share a console over RFC 2217")
    serve.add_argument("port", help="device path or pyserial URL of the console")
    serve.add_argument("--listen", default="127.0.0.1:4001", help="HOST:PORT (default "
                       "127.0.0.1:4001; 0.0.0.0:PORT for other hosts)")  # fmt: skip
    serve.add_argument("--baud", type=int, default=115200)
    serve.set_defaults(func=_guarded(run_serve))

    night = subparsers.add_parser(
        "nightly", help="build and run every example and test on every farm board, report",
        description="Builds every program for every board of the farm (scons), runs them with "
        "one worker per board, and writes results.jsonl (as each job ends), junit.xml, "
        "summary.json and report.html in a new run directory under --out.",
    )  # fmt: skip
    night.add_argument("--farm", type=Path, help="farm file (default: the emulated boards)")
    night.add_argument("--board", action="append", default=[], metavar="NAME",
                       help="only these units or boards (repeatable)")  # fmt: skip
    night.add_argument("--program", action="append", default=[], metavar="NAME",
                       help="only these programs or examples (repeatable)")  # fmt: skip
    night.add_argument("--jobs-file", type=Path,
                       help="run prebuilt images listed in this TOML file instead")  # fmt: skip
    night.add_argument("--out", type=Path, default=Path("nightly"),
                       help="folder of runs/ and history/ (default ./nightly)")  # fmt: skip
    night.add_argument("--history", type=Path, help="history folder (default OUT/history)")
    night.add_argument("--retry-failed", type=_count, default=0, metavar="N",
                       help="run a failed job up to N more times")  # fmt: skip
    night.add_argument("--quarantine", type=Path,
                       help="TOML file of known-bad jobs that do not fail the night")  # fmt: skip
    night.add_argument("--subset", help="k/n: run only the k-th of n shares of the jobs")
    night.add_argument("--job-timeout", type=_seconds, metavar="SECONDS",
                       help="bound every job (flash and run) to this many seconds")  # fmt: skip
    night.add_argument("--no-build", action="store_true", help="use the images already built")
    night.add_argument("--build-type", default="default", help="BUILD_TYPE for scons")
    night.add_argument("-j", "--jobs", type=_count, default=2, help="scons -j (default 2)")
    night.add_argument("--flag-threshold", type=float, default=1.0, metavar="PERCENT",
                       help="flag figure changes at least this large (default 1%%)")  # fmt: skip
    night.add_argument("--root", type=Path, help="source tree (default: this package's)")
    night.add_argument("--resume", type=Path, metavar="RUN_DIR",
                       help="continue a stopped run; other options are taken from it")  # fmt: skip
    night.set_defaults(func=_guarded(run_nightly))


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _guarded(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except DeviceError as err:
            sys.stderr.write(f"error: {err}\n")
            return 2

    return run
