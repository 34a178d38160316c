"""RESHAPE: random input shapes (ranks 1-6) reshaped to random factorisations,
with the new shape given as a second (constant) input or only in the options;
200 cases per dtype, bit-exact against the TFLM oracle for every dtype."""

from __future__ import annotations

import numpy as np
import pytest
from microforge.model.writer import T, single_op_model

from conformance.harness import Case, check_cases, random_data, random_shape, seeded

CASES = 200


def factorise(rng: np.random.Generator, count: int, rank: int) -> tuple[int, ...]:
    """A random shape of `rank` dims whose product is `count`."""
    dims = [1] * rank
    n = count
    p = 2
    while n > 1:
        while n % p == 0:
            dims[int(rng.integers(rank))] *= p
            n //= p
        p += 1
    return tuple(dims)


def make_case(rng: np.random.Generator, n: int, dtype: str) -> Case:
    shape = random_shape(rng, int(rng.integers(1, 7)), max_dim=5)
    count = int(np.prod(shape))
    new_shape = factorise(rng, count, int(rng.integers(1, 7)))
    x = random_data(rng, shape, dtype)
    if rng.integers(2):
        inputs = [T(shape, dtype), T((len(new_shape),), "int32",
                                     data=np.array(new_shape, np.int32))]
        options = None
    else:
        inputs = [T(shape, dtype)]
        options = {"new_shape": list(new_shape)}
    model = single_op_model("RESHAPE", inputs, [T(new_shape, dtype)], options)
    return Case(model, [[x]], {"case": n, "dtype": dtype, "shape": shape, "new": new_shape,
                               "inputs": len(inputs)})


@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int32", "int64", "uint8",
                                   "bool"])
def test_reshape(dtype: str) -> None:
    rng = seeded(f"reshape_{dtype}")
    check_cases([make_case(rng, n, dtype) for n in range(CASES)])


def test_reshape_legacy_scalar_output() -> None:
    """Old converters wrote a scalar output as shape [0]; it holds the one element."""
    model = single_op_model("RESHAPE", [T((1, 1), "float32")], [T((0,), "float32")])
    check_cases([Case(model, [[np.array([[3.5]], np.float32)]], {"case": "legacy scalar"})])
