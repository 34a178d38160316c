"""The runner firmware's inputs file and the parser of its console output (no board needed)."""

from __future__ import annotations

import struct

import pytest
from microforge.bench import firmware, runfile


def test_pack_unpack_round_trip_pads_every_record():
    sets = [[b"\x01\x02\x03", b""], [b"abcd", b"\xff" * 5]]
    data = runfile.pack(sets, repeats=7)
    assert len(data) % 4 == 0
    assert data[:4] == b"MFRI"
    assert struct.unpack_from("<5I", data, 4) == (1, 2, 2, 7, 0)
    assert runfile.unpack(data) == (sets, 7)


def test_zeros_file_has_sets_without_inputs():
    data = runfile.zeros(sets=3, repeats=10)
    assert runfile.unpack(data) == ([[], [], []], 10)


@pytest.mark.parametrize("sets, repeats, message", [
    ([], 1, "no input sets"),
    ([[b"a"]], 0, "repeats must be"),
    ([[b"a"], [b"a", b"b"]], 1, "set 1 has 2 inputs"),
    ([[b""] * 17], 1, "at most 16"),
])
def test_pack_refuses_what_the_firmware_cannot_take(sets, repeats, message):
    with pytest.raises(runfile.RunFileError, match=message):
        runfile.pack(sets, repeats)


@pytest.mark.parametrize("cut, message", [(10, "shorter than the header"),
                                          (30, "ends inside the record|run past the end")])
def test_unpack_refuses_truncated_files(cut, message):
    data = runfile.pack([[b"12345678"]])
    with pytest.raises(runfile.RunFileError, match=message):
        runfile.unpack(data[:cut])
    with pytest.raises(runfile.RunFileError, match="after the last record"):
        runfile.unpack(data + b"\0\0\0\0")
    with pytest.raises(runfile.RunFileError, match="not an inputs file"):
        runfile.unpack(b"XXXX" + data[4:])


CONSOLE = """\
MF-SYNC run_model@qemu_cortex_m4_default
MF-RUN sets=2 inputs=1 outputs=2 repeats=3 arena_used=328 arena_size=1048576
MF-TENSOR output 0 dtype=9 bytes=3 dims=1,3
MF-TENSOR output 1 dtype=0 bytes=4 dims=1
MF-BENCH set0 invokes=3 ticks=300 ticks_per_invoke=100 ticks_min=99 ticks_max=101 arena_used=328
MF-BENCH set0.op0 op=FULLY_CONNECTED ticks=60
MF-BENCH set0.op1 op=SOFTMAX ticks=30
MF-OUT 0 0 0 0102
MF-OUT 0 0 2 ff
MF-OUT 0 1 0 0000803f
MF-BENCH set1 invokes=3 ticks=303 ticks_per_invoke=101 ticks_min=101 ticks_max=101 arena_used=328
MF-OUT 1 0 0 030405
MF-OUT 1 1 0 00000000
"""


def test_parse_reads_sets_outputs_and_profile():
    run, tensors, sets = firmware.parse(CONSOLE)
    assert run["arena_used"] == 328 and run["repeats"] == 3
    assert tensors == [firmware.OutputTensor(9, 3, (1, 3)), firmware.OutputTensor(0, 4, (1,))]
    assert [s.outputs for s in sets] == [[b"\x01\x02\xff", b"\x00\x00\x80\x3f"],
                                         [b"\x03\x04\x05", b"\0\0\0\0"]]
    assert sets[0].profile == [("FULLY_CONNECTED", 60), ("SOFTMAX", 30)]
    assert (sets[0].ticks_per_invoke, sets[0].ticks_min, sets[0].ticks_max) == (100, 99, 101)
    assert sets[1].profile == []


@pytest.mark.parametrize("edit, error", [
    (lambda t: t.replace("MF-OUT 0 0 2 ff\n", ""), "set 0 output 0: 2 of 3 bytes"),
    (lambda t: t.split("MF-BENCH set1")[0], "set 1 of 2 did not finish"),
    (lambda t: t.replace("MF-TENSOR output 1 dtype=0 bytes=4 dims=1\n", ""),
     "1 MF-TENSOR lines for 2 outputs"),
    (lambda t: t.replace("MF-RUN", "MF-NOPE"), "no MF-RUN line"),
    (lambda t: t + "MF-FAULT pc=0x1 lr=0x2\n", "faulted: pc=0x1"),
])
def test_parse_refuses_incomplete_output(edit, error):
    with pytest.raises(firmware.FirmwareError, match=error):
        firmware.parse(edit(CONSOLE))


def test_parse_reports_the_runtime_error_line():
    text = CONSOLE.split("MF-RUN")[0] + "MF-ERROR MF_ERR_OP_UNSUPPORTED node 0: op #47\n"
    with pytest.raises(firmware.RuntimeRejected) as caught:
        firmware.parse(text)
    assert caught.value.status == "MF_ERR_OP_UNSUPPORTED"
    assert caught.value.reason == "node 0: op #47"


def test_prune_keeps_the_newest_cache_files(tmp_path):
    import os

    for n in range(6):
        for name in (f"run_model-{n}.elf", f"inputs-{n}.bin"):
            (tmp_path / name).write_bytes(b"x")
            os.utime(tmp_path / name, (1000 + n, 1000 + n))
    (tmp_path / "other.txt").write_text("kept")
    firmware.prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "inputs-4.bin", "inputs-5.bin", "other.txt", "run_model-4.elf", "run_model-5.elf"]
