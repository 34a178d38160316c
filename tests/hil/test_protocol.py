"""The output protocol parser: lines, tokens, noise, partial input."""

from __future__ import annotations

import pytest
from microforge.hil.protocol import (
    Bench,
    Case,
    Exit,
    Fault,
    LineSplitter,
    Malformed,
    ProtocolParser,
    Summary,
    Sync,
    Text,
    Transcript,
    Verdict,
    parse,
    parse_line,
)


def test_each_line_kind() -> None:
    events = parse(
        b"MF-SYNC 3f2a\r\n"
        b"MF-CASE add PASS\n"
        b"MF-CASE conv FAIL micro/kernels/conv.c:120 expected 3 got 4\n"
        b"MF-BENCH conv ticks=123456 arena=0x800 ratio=0.25 unit=ms\n"
        b"MF-SUMMARY passed=1 failed=1\n"
        b"~~~SOME TESTS FAILED~~~\n"
    )
    sync, ok, bad, bench, summary, verdict = events
    assert isinstance(sync, Sync) and sync.image_id == "3f2a"
    assert isinstance(ok, Case) and ok.passed and ok.name == "add"
    assert isinstance(bad, Case) and not bad.passed
    assert (bad.file, bad.lineno, bad.message) == ("micro/kernels/conv.c", 120, "expected 3 got 4")
    assert bad.location == "micro/kernels/conv.c:120"
    assert isinstance(bench, Bench)
    assert bench.values == {"ticks": 123456, "arena": 0x800, "ratio": 0.25, "unit": "ms"}
    assert isinstance(summary, Summary) and (summary.passed, summary.failed) == (1, 1)
    assert isinstance(verdict, Verdict) and not verdict.passed


def test_offsets_point_at_line_starts() -> None:
    data = b"boot\r\nMF-SYNC a\nMF-CASE x PASS\r\n"
    events = parse(data, offset=100)
    assert [e.offset for e in events] == [100, 106, 116]
    for event in events:
        assert data[event.offset - 100 :].startswith(event.line.encode())


def test_fault_lines_with_registers_and_with_text() -> None:
    arm = parse_line(b"MF-FAULT pc=0x000004b4 lr=0x4dd xpsr=0x61000000 cfsr=0x8200 hfsr=0x40000000")
    assert isinstance(arm, Fault)
    assert arm.fields["pc"] == 0x4B4 and arm.fields["cfsr"] == 0x8200
    guard = parse_line(b"MF-FAULT stack guard overwritten")
    assert isinstance(guard, Fault) and guard.fields == {}
    assert guard.text == "stack guard overwritten"


def test_noise_before_a_token_does_not_hide_it() -> None:
    # A UART start-up glitch or a reset in the middle of a line leaves bytes in front.
    event = parse_line(b"\x00\xff\x1b MF-SYNC abc")
    assert isinstance(event, Sync) and event.image_id == "abc"


def test_a_token_inside_text_is_text() -> None:
    assert isinstance(parse_line(b"note: MF-SYNC is printed first"), Text)
    assert isinstance(parse_line(b"expected MF-CASE lines"), Text)


@pytest.mark.parametrize(
    "line",
    [b"MF-SYNC", b"MF-SYNC a b", b"MF-CASE x MAYBE", b"MF-SUMMARY passed=x failed=0",
     b"MF-BENCH", b"MF-SUMMARY passed=1"],
)  # fmt: skip
def test_malformed_protocol_lines_are_reported(line: bytes) -> None:
    event = parse_line(line)
    assert isinstance(event, Malformed) and event.reason


def test_undecodable_bytes_are_kept_visible() -> None:
    event = parse_line(b"raw \xff\xfe\x80 end")
    assert isinstance(event, Text)
    assert event.line == "raw \\xff\\xfe\\x80 end"


def test_lines_split_across_chunks_and_line_ends() -> None:
    splitter = LineSplitter()
    stream = b"one\r\ntwo\rthree\nfour\r\n\r\nfive"
    lines = []
    for i in range(len(stream)):  # one byte at a time, CR and LF in separate chunks
        lines += splitter.feed(stream[i : i + 1])
    lines += splitter.flush()
    assert [raw for _, raw in lines] == [b"one", b"two", b"three", b"four", b"", b"five"]
    assert [at for at, _ in lines] == [0, 5, 9, 15, 21, 23]


def test_parser_is_incremental() -> None:
    parser = ProtocolParser()
    assert parser.feed(b"MF-SYNC ab") == []
    events = parser.feed(b"c\nMF-CASE t PA")
    assert len(events) == 1 and isinstance(events[0], Sync) and events[0].image_id == "abc"
    events = parser.feed(b"SS\n")
    assert isinstance(events[0], Case) and events[0].passed
    assert parser.flush() == []


def test_transcript_stops_at_a_second_sync() -> None:
    transcript = Transcript()
    for event in parse(b"MF-SYNC a\nMF-CASE x PASS\nMF-SYNC a\nMF-CASE y FAIL f.c:1 z\n"):
        transcript.add(event)
    assert transcript.sync is not None and len(transcript.resyncs) == 1
    assert [c.name for c in transcript.cases] == ["x"]
    assert transcript.finished


def test_transcript_finishes_on_summary_verdict_or_fault() -> None:
    endings = (b"MF-SUMMARY passed=1 failed=0", b"~~~ALL TESTS PASSED~~~", b"MF-FAULT pc=0x1")
    for ending in endings:
        transcript = Transcript()
        for event in parse(b"MF-SYNC a\n" + ending + b"\n"):
            transcript.add(event)
        assert transcript.finished, ending
    unfinished = Transcript()
    for event in parse(b"MF-SYNC a\nMF-CASE x PASS\n"):
        unfinished.add(event)
    assert not unfinished.finished


def test_exit_line_of_real_boards() -> None:
    (event,) = parse(b"MF-EXIT code=101\n")
    assert isinstance(event, Exit) and event.code == 101
    assert isinstance(parse_line(b"MF-EXIT 3"), Malformed)
    transcript = Transcript()
    for item in parse(b"MF-SYNC a\nMF-SUMMARY passed=1 failed=0\n"):
        transcript.add(item)
    assert transcript.finished and not transcript.ended
    transcript.add(event)
    assert transcript.ended and transcript.exit is event
