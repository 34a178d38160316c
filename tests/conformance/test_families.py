"""Common MCU model families (random-weight instances) against the oracle.

Per family and dtype: three instances (different weights, and different shapes where the
generator takes them), each with zeros and random inputs; int8 bit-exact, float 1e-5.
The SVDF keyword model is fed a stream of frames with its state carried across invokes.
"""

import numpy as np
import pytest
from microforge.model import families

from conformance.harness import Case, check_cases, random_inputs, seeded, zero_inputs

INSTANCES = 3
RANDOM_SETS = 8
STREAM = 24


def _instances(name: str, dtype: str) -> list[bytes]:
    fam = families.FAMILIES[name]
    return [fam.build(np.random.default_rng(1000 * n + len(name)), dtype)
            for n in range(INSTANCES)]


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("name", sorted(families.FAMILIES))
def test_family_matches_oracle(name, dtype):
    rng = seeded(f"family_{name}_{dtype}")
    stateful = families.FAMILIES[name].stateful
    cases = []
    for n, model in enumerate(_instances(name, dtype)):
        params = {"family": name, "dtype": dtype, "instance": n}
        if stateful:
            stream = [random_inputs(rng, model) for _ in range(STREAM)]
            cases.append(Case(model, stream, {**params, "inputs": f"stream of {STREAM}"},
                              reset=False))
            cases.append(Case(model, stream[:6] * 2, {**params, "inputs": "reset between"}))
        else:
            sets = [zero_inputs(model)] + [random_inputs(rng, model) for _ in range(RANDOM_SETS)]
            cases.append(Case(model, sets, {**params, "inputs": f"zeros + {RANDOM_SETS} random"}))
    check_cases(cases)


@pytest.mark.slow
def test_larger_instances_match_oracle():
    rng = seeded("family_larger")
    models = {
        "mobilenet_v1 32x32x3 widths 8,16,32,32": families.mobilenet(
            np.random.default_rng(7), "int8", (1, 32, 32, 3), (8, 16, 32, 32), classes=5),
        "resnet 3 stages": families.resnet(np.random.default_rng(8), "int8", (1, 16, 16, 3),
                                           (8, 16, 24)),
        "ds_cnn 49x10 width 24, 4 blocks": families.ds_cnn(np.random.default_rng(9), "int8",
                                                           (1, 49, 10, 1), 24, 4),
        "svdf rank 2": families.svdf_kws(np.random.default_rng(10), "int8", rank=2),
    }
    check_cases([Case(m, [random_inputs(rng, m) for _ in range(4)], {"model": label},
                      reset=not label.startswith("svdf"))
                 for label, m in models.items()])
