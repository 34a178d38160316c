"""Hostile models fed to the runtime built with ASan + UBSan: every one ends in a clean,
readable error (or runs), never a sanitizer report, a crash or a hang."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from .cbuild import CBuild
from .hostile import (
    Outcome,
    field_pos,
    flips,
    op_code,
    parse_runner,
    put_i32,
    put_u32,
    root,
    truncations,
    vector_pos,
    write_all,
)
from .protocol import run_program

MODELS = ["hello_world_int8", "hello_world_float", "micro_speech_quantized", "magic_wand",
          "person_detect"]
STATUSES = {"MF_OK", "MF_ERR_INVALID_ARG", "MF_ERR_MODEL_INVALID", "MF_ERR_OP_UNSUPPORTED",
            "MF_ERR_ARENA_TOO_SMALL", "MF_ERR_KERNEL"}


@pytest.fixture(scope="module")
def runner(cbuild: CBuild) -> Path:
    return cbuild.fuzzer("gcc-san")


def run_files(runner: Path, paths: list[Path], timeout: float = 400) -> list[Outcome]:
    run = run_program(runner, [str(p) for p in paths], timeout=timeout)
    outcomes, done = parse_runner(run.stdout)
    last = outcomes[-1].path if outcomes else "(none)"
    assert not run.sanitizer_report, f"sanitizer report while running {last}:\n" \
                                     f"{run.sanitizer_report}\n{run.stderr[-4000:]}"
    assert run.returncode == 0 and done == len(paths), \
        f"runner stopped at {last} (exit {run.returncode}):\n{run.stderr[-4000:]}"
    for o in outcomes:
        assert o.map_status in STATUSES and (o.map_status == "MF_OK" or o.map_reason), o
        for size, status, used, needed, reason in o.allocs:
            assert status in STATUSES, o
            if status == "MF_OK":
                assert used <= size, o
            else:
                assert reason, o
            if status == "MF_ERR_ARENA_TOO_SMALL":
                assert needed > size and f"bytes needed, {size} given" in reason, o
        for status, reason in o.invokes:
            assert status in STATUSES and (status == "MF_OK" or reason), o
    return outcomes


def load(shared_models: Path, name: str) -> bytes:
    return (shared_models / f"{name}.tflite").read_bytes()


@pytest.mark.parametrize("name", MODELS)
def test_truncations(runner: Path, shared_models: Path, tmp_path: Path, name: str) -> None:
    data = load(shared_models, name)
    variants = truncations(data, 60 if name == "person_detect" else 150, seed=len(data))
    outcomes = run_files(runner, write_all(tmp_path, name, variants))
    rejected = [o for o in outcomes if o.map_status != "MF_OK"]
    # A prefix that lost any referenced byte cannot map; only the last bytes may be padding.
    assert all(o.map_status == "MF_ERR_MODEL_INVALID" or len(v) < 16 or len(v) >= len(data) - 16
               for o, v in zip(rejected, variants, strict=False))
    assert len(rejected) >= len(variants) - 2


@pytest.mark.parametrize("name", MODELS)
def test_byte_flips(runner: Path, shared_models: Path, tmp_path: Path, name: str) -> None:
    data = load(shared_models, name)
    variants = flips(data, 40 if name == "person_detect" else 250, seed=len(data) + 1)
    outcomes = run_files(runner, write_all(tmp_path, name, variants))
    assert len(outcomes) == len(variants)


def test_every_model_reports_arena_needs(runner: Path, shared_models: Path) -> None:
    """An empty arena is a clean error naming a lower bound; the exact need then works."""
    outcomes = run_files(runner, [shared_models / f"{n}.tflite" for n in MODELS])
    for o in outcomes:
        assert o.map_status == "MF_OK", o
        size, status, _, needed, reason = o.allocs[0]
        assert (size, status) == (0, "MF_ERR_ARENA_TOO_SMALL"), o
        assert reason == f"arena too small: at least {needed} bytes needed, 0 given", o
        ok = [a for a in o.allocs if a[1] == "MF_OK"]
        assert ok, o
        exact = [a for a in o.allocs if a[1] == "MF_ERR_ARENA_TOO_SMALL" and
                 "at least" not in a[4]]
        for _, _, _, need, _ in exact:
            assert need == ok[0][2], o  # the exact need is the arena used
        assert o.invokes and all(s == "MF_OK" for s, _ in o.invokes), o


def patched_models(shared_models: Path) -> dict[str, tuple[bytes, str, str]]:
    """name -> (model bytes, expected status, expected reason)."""
    hello = load(shared_models, "hello_world_int8")
    person = load(shared_models, "person_detect")
    cases: dict[str, tuple[bytes, str, str]] = {}
    invalid = "MF_ERR_MODEL_INVALID"

    buf = bytearray(hello)
    buf[4:8] = b"TFL2"
    cases["identifier"] = (bytes(buf), invalid, "file identifier is not TFL3")

    buf = bytearray(hello)
    put_u32(buf, field_pos(root(hello), 0), 4)
    cases["schema_version"] = (bytes(buf), invalid, "schema version 4, expected 3")

    m = root(hello)
    sg = m.Subgraphs(0)
    buf = bytearray(hello)
    put_i32(buf, vector_pos(sg.Operators(1), 1), 1000)
    cases["op_input_index"] = (bytes(buf), invalid, "node 1: input 0 is tensor 1000, out of range")

    buf = bytearray(hello)
    put_i32(buf, vector_pos(sg.Operators(2), 2), -5)
    cases["op_output_index"] = (bytes(buf), invalid, "node 2: output 0 is tensor -5, out of range")

    buf = bytearray(hello)
    put_i32(buf, vector_pos(sg, 1), 77)
    cases["graph_input_index"] = (bytes(buf), invalid,
                                  "subgraph 0: input 0 is tensor 77, out of range")

    t = next(i for i in range(sg.TensorsLength()) if sg.Tensors(i).Buffer() > 0)
    buf = bytearray(hello)
    put_u32(buf, field_pos(sg.Tensors(t), 2), 999)
    cases["buffer_index"] = (bytes(buf), invalid, f"tensor {t}: buffer 999 out of range")
    assert m.BuffersLength() < 999

    pm = root(person)
    psg = pm.Subgraphs(0)
    node = next(i for i in range(psg.OperatorsLength()) if psg.Operators(i).OpcodeIndex() > 0)
    buf = bytearray(person)
    put_u32(buf, field_pos(psg.Operators(node), 0), 50)
    cases["opcode_index"] = (bytes(buf), invalid, f"node {node}: opcode 50 out of range")
    assert pm.OperatorCodesLength() < 50

    # node 0 reads node 1's output, node 1 reads node 0's: a cycle
    buf = bytearray(hello)
    put_i32(buf, vector_pos(sg.Operators(0), 1), sg.Operators(1).Outputs(0))
    cases["cycle"] = (bytes(buf), invalid,
                      f"node 0: input 0 (tensor {sg.Operators(1).Outputs(0)}) is read before "
                      "it is written")

    x = sg.Inputs(0)
    buf = bytearray(hello)
    dims = vector_pos(sg.Tensors(x), 0)
    put_i32(buf, dims, 0x7FFFFFFF)
    put_i32(buf, dims + 4, 0x7FFFFFFF)
    bad_shape = f"tensor {x}: shape has a negative dim, rank > 8 or over 1 GiB"
    cases["huge_shape"] = (bytes(buf), invalid, bad_shape)

    buf = bytearray(hello)
    put_i32(buf, dims + 4, -3)
    cases["negative_dim"] = (bytes(buf), invalid, bad_shape)

    buf = bytearray(hello)
    put_u32(buf, vector_pos(sg, 0) - 4, 0xFFFFFFF0)
    cases["tensor_vector_length"] = (bytes(buf), invalid, "subgraph 0: field 0 out of bounds")

    buf = bytearray(hello)
    put_i32(buf, struct_root(hello), 0x7FFFFFF0)
    cases["root_vtable"] = (bytes(buf), invalid, "model 0: table out of bounds")

    q = sg.Tensors(x).Quantization()
    buf = bytearray(hello)
    put_u32(buf, vector_pos(q, 3) - 4, 0)
    cases["zero_point_count"] = (bytes(buf), invalid,
                                 f"tensor {x}: scale and zero point counts differ")

    buf = bytearray(hello)
    oc = m.OperatorCodes(0)
    put_i32(buf, field_pos(oc, 2), 99)
    cases["op_version"] = (bytes(buf), "MF_ERR_OP_UNSUPPORTED",
                           "node 0: op FULLY_CONNECTED version 99 is not supported (max ")

    buf = bytearray(hello)
    put_i32(buf, field_pos(oc, 3), 150)
    cases["unknown_op"] = (bytes(buf), "MF_ERR_OP_UNSUPPORTED", "node 0: op #150 is not registered")

    cases["empty_file"] = (b"", invalid, "model size 0 is out of range")
    cases["header_only"] = (hello[:8], invalid, "model size 8 is out of range")
    rng = random.Random(5)
    noise = bytearray(rng.randrange(256) for _ in range(4096))
    noise[4:8] = b"TFL3"
    cases["noise_with_identifier"] = (bytes(noise), invalid, "")
    return cases


def struct_root(data: bytes) -> int:
    """Position of the root table (its soffset)."""
    return int.from_bytes(data[0:4], "little")


def test_patched_models(runner: Path, shared_models: Path, tmp_path: Path) -> None:
    cases = patched_models(shared_models)
    paths = []
    for name, (data, _, _) in cases.items():
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(data)
        paths.append(path)
    outcomes = run_files(runner, paths)
    for (name, (_, status, reason)), outcome in zip(cases.items(), outcomes, strict=True):
        got_status, got_reason = outcome.first_failure
        assert got_status == status, f"{name}: {outcome}"
        assert got_reason.startswith(reason), f"{name}: {got_reason!r}, expected {reason!r}"


def test_patches_hit_the_fields(shared_models: Path) -> None:
    """The op codes used above are what the patch assumes (guards the test itself)."""
    hello = root(load(shared_models, "hello_world_int8"))
    sg = hello.Subgraphs(0)
    assert sg.OperatorsLength() == 3
    assert all(op_code(hello, sg.Operators(i)) == 9 for i in range(3))
