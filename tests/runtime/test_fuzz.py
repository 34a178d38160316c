"""libFuzzer on the runtime (map, allocate at several arena sizes, invoke) for a bounded
time, seeded from the shared models and mutations of them. Any crash, sanitizer report,
broken invariant (see micro/fuzz/fuzz_model.c), timeout or out-of-memory fails the test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .cbuild import CBuild
from .hostile import flips, truncations

FUZZ_SECONDS = 60


@pytest.mark.slow
def test_libfuzzer(cbuild: CBuild, shared_models: Path, tmp_path: Path) -> None:
    if shutil.which("clang") is None:
        pytest.fail("clang (with libFuzzer) is not installed: apt-get install clang")
    fuzzer = cbuild.fuzzer("clang-fuzz")
    corpus = tmp_path / "corpus"
    artifacts = tmp_path / "artifacts"
    corpus.mkdir()
    artifacts.mkdir()
    for model in sorted(shared_models.glob("*.tflite")):
        data = model.read_bytes()
        (corpus / model.name).write_bytes(data)
        if len(data) > 32768:
            continue
        for i, variant in enumerate(truncations(data, 8, seed=1)[-8:] + flips(data, 8, seed=2)):
            (corpus / f"{model.stem}-{i}").write_bytes(variant)
    cmd = [str(fuzzer), f"-max_total_time={FUZZ_SECONDS}", "-timeout=25", "-rss_limit_mb=2048",
           "-max_len=32768", f"-artifact_prefix={artifacts}/", "-print_final_stats=1",
           str(corpus)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                              timeout=FUZZ_SECONDS + 120)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"libFuzzer did not stop after {FUZZ_SECONDS} s") from exc
    found = sorted(p.name for p in artifacts.iterdir())
    assert proc.returncode == 0 and not found, \
        f"libFuzzer exit {proc.returncode}, artifacts {found}:\n{proc.stderr[-6000:]}"
    runs = [line for line in proc.stderr.splitlines()
            if line.startswith("stat::number_of_executed_units")]
    assert runs and int(runs[0].split(":")[-1]) > 100, proc.stderr[-2000:]
