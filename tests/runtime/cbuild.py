"""Direct compiles of the runtime for its own tests (host gcc/clang, sanitizers, libFuzzer).

The SCons build compiles the same files for boards; these tests need flavours the build does
not offer (sanitizers, libFuzzer), so they compile with plain compiler commands into a
per-session folder. Objects are shared between the programs of one flavour.
"""

from __future__ import annotations

import hashlib
import subprocess
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from microforge.build.model_c import c_array

REPO = Path(__file__).resolve().parents[2]
MICRO = REPO / "micro"
COMPILE_TIMEOUT = 300
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
WARN = ["-Wall", "-Wextra"]
# Paths whose C code must build warning-free here (this room's files).
STRICT = (MICRO / "core", MICRO / "testing", MICRO / "tests", MICRO / "fuzz")


@dataclass(frozen=True)
class Flavor:
    name: str
    cc: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...] = ()


FLAVORS = {
    # plain optimised build, no op names, no profiler
    "gcc": Flavor("gcc", "gcc", ("-O2", "-g")),
    # the release build type: error texts stripped at compile time
    "gcc-release": Flavor("gcc-release", "gcc", ("-O2", "-DNDEBUG", "-DMF_STRIP_LOGS")),
    # what the host board uses, under ASan + UBSan
    "gcc-san": Flavor("gcc-san", "gcc", ("-O1", "-g", "-DMF_OP_NAMES", "-DMF_PROFILE", *SANITIZE),
                      tuple(SANITIZE)),
    "clang-san": Flavor("clang-san", "clang", ("-O1", "-g", "-DMF_OP_NAMES", *SANITIZE),
                        tuple(SANITIZE)),
    # libFuzzer: the runtime is instrumented, the harness links the fuzzer's main
    "clang-fuzz": Flavor("clang-fuzz", "clang",
                         ("-O1", "-g", "-DMF_OP_NAMES",
                          "-fsanitize=fuzzer-no-link,address,undefined",
                          "-fno-sanitize-recover=all"),
                         ("-fsanitize=fuzzer,address,undefined",)),
}

INCLUDES = [MICRO / "include", MICRO / "kernels", MICRO / "testing",
            REPO / "targets" / "common" / "include"]


class BuildError(Exception):
    pass


def _run(cmd: list[str], what: str) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"{what}: timed out after {COMPILE_TIMEOUT} s") from exc
    if proc.returncode != 0:
        raise BuildError(f"{what} failed:\n{' '.join(cmd)}\n{proc.stdout}{proc.stderr}")


def runtime_sources() -> list[Path]:
    """micro/core and every kernel (micro/kernels/*.c, whatever exists)."""
    return sorted((MICRO / "core").glob("*.c")) + sorted((MICRO / "kernels").glob("*.c"))


@dataclass
class CBuild:
    """Compiles into `root`, one folder per flavour; objects are reused within the session."""

    root: Path
    _objects: dict[tuple[str, Path, tuple[str, ...]], Path] = field(default_factory=dict)

    def _object(self, flavor: Flavor, source: Path, extra: tuple[str, ...]) -> Path:
        key = (flavor.name, source, extra)
        if key in self._objects:
            return self._objects[key]
        digest = hashlib.sha256(f"{source}{extra}".encode()).hexdigest()[:10]
        out = self.root / flavor.name / f"{source.stem}-{digest}.o"
        out.parent.mkdir(parents=True, exist_ok=True)
        strict = ["-Werror"] if any(source.is_relative_to(p) for p in STRICT) else []
        includes = [f"-I{p}" for p in INCLUDES + [source.parent]]
        _run([flavor.cc, "-std=c11", *WARN, *strict, *flavor.cflags, *extra, *includes, "-c",
              str(source), "-o", str(out)], f"compile {source.name}")
        self._objects[key] = out
        return out

    def objects(self, flavor: Flavor, sources: list[Path],
                extra: tuple[str, ...] = ()) -> list[Path]:
        missing = [s for s in sources if (flavor.name, s, extra) not in self._objects]
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda s: self._object(flavor, s, extra), missing))
        return [self._object(flavor, s, extra) for s in sources]

    def link(self, flavor: Flavor, name: str, objects: list[Path]) -> Path:
        out = self.root / flavor.name / name
        _run([flavor.cc, *flavor.ldflags, *map(str, objects), "-lm", "-o", str(out)],
             f"link {name}")
        return out

    def model_arrays(self) -> tuple[Path, list[Path]]:
        """The C arrays of micro/tests/tests.toml; returns their folder and sources."""
        folder = self.root / "models"
        spec = tomllib.loads((MICRO / "tests" / "tests.toml").read_text())
        sources = []
        for symbol, path in spec.get("models", {}).items():
            if path.startswith("@shared/"):
                model = REPO.parent / "shared" / "models" / "tflm" / path[len("@shared/"):]
            else:
                model = MICRO / "tests" / path
            c_text, h_text = c_array(model.read_bytes(), symbol, model.name)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{symbol}.h").write_text(h_text)
            (folder / f"{symbol}.c").write_text(c_text)
            sources.append(folder / f"{symbol}.c")
        return folder, sources

    def unit_test(self, flavor_name: str, test: str) -> Path:
        """micro/tests/<test>.c linked with the runtime, micro/testing, the test support code
        and the host board."""
        flavor = FLAVORS[flavor_name]
        models_dir, model_sources = self.model_arrays()
        tests = MICRO / "tests"
        extra = (f"-I{models_dir}", f"-I{tests}")
        objs = self.objects(flavor, runtime_sources())
        objs += self.objects(flavor, sorted((MICRO / "testing").glob("*.c")))
        objs += self.objects(flavor, sorted((tests / "support").glob("*.c")), extra)
        objs += self.objects(flavor, [tests / f"{test}.c", *model_sources], extra)
        objs += self.objects(flavor, [REPO / "targets" / "host" / "board.c",
                                      REPO / "targets" / "common" / "platform.c"])
        return self.link(flavor, test, objs)

    def fuzzer(self, flavor_name: str) -> Path:
        """micro/fuzz/fuzz_model.c: libFuzzer (clang-fuzz) or the file runner (others)."""
        flavor = FLAVORS[flavor_name]
        extra = () if flavor_name == "clang-fuzz" else ("-DMF_FUZZ_MAIN",)
        objs = self.objects(flavor, runtime_sources())
        objs += self.objects(flavor, [MICRO / "fuzz" / "fuzz_model.c"], extra)
        return self.link(flavor, "fuzz_model", objs)
