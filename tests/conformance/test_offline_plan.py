"""Models carrying an OfflineMemoryAllocation plan run the same as on the oracle."""

import numpy as np
import pytest
from microforge.model.writer import ModelWriter
from microforge.runtime import HostRuntime

from conformance.harness import Case, check_cases, host_library, seeded


def _chain(offsets: list[int] | None) -> bytes:
    """x -> FC -> h1 -> RELU -> h2 -> FC -> y, float, with an optional offline plan."""
    rng = seeded("offline_chain")
    w = ModelWriter()
    x = w.tensor([1, 16], "float32", name="x")                                   # 0
    k1 = w.const(rng.standard_normal((32, 16)).astype(np.float32), name="k1")    # 1
    h1 = w.tensor([1, 32], "float32", name="h1")                                 # 2
    h2 = w.tensor([1, 32], "float32", name="h2")                                 # 3
    k2 = w.const(rng.standard_normal((8, 32)).astype(np.float32), name="k2")     # 4
    y = w.tensor([1, 8], "float32", name="y")                                    # 5
    w.operator("FULLY_CONNECTED", [x, k1, -1], [h1])
    w.operator("RELU", [h1], [h2])
    w.operator("FULLY_CONNECTED", [h2, k2, -1], [y])
    w.set_io([x], [y])
    if offsets is not None:
        w.offline_memory_allocation(offsets)
    return w.to_bytes()


# Tensor bytes: x 64, h1 128, h2 128, y 32. Live: x@0, h1@0-1, h2@1-2, y@2 (to the end).
PLANS = {
    "full": [256, -1, 0, 128, -1, 0],      # x after h1/h2; y reuses h1's bytes
    "partial": [-1, -1, 0, -1, -1, -1],    # only h1 fixed, the rest planned online
    "spread": [0, -1, 64, 192, -1, 320],   # no reuse at all
}


@pytest.mark.parametrize("plan", sorted(PLANS))
def test_offline_plans_match_oracle(plan):
    rng = seeded(f"offline_{plan}")
    model = _chain(PLANS[plan])
    inputs = [[rng.standard_normal((1, 16)).astype(np.float32)] for _ in range(4)]
    check_cases([Case(model, inputs, {"plan": plan, "offsets": PLANS[plan]})])


def test_offline_plan_sets_the_planned_bytes():
    rt = HostRuntime(host_library())
    online = rt.interpreter(_chain(None)).arena_used
    spread = rt.interpreter(_chain(PLANS["spread"])).arena_used
    # "spread" places y at 320..352: at least 352 - 256 = 96 planned bytes more than the
    # tightest online plan (h1 and h2 live together: 256 bytes).
    assert spread >= online + 96
