"""Random DAGs against the oracle: the interpreter and memory planner, not one op.

Graphs of convolutions, pools, elementwise and activation ops whose operands come from
any earlier tensor (long lifetimes, fan-out), with several graph inputs and outputs. A
planner that lets two live tensors overlap, or an interpreter that mixes up nodes, shows
up here as a mismatch.
"""

import numpy as np
import pytest
from microforge.model import families

from conformance.harness import Case, check_cases, random_inputs, seeded

GRAPHS = 60


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_random_graphs_match_oracle(dtype):
    rng = seeded(f"random_graphs_{dtype}")
    cases = []
    for seed in range(GRAPHS):
        big = seed % 5 == 0
        model = families.random_graph(
            np.random.default_rng(seed), dtype, nodes=30 if big else 12,
            shape=(1, 8, 8, 8) if big else (1, 6, 6, 4),
            inputs=1 + seed % 3, outputs=1 + seed % 3)
        cases.append(Case(model, [random_inputs(rng, model) for _ in range(3)],
                          {"seed": seed, "dtype": dtype, "nodes": 30 if big else 12}))
    check_cases(cases)
