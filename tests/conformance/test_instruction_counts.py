"""Instruction counts per invoke (callgrind): exact, repeatable, and no more than TFLM's."""

import pytest
from microforge.runtime.callgrind import oracle_instructions, ours_instructions

from conformance.harness import shared_models_dir


def test_counts_are_repeatable():
    model = shared_models_dir() / "hello_world_int8.tflite"
    first = ours_instructions(model, repeats=2)
    assert first > 0
    assert ours_instructions(model, repeats=2) == first
    assert ours_instructions(model, repeats=5) == first


@pytest.mark.slow
def test_micro_speech_needs_no_more_instructions_than_tflm():
    model = shared_models_dir() / "micro_speech_quantized.tflite"
    ours, tflm = ours_instructions(model, repeats=2), oracle_instructions(model, repeats=2)
    assert ours <= tflm, f"microforge {ours:,} vs TFLM {tflm:,} instructions per invoke"
