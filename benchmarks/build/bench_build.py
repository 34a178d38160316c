"""Build benchmark: SCons against a plain Makefile doing the same compiles, in the same run.

    python benchmarks/build/bench_build.py [--target host] [--repeats 3] [--jobs 2]

On a private copy of the committed tree (git HEAD) it measures, for SCons and for make:
  clean     a build from nothing of the runtime library and every example (programs, tests,
            benchmarks)
  no-op     the same command again, nothing to do (SCons with and without FAST=1)
  kernel    after editing one kernel source (micro/kernels/relu.c)
and prints seconds (best of --repeats), wall and CPU (user + system of every process it
started), with the SCons/make ratios. The Makefile is generated
from `scons -n V=1` of the same aliases, so both run exactly the same compiler, archiver and
linker commands (make adds -MMD -MP for header dependencies). ccache is off for both.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("SConstruct", "pyproject.toml", "tools", "targets", "micro", "examples")
STEP_TIMEOUT_S = 900
COMMAND_RE = re.compile(r"^\[\d+/\d+\] (.*)$")
KERNEL = Path("micro/kernels/relu.c")
LAST_CPU = [0.0]


def copy_tree(dest: Path) -> Path:
    tree = dest / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD",
                              *COPIED], capture_output=True, timeout=120, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        try:
            tar.extractall(tree, filter="data")
        except TypeError:           # Python before 3.11.4: no extraction filters
            tar.extractall(tree)  # noqa: S202 - our own repository's archive
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (dest / "shared").symlink_to(shared)
    return tree


def scons_command(tree: Path, jobs: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "SCons", "-C", str(tree), "-Q", f"-j{jobs}", "CCACHE=0", *args]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], cwd: Path | None = None) -> tuple[float, str]:
    """Runs a command; returns (wall seconds, output) and records its CPU seconds."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=STEP_TIMEOUT_S, check=False)
    elapsed = time.perf_counter() - start
    LAST_CPU[0] = _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout[-3000:]}")
    return elapsed, done.stdout


def aliases(tree: Path, target: str) -> list[str]:
    """lib plus every example program, test and benchmark for the target."""
    sys.path.insert(0, str(tree / "tools"))
    from microforge.config import load_examples, resolve

    config = resolve({"TARGET": target}, tree, find_tools=False)
    names = ["lib"]
    for example in load_examples(tree).values():
        if example.supports(config.board.name, config.board.arch):
            names.append(example.name)
            names += [p.name for p in example.tests + example.benchmarks]
    return names


def makefile(tree: Path, target: str, names: list[str]) -> str:
    """A Makefile with the commands `scons -n V=1` would run, one rule per output."""
    _, output = run(scons_command(tree, 1, "-n", "V=1", f"TARGET={target}", *names))
    rules: list[str] = []
    outputs: list[str] = []
    models = re.findall(r"^\[\d+/\d+\] MODEL (\S+)$", output, re.MULTILINE)
    for line in output.splitlines():
        match = COMMAND_RE.match(line)
        if not match:
            continue
        command = match.group(1)
        words = command.split()
        if "-o" in words and " -c " in f" {command} ":
            obj = words[words.index("-o") + 1]
            source = words[-1]
            rules.append(f"{obj}: {source}\n\t@mkdir -p $(@D)\n\t{command} -MMD -MP\n"
                         f"-include {obj[:-2]}.d\n")
            outputs.append(obj)
        elif " rcs " in command:
            lib = words[words.index("rcs") + 1]
            rules.append(f"{lib}: {' '.join(words[words.index('rcs') + 2:])}\n"
                         f"\t@mkdir -p $(@D)\n\trm -f {lib}\n\t{command}\n")
            outputs.append(lib)
        elif "-o" in words:
            program = words[words.index("-o") + 1]
            inputs = [w for w in words if w.endswith((".o", ".a"))]
            rules.append(f"{program}: {' '.join(inputs)}\n\t@mkdir -p $(@D)\n\t{command}\n")
            outputs.append(program)
    for model in models:
        example_dir = Path(model).parent
        for obj in outputs:
            if not obj.endswith(".o") or f"/obj/{example_dir}/" not in obj:
                continue
            c_file = obj[:-2] + ".c"
            if (tree / example_dir / Path(c_file).name).exists():
                continue            # an example source, not the generated model array
            symbol, h_file = Path(c_file).stem, obj[:-2] + ".h"
            rules.append(
                f"{c_file} {h_file} &: {model}\n\t@mkdir -p $(@D)\n"
                f"\t{sys.executable} -c \"import sys; sys.path.insert(0, 'tools'); "
                "from pathlib import Path; from microforge.build.model_c import "
                f"build_model_source; build_model_source(Path('{model}'), Path('{c_file}'), "
                f"Path('{h_file}'), '{symbol}', '{model}')\"\n")
            # Generated headers exist before the example's sources compile.
            users = [o for o in outputs if o.endswith(".o") and f"/obj/{example_dir}/" in o]
            rules.append(f"{' '.join(users)}: | {h_file}\n")
    head = "all: " + " ".join(outputs) + "\n.PHONY: all\n"
    return head + "\n".join(rules)


def best(command: list[str], repeats: int, cwd: Path | None = None,
         before: object = None) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system of all processes) of `repeats` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        if callable(before):
            before()
        walls.append(run(command, cwd)[0])
        cpus.append(LAST_CPU[0])
    return min(walls), min(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="host")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    if shutil.which("make") is None:
        raise SystemExit("make is not installed")

    with tempfile.TemporaryDirectory(prefix="mf-bench-") as temp:
        tree = copy_tree(Path(temp))
        names = aliases(tree, options.target)
        (tree / "Makefile").write_text(makefile(tree, options.target, names))
        gen = tree / "gen"
        scons_build = scons_command(tree, options.jobs, f"TARGET={options.target}", *names)
        scons_all = scons_command(tree, options.jobs, f"TARGET={options.target}")
        make = ["make", "-s", "-C", str(tree), f"-j{options.jobs}", "all"]

        def wipe() -> None:
            shutil.rmtree(gen, ignore_errors=True)     # objects and their signatures

        def edit_kernel() -> None:
            path = tree / KERNEL
            # A new function: the object changes, so the archive and the programs follow.
            stamp = time.time_ns()
            path.write_text(path.read_text() + f"\nint bench_edit_{stamp}(void);\n"
                            f"int bench_edit_{stamp}(void) {{ return {stamp % 1000}; }}\n")
            later = time.time() + 2
            os.utime(path, (later, later))

        results = {}
        results["clean"] = (best(scons_build, options.repeats, before=wipe),
                            best(make, options.repeats, before=wipe))
        run(scons_build)
        run(scons_all)
        results["no-op"] = (best(scons_build, options.repeats), best(make, options.repeats))
        results["no-op FAST=1"] = (best([*scons_build, "FAST=1"], options.repeats),
                                   results["no-op"][1])
        results["no-op whole tree"] = (best(scons_all, options.repeats), results["no-op"][1])
        results["no-op whole tree FAST=1"] = (best([*scons_all, "FAST=1"], options.repeats),
                                              results["no-op"][1])
        run(make)
        results["kernel edit"] = (best(scons_build, options.repeats, before=edit_kernel),
                                  best(make, options.repeats, before=edit_kernel))

        count = len(re.findall(r"^\S+\.o:", (tree / "Makefile").read_text(), re.MULTILINE))
        print(f"build benchmark: TARGET={options.target}, {count} objects, "
              f"{len(names)} aliases, -j{options.jobs}, best of {options.repeats}")
        print(f"load average before: {os.getloadavg()[0]:.1f} (wall times grow with it; CPU "
              "times much less)")
        print(f"{'scenario':<26}{'scons s':>9}{'make s':>9}{'ratio':>7}   "
              f"{'scons cpu':>9}{'make cpu':>9}{'ratio':>7}")
        for name, ((ours, ours_cpu), (theirs, theirs_cpu)) in results.items():
            print(f"{name:<26}{ours:>9.3f}{theirs:>9.3f}{ours / theirs:>7.2f}   "
                  f"{ours_cpu:>9.3f}{theirs_cpu:>9.3f}{ours_cpu / max(theirs_cpu, 1e-3):>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
