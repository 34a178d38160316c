"""The failure taxonomy: every outcome from what the board said and how the run ended."""

from __future__ import annotations

import json

import pytest
from microforge.hil.protocol import Transcript, parse
from microforge.hil.result import BoardIdentity, Outcome, RunResult, classify


def transcript_of(text: bytes) -> Transcript:
    transcript = Transcript()
    for event in parse(text):
        transcript.add(event)
    return transcript


def outcome(text: bytes, *, link_closed: bool = False, exit_code: int | None = None) -> Outcome:
    transcript = transcript_of(text)
    result, message = classify(
        transcript,
        finished=transcript.finished,
        link_closed=link_closed,
        exit_code=exit_code,
        bytes_after_reset=len(text),
    )
    assert result is Outcome.PASS or message
    return result


PASSING = b"MF-SYNC a\nMF-CASE x PASS\nMF-SUMMARY passed=1 failed=0\n~~~ALL TESTS PASSED~~~\n"


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        (PASSING, {}, Outcome.PASS),
        (PASSING, {"link_closed": True, "exit_code": 0}, Outcome.PASS),
        (b"", {}, Outcome.NO_OUTPUT),
        (b"garbage \xff before any sync\n", {}, Outcome.NO_OUTPUT),
        (b"MF-SYNC a\nMF-CASE x PASS\n", {}, Outcome.TIMEOUT),
        (b"MF-SYNC a\nMF-CASE x PASS\n", {"link_closed": True, "exit_code": 3}, Outcome.CRASH),
        (b"MF-SYNC a\nMF-FAULT pc=0x10 lr=0x20\n", {}, Outcome.CRASH),
        (b"MF-SYNC a\nMF-CASE x PASS\nMF-SYNC a\n", {}, Outcome.CRASH),
        (b"MF-SYNC a\nMF-CASE x FAIL f.c:3 bad\nMF-SUMMARY passed=0 failed=1\n", {},
         Outcome.ASSERTION),
        (b"MF-SYNC a\nMF-SUMMARY passed=2 failed=1\n", {}, Outcome.ASSERTION),
        (b"MF-SYNC a\nMF-CASE x PASS\n~~~SOME TESTS FAILED~~~\n", {}, Outcome.ASSERTION),
        (b"MF-SYNC a\nMF-CASE x PASS\nMF-SUMMARY passed=2 failed=0\n", {}, Outcome.ASSERTION),
        (PASSING, {"link_closed": True, "exit_code": 1}, Outcome.ASSERTION),
        (b"MF-SYNC a\nMF-SUMMARY passed=0 failed=0\n", {}, Outcome.ASSERTION),
        (b"MF-SYNC a\nMF-BENCH b ticks=5\nMF-SUMMARY passed=0 failed=0\n", {}, Outcome.PASS),
        (b"MF-SYNC a\nMF-CASE x PASS\nMF-CASE\nMF-SUMMARY passed=1 failed=0\n", {},
         Outcome.ASSERTION),
    ],
)  # fmt: skip
def test_classify(text: bytes, kwargs: dict[str, object], expected: Outcome) -> None:
    assert outcome(text, **kwargs) is expected  # type: ignore[arg-type]


def test_a_fault_outranks_earlier_failures() -> None:
    text = b"MF-SYNC a\nMF-CASE x FAIL f.c:1 no\nMF-FAULT pc=0x8\n"
    assert outcome(text) is Outcome.CRASH


def test_failure_message_names_the_case_and_place() -> None:
    transcript = transcript_of(b"MF-SYNC a\nMF-CASE conv FAIL k/conv.c:12 off by one\n")
    result, message = classify(
        transcript, finished=False, link_closed=False, exit_code=None, bytes_after_reset=1
    )
    assert result is Outcome.ASSERTION
    assert message == "conv failed at k/conv.c:12: off by one"


def test_result_round_trips_to_json_with_identity_and_log() -> None:
    result = RunResult(
        outcome=Outcome.TIMEOUT,
        identity=BoardIdentity("disco_f746ng", "disco-1", "066DFF49", "/dev/ttyACM0"),
        log_path="/tmp/run/disco-1.console.log",
        message="no summary",
        last_output="MF-CASE x PASS\n",
    )
    data = json.loads(result.to_jsonl())
    assert data["outcome"] == "timeout"
    assert data["identity"] == {
        "board": "disco_f746ng", "name": "disco-1", "probe": "066DFF49", "port": "/dev/ttyACM0"
    }  # fmt: skip
    assert data["log_path"] == "/tmp/run/disco-1.console.log"
    text = result.describe()
    assert "disco-1: timeout" in text and "066DFF49" in text and "last bytes" in text


def test_a_real_board_exit_line_counts_like_an_emulator_exit() -> None:
    text = PASSING + b"MF-EXIT code=1\n"
    transcript = transcript_of(text)
    assert transcript.exit is not None
    result, message = classify(
        transcript, finished=True, link_closed=False, exit_code=transcript.exit.code,
        bytes_after_reset=len(text),
    )  # fmt: skip
    assert result is Outcome.ASSERTION and "exited with code 1" in message


def test_fault_exit_codes_without_a_fault_line_are_crashes() -> None:
    assert outcome(PASSING, link_closed=True, exit_code=101) is Outcome.CRASH
    assert outcome(b"MF-SYNC a\nMF-CASE x PASS\nMF-EXIT code=100\n", exit_code=100) is (
        Outcome.CRASH
    )
