"""Builds the host shared library of the runtime for the Python binding.

``build_host_library()`` compiles ``micro/core/*.c``, ``micro/kernels/*.c`` and
the runner's host API (``micro/runner/{mf_runner,host_api,host_platform}.c``)
with the host C compiler into a cache directory ($MICROFORGE_CACHE, else
~/.cache/microforge). Objects are cached by a hash of their source, every
header and the flags, so only changed files rebuild; concurrent test processes
share the cache safely. ``build_run_model()`` links the ``run_model`` program
from the same objects.

``host_library()`` is what the binding and the tests load: the path in
$MICROFORGE_HOST_LIB, or with ``MICROFORGE_HOST_LIB=scons`` the SCons
``shared_lib`` alias (gen/host_default/lib/libmicroforge.so), else
``build_host_library()``.

Op kernels that do not exist yet (no ``mf_op_<name>`` definition in
``micro/kernels/*.c``) get a generated registration whose prepare fails with
"no kernel for this op in this build", so the library loads and every other op
can be tested; ``missing_ops()`` lists them.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from microforge import ROOT

# No -Werror: the runtime's own tests enforce clean builds; here a warning in a
# file under work must not stop every conformance test.
CFLAGS = ("-std=c11", "-O2", "-Wall", "-Wextra", "-DMF_OP_NAMES")
LIBRARY_RUNNER_SOURCES = ("mf_runner.c", "host_api.c", "host_platform.c")
RUN_MODEL_RUNNER_SOURCES = ("mf_runner.c", "run_model.c", "host_platform.c")
COMPILE_TIMEOUT_S = 300
JOBS = 2
MAX_ERROR_LINES = 40


class BuildError(RuntimeError):
    """The host library could not be compiled or linked."""


def cache_dir() -> Path:
    base = os.environ.get("MICROFORGE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "microforge")
    return Path(base) / "hostlib"


def _compiler() -> str:
    cc = os.environ.get("CC", "gcc")
    if shutil.which(cc) is None:
        raise BuildError(f"C compiler {cc!r} not found (set CC)")
    return cc


def runtime_ops(root: Path = ROOT) -> list[tuple[str, int, str]]:
    """(symbol suffix, builtin code, name) of every op in micro/include/mf_ops.h."""
    text = (root / "micro/include/mf_ops.h").read_text()
    return [(m[1], int(m[2]), m[3])
            for m in re.finditer(r'X\((\w+),\s*(\d+),\s*"(\w+)"\)', text)]


def missing_ops(root: Path = ROOT) -> list[str]:
    """Names of the ops that have no kernel file defining their registration yet."""
    defined = set()
    for path in sorted((root / "micro/kernels").glob("*.c")):
        defined.update(re.findall(r"mf_op_registration\s+mf_op_(\w+)\s*=", path.read_text()))
    return [name for sym, _, name in runtime_ops(root) if sym not in defined]


def _missing_ops_source(root: Path) -> str | None:
    missing = set(missing_ops(root))
    if not missing:
        return None
    lines = ["#include <stddef.h>", "", '#include "mf_kernel.h"', "",
             "static mf_status no_kernel(mf_kernel_ctx *ctx) {",
             '  return mf_kernel_error(ctx, "no kernel for this op in this build");', "}", ""]
    for sym, code, name in runtime_ops(root):
        if name in missing:
            lines.append(f"const mf_op_registration mf_op_{sym} = "
                         f'{{{code}, 255, "{name}", NULL, no_kernel, no_kernel, NULL}};')
    return "\n".join(lines) + "\n"


def _sources(root: Path, runner: tuple[str, ...]) -> list[Path]:
    core = sorted((root / "micro/core").glob("*.c"))
    kernels = sorted((root / "micro/kernels").glob("*.c"))
    return [*core, *kernels, *(root / "micro/runner" / name for name in runner)]


def _headers_digest(root: Path) -> str:
    h = hashlib.sha256()
    for folder in ("micro/include", "micro/core", "micro/kernels", "micro/runner"):
        for path in sorted((root / folder).glob("*.h")):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _run(cmd: list[str]) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"timed out after {COMPILE_TIMEOUT_S} s: {' '.join(cmd)}") from exc
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        shown = "\n".join(lines[:MAX_ERROR_LINES])
        if len(lines) > MAX_ERROR_LINES:
            shown += f"\n... ({len(lines) - MAX_ERROR_LINES} more lines)"
        objects = [a for a in cmd if a.endswith(".o") and not a.startswith("-")]
        short = [a for a in cmd if a not in objects] if len(objects) > 1 else cmd
        what = " ".join(short) + (f" <{len(objects)} objects>" if len(objects) > 1 else "")
        raise BuildError(f"{what}\n{shown}")


def _build(root: Path, runner_sources: tuple[str, ...], cflags: tuple[str, ...],
           link_flags: tuple[str, ...], stem: str, suffix: str) -> Path:
    cc = _compiler()
    flags = (*cflags, f"-I{root / 'micro/include'}", f"-I{root / 'micro/core'}",
             f"-I{root / 'micro/kernels'}", f"-I{root / 'micro/runner'}")
    base = cache_dir()
    objdir = base / "obj"
    objdir.mkdir(parents=True, exist_ok=True)
    common = hashlib.sha256("\0".join((cc, *flags, _headers_digest(root))).encode()).hexdigest()

    units: list[tuple[str, bytes]] = [(str(p), p.read_bytes())
                                      for p in _sources(root, runner_sources)]
    generated = _missing_ops_source(root)
    if generated is not None:
        units.append(("missing_ops.c", generated.encode()))

    def obj_for(name: str, data: bytes) -> Path:
        key = hashlib.sha256(common.encode() + b"\0" + data).hexdigest()[:24]
        return objdir / f"{Path(name).stem}-{key}.o"

    objects = [obj_for(name, data) for name, data in units]
    out = base / (f"{stem}-" + hashlib.sha256("\0".join(
        (*link_flags, *(o.name for o in objects))).encode()).hexdigest()[:16] + suffix)
    if out.exists():
        return out
    with open(base / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if out.exists():
            return out
        with tempfile.TemporaryDirectory(dir=base) as tmp:

            def compile_one(unit: tuple[str, bytes], obj: Path) -> None:
                if obj.exists():
                    return
                name, data = unit
                src = Path(name)
                if not src.is_absolute():
                    src = Path(tmp) / name
                    src.write_bytes(data)
                part = Path(tmp) / obj.name
                _run([cc, *flags, "-c", str(src), "-o", str(part)])
                os.replace(part, obj)

            with ThreadPoolExecutor(JOBS) as pool:
                for f in [pool.submit(compile_one, u, o) for u, o in zip(units, objects,
                                                                         strict=True)]:
                    f.result()
            part = Path(tmp) / out.name
            _run([cc, *link_flags, "-o", str(part), *map(str, objects), "-lm"])
            os.replace(part, out)
    return out


def build_host_library(root: Path = ROOT, extra_cflags: tuple[str, ...] = ()) -> Path:
    """Returns the path of an up-to-date host libmicroforge.so, compiling what changed."""
    return _build(root, LIBRARY_RUNNER_SOURCES, (*CFLAGS, "-fPIC", "-DMF_PROFILE", *extra_cflags),
                  ("-shared", "-Wl,--no-undefined"), "libmicroforge", ".so")


SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g")


def build_run_model(root: Path = ROOT, profile: bool = False, sanitize: bool = False) -> Path:
    """The host run_model program (without MF_PROFILE by default, for clean instruction
    counts under callgrind; with `sanitize`, under ASan and UBSan)."""
    cflags = (*CFLAGS, *(("-DMF_PROFILE",) if profile else ()), *(SANITIZE if sanitize else ()))
    return _build(root, RUN_MODEL_RUNNER_SOURCES, cflags, SANITIZE if sanitize else (),
                  "run_model_asan" if sanitize else "run_model", "")


SCONS_TIMEOUT_S = 600


def scons_host_library(root: Path = ROOT) -> Path:
    """Builds the SCons `shared_lib` alias (default host configuration) and returns
    gen/host_default/lib/libmicroforge.so."""
    scons = shutil.which("scons")
    if scons is None:
        raise BuildError("scons not found (pip install scons)")
    lock_dir = cache_dir()
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / ".scons.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one SCons run at a time in this tree
        cmd = [scons, "-Q", "-j2", "shared_lib"]
        try:
            proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                                  timeout=SCONS_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise BuildError(f"scons shared_lib timed out after {SCONS_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-MAX_ERROR_LINES:])
        raise BuildError(f"scons shared_lib failed:\n{tail}")
    lib = root / "gen" / "host_default" / "lib" / "libmicroforge.so"
    if not lib.is_file():
        raise BuildError(f"scons shared_lib did not produce {lib}")
    return lib


def host_library() -> Path:
    """The library to load. $MICROFORGE_HOST_LIB picks it: a path to a built library,
    "scons" for the SCons `shared_lib` alias; unset, build_host_library()."""
    given = os.environ.get("MICROFORGE_HOST_LIB")
    if given == "scons":
        return scons_host_library()
    if given:
        path = Path(given)
        if not path.is_file():
            raise BuildError(f"MICROFORGE_HOST_LIB={given} does not exist")
        return path
    return build_host_library()
