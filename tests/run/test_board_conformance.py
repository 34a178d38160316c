"""The shared TFLM models on every emulated board give the host's outputs: golden inputs,
zeros and seeded random inputs, all in one runner firmware per model and board (every set
starts from reset state). int outputs must be bit-identical; float outputs within 1e-5
relative (Arm FMA and libm may differ in the last bits); whether float outputs were
bit-identical too is recorded as the test property `float_bit_identical`."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.bench import firmware, runfile
from microforge.bench.command import random_inputs, read_model
from microforge.runtime import HostRuntime

from .support import BOARDS, MODELS, assert_same, goldens, model_path

RANDOM_SETS = 3


@pytest.fixture(scope="module")
def host_runtime():
    return HostRuntime()


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", MODELS)
def test_board_outputs_equal_the_host(board, name, host_runtime, request):
    model = model_path(name)
    data, specs, _ = read_model(model)
    cases = [(f"golden {case}", [np.load(inp)], np.load(out)) for case, inp, out in goldens(name)]
    cases.append(("zeros", [np.zeros(s.shape, s.dtype) for s in specs], None))
    cases += [(f"random seed {seed}", random_inputs(specs, seed), None)
              for seed in range(100, 100 + RANDOM_SETS)]
    config = firmware.board_config(board)
    elf = firmware.build(config, model, runfile.pack([[v.tobytes() for v in inputs]
                                                      for _, inputs, _ in cases]))
    result = firmware.run(config, elf)
    assert len(result.sets) == len(cases)
    identical = True
    for (label, inputs, golden), got in zip(cases, result.sets, strict=True):
        expected = host_runtime.interpreter(data).run(inputs)
        for n, (raw, want) in enumerate(zip(got.outputs, expected, strict=True)):
            ours = np.frombuffer(raw, want.dtype).reshape(want.shape)
            assert_same(ours, want, f"{board} {name} {label} output {n}")
            identical = identical and ours.tobytes() == want.tobytes()
            if golden is not None and n == 0:
                assert_same(ours, golden, f"{board} {name} {label} vs golden")
        assert got.ticks_min == got.ticks_max == got.ticks_per_invoke > 0
    request.node.user_properties.append(("float_bit_identical", identical))
    if not np.issubdtype(expected[0].dtype, np.floating):
        assert identical
