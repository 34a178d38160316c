"""Every target and alias of one configuration, built from the same file lists.

runtime  = micro/core/*.c + micro/kernels/*.c overlaid by the kernel variants
board    = the board's sources + its targets/common/<dir> sources + targets/common/platform.c
program  = its own objects + board objects (+ micro/testing) + libmicroforge.a
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SCons.Node.FS import File
from SCons.Script import Action, AlwaysBuild

from microforge.config import Config, ConfigError, load_examples, overlay
from microforge.config.example import Example, Program
from microforge.config.variants import KernelSource

from . import runners, size
from .env import make_env
from .model_c import ModelBuildError, build_model_source, c_array
from .output import Output, TestRecord
from .plan import (  # noqa: F401 - sources_in is used by the exporters too
    board_runner_sources,
    board_sources,
    runner_library_sources,
    runner_program_sources,
    runtime_sources,
    sources_in,
    testing_sources,
)

RUNTIME_TESTS = Path("micro") / "tests"
RUNNER_MODEL_SYMBOL = "mf_runner_model"
RUNNER_INPUTS_SYMBOL = "mf_runner_inputs"
RUNTIME_TESTS_DATA = "tests.toml"
SHARED_MODELS = "@shared/"


@dataclass
class AliasInfo:
    name: str
    help: str


class Tree:
    """Defines the SCons nodes and aliases for a Config."""

    def __init__(self, config: Config, output: Output) -> None:
        self.config = config
        self.output = output
        self.root = config.root
        self.gen = config.gen_dir
        self.env = make_env(config, output)
        self.objects_by_path: dict[str, Any] = {}
        self.aliases: list[AliasInfo] = []
        self.alias_names: set[str] = set()
        self.run_nodes: set[Any] = set()
        self.everything: list[Any] = []
        self.examples: dict[str, Example] = load_examples(self.root)
        self.kernels: list[KernelSource] = overlay(self.root, config.variants)
        self.lib: Any = None
        self.board_objs: list[Any] = []
        self.testing_objs: list[Any] = []

    # ---- helpers -------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        path = Path(path)
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def obj_path(self, source: Path) -> Path:
        source = Path(source)
        if source.is_relative_to(self.gen):
            return source.with_suffix(".o")
        return self.gen / "obj" / Path(self.rel(source)).with_suffix(".o")

    def compile(self, env: Any, sources: list[Path]) -> list[Any]:
        nodes = []
        for source in sources:
            target = self.obj_path(source)
            key = str(target)
            if key not in self.objects_by_path:
                self.objects_by_path[key] = env.Object(target=key, source=str(source))[0]
            nodes.append(self.objects_by_path[key])
        return nodes

    def alias(self, name: str, sources: Any, help_text: str = "",
              job: tuple[Callable[[], int], str] | None = None, always: bool = False) -> Any:
        """An alias; with `job` = (function, label) it also runs the function when built."""
        if job is not None:
            JOBS[name] = job
            node = self.env.Alias(name, sources, JOB_ACTION)
            self.run_nodes.update(node)
        else:
            node = self.env.Alias(name, sources)
        if always:
            AlwaysBuild(node)
        if help_text and name not in self.alias_names:
            self.aliases.append(AliasInfo(name, help_text))
        self.alias_names.add(name)
        return node

    @staticmethod
    def action(func: Callable[[], int], label: str) -> tuple[Callable[[], int], str]:
        return (func, label)

    # ---- runtime, board, testing -------------------------------------------------------
    def runtime(self) -> None:
        runtime_objs = self.compile(self.env, runtime_sources(self.config))
        self.runtime_objs = runtime_objs
        libdir = self.gen / "lib"
        if runtime_objs:
            self.lib = self.env.StaticLibrary(str(libdir / "microforge"), runtime_objs)[0]
            self.output.artefacts.append(self.lib)
            self.everything.append(self.lib)
        libs = [self.lib] if self.lib is not None else []
        self.alias("lib", libs, "the runtime as a static library: gen/<config>/lib/libmicroforge.a")
        self.alias("microlite", libs)     # TFLM spelling of the library target
        if self.config.is_host and self.config.toolchain.shared_library:
            extra = self.compile(self.env, runner_library_sources(self.root))
            shared = []
            if runtime_objs or extra:
                shared = self.env.SharedLibrary(str(libdir / "microforge"), runtime_objs + extra)
                self.output.artefacts.extend(shared)
                self.everything.extend(shared)
            self.alias("shared_lib", shared, "host only: libmicroforge.so (every kernel + "
                       "micro/runner/*.c but run_model.c) for the Python binding")

    def board(self) -> None:
        sources, include = board_sources(self.config)
        env = self.env.Clone()
        env.Prepend(CPPPATH=[str(p) for p in include])
        self.board_env = env
        self.board_objs = self.compile(env, sources)
        self.testing_objs = self.compile(self.env, testing_sources(self.root))

    # ---- programs ------------------------------------------------------------------------
    def program(self, env: Any, name: str, objs: list[Any], testing: bool,
                in_all: bool = True) -> Any:
        config = self.config
        sources = objs + self.board_objs + (self.testing_objs if testing else [])
        if self.lib is not None:
            sources.append(self.lib)
        prog = env.Program(str(self.gen / "bin" / name), sources)[0]
        script = config.board.linker_script
        if script and not config.is_host:
            env.Depends(prog, str(config.board.folder / script))
        memory = config.board.memory
        if memory and not config.is_host:
            env.AddPostAction(prog, Action(check_memory, strfunction=_quiet,
                                           varlist=["MF_MEMORY"]))
        self.output.artefacts.append(prog)
        if in_all:
            self.everything.append(prog)
        return prog

    def images(self, prog: Any, name: str) -> list[Any]:
        nodes = []
        kinds = {"bin": ("binary", "BIN"), "hex": ("ihex", "HEX")}
        for kind in self.config.board.images:
            fmt, label = kinds[kind]
            target = str(self.gen / "bin" / f"{name}.{kind}")
            nodes += self.env.Command(
                target, prog,
                Action(f"$OBJCOPY -O {fmt} $SOURCE $TARGET",
                       cmdstr=None if self.config.verbose else f"{label} $TARGET"))
        self.output.artefacts.extend(nodes)
        self.everything.extend(nodes)
        return nodes

    def model_source(self, env: Any, model: Path, symbol: str, out_dir: Path) -> Any:
        c_path = out_dir / f"{symbol}.c"
        h_path = out_dir / f"{symbol}.h"
        label = self.rel(model)
        nodes = env.Command([str(c_path), str(h_path)], str(model),
                            Action(generate_model, strfunction=_model_label,
                                   varlist=["MF_MODEL_SYMBOL", "MF_MODEL_LABEL"]),
                            MF_MODEL_SYMBOL=symbol, MF_MODEL_LABEL=label)
        return nodes[0]

    # ---- running ---------------------------------------------------------------------
    def runner_command(self, prog: Any) -> list[str]:
        board = self.config.board
        return runners.command_for(board.name, board.arch, board.emulator,
                                   Path(prog.get_abspath()))

    def timeout_for(self, default: int) -> int:
        if self.config.timeout:
            return self.config.timeout
        emulator_default = self.config.board.emulator.get("timeout", 0) if \
            self.config.board.emulator else 0
        return max(default, emulator_default) if emulator_default else default

    def run_alias(self, name: str, prog: Any, timeout: int, help_text: str = "") -> Any:
        def run() -> int:
            try:
                command = self.runner_command(prog)
            except runners.RunnerError as exc:
                self.output.message(f"error: {exc}")
                return 1
            log = self.gen / "run" / f"{prog.name}.log"
            result = runners.run(command, self.timeout_for(timeout), log=log, stream=True)
            if result.timed_out:
                self.output.message(f"error: {prog.name} timed out after {result.timeout} s")
                return 1
            if result.returncode != 0:
                self.output.message(f"error: {prog.name} exited with {result.returncode}")
                return 1
            return 0

        return self.alias(name, [prog], help_text, self.action(run, f"RUN {self.rel_node(prog)}"),
                          always=True)

    def rel_node(self, node: Any) -> str:
        return self.rel(Path(node.get_abspath()))

    def check_alias(self, program: str, prog: Any, timeout: int) -> Any:
        """Runs a test program and records its verdict (the aggregate alias fails)."""
        def run() -> int:
            log = self.gen / "test" / f"{program}.log"
            try:
                command = self.runner_command(prog)
            except runners.RunnerError as exc:
                self.output.tests.append(TestRecord(program, str(exc), self.rel(log), (0, 0)))
                self.output.message(f"FAIL {program}: {exc}")
                return 0
            result = runners.run(command, self.timeout_for(timeout), log=log)
            verdict = result.test_verdict()
            passed, failed = result.cases
            self.output.tests.append(TestRecord(program, verdict, self.rel(log), result.cases))
            if verdict:
                tail = "\n".join(result.output.splitlines()[-30:])
                self.output.message(f"{tail}\nFAIL {program}: {verdict} (log {self.rel(log)})")
            else:
                self.output.message(f"PASS {program} ({passed} cases)")
            return 0

        return self.alias(f"_check_{program}", [prog], job=self.action(run, f"TEST {program}"),
                          always=True)

    def verdict_alias(self, name: str, checks: list[Any], programs: list[str],
                      help_text: str) -> Any:
        def verdict() -> int:
            failed = [t for t in self.output.tests if t.name in programs and t.verdict]
            missing = [p for p in programs if p not in {t.name for t in self.output.tests}]
            if not programs:
                self.output.message(f"error: {name}: no tests for {self.config.board.name}")
                return 1
            if missing:
                self.output.message(f"error: {name}: not run: {', '.join(missing)}")
            return 1 if failed or missing else 0

        node = self.alias(name, checks, help_text, self.action(verdict, ""), always=True)
        return node

    def size_alias(self, name: str, prog: Any, label: str) -> Any:
        def report() -> int:
            data = size.report(Path(prog.get_abspath()), self.config.board.memory, label)
            size.write_report(data, self.gen / "size" / label)
            self.output.message(size.format_report(data))
            return 1 if any(r["overflow"] for r in data["regions"]) else 0

        return self.alias(name, [prog], f"footprint of {label}", self.action(report, ""),
                          always=True)

    # ---- examples ----------------------------------------------------------------------
    def example(self, example: Example) -> None:
        config = self.config
        env = self.env.Clone()
        env.Append(CPPDEFINES=example.data["defines"], CCFLAGS=example.data["cflags"],
                   LIBS=example.data["libs"])
        out_dir = self.gen / "obj" / "examples" / example.name
        env.Prepend(CPPPATH=[str(example.folder), str(out_dir)])
        model_objs: list[Any] = []
        model = config.model_override or example.model
        if model is not None:
            c_node = self.model_source(env, model, example.data["model_symbol"], out_dir)
            model_objs = self.compile(env, [Path(c_node.get_abspath())])
        app_objs = self.compile(env, example.sources) + model_objs
        prog = self.program(env, example.name, app_objs, testing=False)
        name = example.name
        self.alias(name, [prog], f"build {name}: {example.description}")
        images = self.images(prog, name)
        self.alias(f"{name}_bin", images or [prog], f"flashable image of {name}")
        self.run_alias(f"run_{name}", prog, example.data["timeout"], f"run {name} and stream "
                       "its output")
        self.size_alias(f"size_{name}", prog, name)
        self.export_aliases(example)

        checks, names = [], []
        for test in example.tests:
            test_prog = self.test_program(env, test, model_objs)
            checks.append(self.check_alias(test.name, test_prog, test.timeout))
            names.append(test.name)
            self.alias(f"test_{test.name}", [checks[-1]])   # TFLM spelling
        self.example_tests[name] = (checks, names)
        self.verdict_alias(f"test_{name}", checks, names, f"build and run the tests of {name}")
        for bench in example.benchmarks:
            bench_prog = self.test_program(env, bench, model_objs)
            self.benchmarks.append(self.run_alias(f"run_{bench.name}", bench_prog, bench.timeout))

    def export_aliases(self, example: Example) -> None:
        """generate_<ex>_<kind>_project for every project kind the board exports."""
        config = self.config
        for kind in config.board.exports:
            def export(kind: str = kind) -> int:
                from microforge.export import ExportError
                from microforge.export.api import export as export_project

                try:
                    result = export_project(config, example.name, kind, config.export_options)
                except (ExportError, ConfigError) as exc:
                    self.output.message(f"error: {exc}")
                    return 1
                self.output.message(result.summary())
                return 0

            self.alias(f"generate_{example.name}_{kind}_project", [],
                       f"{kind} project of {example.name} in gen/<config>/prj/",
                       self.action(export, f"EXPORT {example.name} {kind}"), always=True)

    def with_image_id(self, env: Any, program: str, main_source: Path) -> Any:
        """The env for a test program's main source: MF_IMAGE_ID names the image in its
        MF-SYNC line ("<program>@<config>"), unless that source is shared with another
        program."""
        if str(self.obj_path(main_source)) in self.objects_by_path:
            return env
        image_id = f"{program}@{self.config.name}"
        return env.Clone(CPPDEFINES=[*env["CPPDEFINES"], ("MF_IMAGE_ID", f'\\"{image_id}\\"')])

    def test_program(self, env: Any, program: Program, model_objs: list[Any]) -> Any:
        main, *others = program.sources
        objs = self.compile(self.with_image_id(env, program.name, main), [main])
        objs += self.compile(env, others) + model_objs
        prog = self.program(env, program.name, objs, testing=True)
        self.alias(program.name, [prog])
        return prog

    # ---- runtime tests (micro/tests/*.c) ---------------------------------------------------
    def runtime_tests(self) -> None:
        folder = self.root / RUNTIME_TESTS
        tests = sources_in(folder)
        data: dict[str, Any] = {}
        data_file = folder / RUNTIME_TESTS_DATA
        if data_file.is_file():
            try:
                data = tomllib.loads(data_file.read_text())
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{self.rel(data_file)}: not valid TOML: {exc}") from exc
        env = self.env.Clone()
        out_dir = self.gen / "obj" / RUNTIME_TESTS / "models"
        env.Prepend(CPPPATH=[str(folder), str(out_dir)])
        support = self.compile(env, sources_in(folder / "support"))
        model_objs = []
        models = data.get("models", {})
        if not isinstance(models, dict):
            raise ConfigError(f"{self.rel(data_file)}: field 'models': expected a table")
        for symbol, spec in models.items():
            if not isinstance(spec, str):
                raise ConfigError(f"{self.rel(data_file)}: field 'models.{symbol}': expected "
                                  "a path")
            if spec.startswith(SHARED_MODELS):
                path = self.root.parent / "shared" / "models" / "tflm" / spec[len(SHARED_MODELS):]
            else:
                path = folder / spec
            c_node = self.model_source(env, path, symbol, out_dir)
            model_objs += self.compile(env, [Path(c_node.get_abspath())])
        checks, names = [], []
        for source in tests:
            name = source.stem
            objs = self.compile(self.with_image_id(env, name, source), [source]) + support
            objs += model_objs
            prog = self.program(env, name, objs, testing=True)
            self.alias(name, [prog])
            checks.append(self.check_alias(name, prog, 120))
            names.append(name)
            self.run_alias(f"run_{name}", prog, 120)
        self.runtime_checks = (checks, names)
        self.verdict_alias("test_runtime", checks, names,
                           "build and run the runtime's C tests (micro/tests/*.c)")

    def runner_program(self) -> None:
        sources = runner_program_sources(self.root)
        if not (self.config.is_host and sources):
            return
        prog = self.program(self.env, "run_model", self.compile(self.env, sources),
                            testing=False)
        self.alias("runner", [prog], "host only: micro/runner/run_model (runs a .tflite file)")

    # ---- the runner firmware (boards) ------------------------------------------------
    def board_runner(self) -> None:
        """run_model: the model MODEL= on the inputs file INPUTS= (microforge run --board);
        bench_<model>: every shared model on zero inputs, run by benchmark_models (emulated
        boards). Neither is part of `all`."""
        sources = board_runner_sources(self.root)
        if self.config.is_host or not sources:
            return
        from microforge.bench import models as model_bench
        from microforge.bench import runfile

        env = self.env.Clone()
        env.Append(CPPDEFINES=model_bench.runner_defines(self.config.board.memory))
        main, *rest = sources
        objs = self.compile(self.with_image_id(env, "run_model", main), [main])
        objs += self.compile(env, rest)
        model = self.config.model_override
        help_text = ("boards: gen/<config>/bin/run_model.elf runs MODEL= on INPUTS= "
                     "(microforge run --board)")
        if model is None:
            def needs_model() -> int:
                self.output.message(f"error: runner for {self.config.board.name} needs "
                                    "MODEL=<file.tflite> (and INPUTS=, written by microforge "
                                    "run; without it one invoke on zero inputs)")
                return 1

            self.alias("runner", [], help_text, self.action(needs_model, ""), always=True)
        else:
            inputs = self.config.runner_inputs or runfile.zeros()
            prog = self.runner_firmware(env, "run_model", objs, model, inputs)
            self.alias("runner", [prog], help_text)
        if not self.config.board.emulator:
            return
        found = model_bench.shared_models(self.root)
        progs = [(path, self.runner_firmware(env, f"bench_{path.stem}", objs, path,
                                             runfile.zeros(repeats=model_bench.REPEATS)))
                 for path in found.models]

        def run() -> int:
            return model_bench.run_all(self.config, [(path, Path(prog.get_abspath()))
                                                     for path, prog in progs],
                                       found.error, self.gen / "benchmark",
                                       self.output.message)

        self.model_benchmarks.append(self.alias(
            "benchmark_models", [prog for _, prog in progs],
            "emulated boards: every model of ../shared/models/tflm on zero inputs: "
            "instructions per invoke, arena and flash bytes (table and JSON)",
            self.action(run, "BENCH models"), always=True))

    def runner_firmware(self, env: Any, name: str, objs: list[Any], model: Path,
                        inputs: Path | bytes) -> Any:
        """A runner firmware: the runner objects, the model and the inputs file as arrays."""
        out_dir = self.gen / "obj" / "runner" / name
        fw_env = env.Clone()
        fw_env.Prepend(CPPPATH=[str(out_dir)])
        model_c = self.model_source(fw_env, model, RUNNER_MODEL_SYMBOL, out_dir)
        c_path = out_dir / f"{RUNNER_INPUTS_SYMBOL}.c"
        h_path = out_dir / f"{RUNNER_INPUTS_SYMBOL}.h"
        source = str(inputs) if isinstance(inputs, Path) else fw_env.Value(inputs.hex())
        inputs_c = fw_env.Command([str(c_path), str(h_path)], source,
                                  Action(generate_blob, strfunction=_blob_label,
                                         varlist=["MF_BLOB_SYMBOL"]),
                                  MF_BLOB_SYMBOL=RUNNER_INPUTS_SYMBOL)[0]
        data = self.compile(fw_env, [Path(model_c.get_abspath()), Path(inputs_c.get_abspath())])
        return self.program(env, name, objs + data, testing=False, in_all=False)

    # ---- listings ----------------------------------------------------------------------
    def listings(self, listing: Callable[[], str], kernels: Callable[[], str]) -> None:
        def show(text: Callable[[], str]) -> Callable[[], int]:
            def run() -> int:
                self.output.message(text())
                return 0
            return run

        self.alias("list", [], "list targets, tags and examples, one line each",
                   self.action(show(listing), ""), always=True)
        self.alias("list_kernels", [], "which kernel variant supplied each kernel",
                   self.action(show(kernels), ""), always=True)

    # ---- everything ----------------------------------------------------------------------
    def define(self) -> None:
        self.example_tests: dict[str, tuple[list[Any], list[str]]] = {}
        self.benchmarks: list[Any] = []
        self.model_benchmarks: list[Any] = []
        supported = [e for e in self.examples.values()
                     if e.supports(self.config.board.name, self.config.board.arch)]
        if self.config.tool_error:
            # Export-only board without its compiler: projects only.
            for example in supported:
                self.export_aliases(example)
            return
        self.runtime()
        if self.config.library_only:
            for example in supported:
                self.export_aliases(example)
            self.alias("all", self.everything, "build the runtime library (the default)")
            self.env.Default("all")
            return
        self.board()
        for example in supported:
            self.example(example)
        self.runtime_tests()
        self.runner_program()
        self.board_runner()
        all_checks, all_names = list(self.runtime_checks[0]), list(self.runtime_checks[1])
        for checks, names in self.example_tests.values():
            all_checks += checks
            all_names += names
        self.verdict_alias("test", all_checks, all_names,
                           "build and run every test for the target (runtime + examples)")
        self.alias("benchmark", self.benchmarks + self.model_benchmarks,
                   "build and run every benchmark program (prints MF-BENCH lines); emulated "
                   "boards also run benchmark_models")
        self.alias("all", self.everything, "build everything for the target (the default)")
        self.env.Default("all")

    def steps_root(self, names: list[str]) -> list[Any]:
        return [self.env.Alias(n)[0] if n in self.alias_names else self.env.Entry(n)
                for n in names]


# Actions with a stable signature: module-level functions whose inputs come from
# construction variables named in their varlist, or from JOBS for aliases. (SCons hashes a
# function action's closure when the action is made: a closure over the tree would be slow
# and would rebuild every time.)
JOBS: dict[str, tuple[Callable[[], int], str]] = {}


def _run_job(target: Any, source: Any, env: Any) -> int:
    return JOBS[str(target[0])][0]()


def _job_label(target: Any, source: Any, env: Any) -> str:
    return JOBS[str(target[0])][1]


JOB_ACTION = Action(_run_job, strfunction=_job_label)

def _quiet(target: Any, source: Any, env: Any) -> str:
    return ""


def _model_label(target: Any, source: Any, env: Any) -> str:
    return f"MODEL {env['MF_MODEL_LABEL']}"


def check_memory(target: Any, source: Any, env: Any) -> int:
    errors = size.overflow_errors(Path(target[0].get_abspath()), env["MF_MEMORY"])
    for error in errors:
        print(f"error: {error}")
    return 1 if errors else 0


def _blob_label(target: Any, source: Any, env: Any) -> str:
    return f"DATA {Path(str(target[0])).name}"


def generate_blob(target: Any, source: Any, env: Any) -> int:
    """A data file (or a Value holding hex) as a 16-byte aligned C array."""
    node = source[0]
    if isinstance(node, File):
        data = Path(node.get_abspath()).read_bytes()
        label = node.get_path()
    else:
        data = bytes.fromhex(node.read())
        label = "build data"
    c_text, h_text = c_array(data, env["MF_BLOB_SYMBOL"], label)
    Path(target[0].get_abspath()).write_text(c_text)
    Path(target[1].get_abspath()).write_text(h_text)
    return 0


def generate_model(target: Any, source: Any, env: Any) -> int:
    label = env["MF_MODEL_LABEL"]
    try:
        build_model_source(Path(source[0].get_abspath()), Path(target[0].get_abspath()),
                           Path(target[1].get_abspath()), env["MF_MODEL_SYMBOL"], label)
    except ModelBuildError as exc:
        print(f"error: model {label}: {exc}")
        return 1
    return 0
