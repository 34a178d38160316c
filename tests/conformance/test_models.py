"""Model-level conformance: every shared TFLM model, compared with the oracle and the goldens.

Per model: all-zero input, every stored golden input (compared with the oracle *and* the
stored golden output) and 50 seeded random inputs. int8 outputs must be bit-exact, float
outputs within 1e-5 relative.
"""

import numpy as np
import pytest

from conformance.harness import (
    Case,
    check_cases,
    ours_run,
    random_inputs,
    seeded,
    shared_models_dir,
    zero_inputs,
)

MODELS = ["hello_world_int8", "hello_world_float", "micro_speech_quantized", "magic_wand",
          "person_detect"]
RANDOM_CASES = 50


def _model(name: str) -> bytes:
    path = shared_models_dir() / f"{name}.tflite"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the shared models")
    return path.read_bytes()


def _goldens(name: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    folder = shared_models_dir() / "golden"
    found = []
    for inp in sorted(folder.glob(f"{name}.*.input.npy")):
        case = inp.name[len(name) + 1:-len(".input.npy")]
        out = folder / f"{name}.{case}.output.npy"
        found.append((case, np.load(inp), np.load(out)))
    if not found:
        raise FileNotFoundError(f"no golden cases for {name} in {folder}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_model_matches_oracle_and_goldens(name):
    model = _model(name)
    goldens = _goldens(name)
    rng = seeded(f"model_{name}")
    random_sets = [random_inputs(rng, model) for _ in range(RANDOM_CASES)]
    names = ",".join(case for case, _, _ in goldens)
    check_cases([
        Case(model, [[x] for _, x, _ in goldens],
             params={"model": name, "inputs": f"stored goldens {names}"},
             expected=[[y] for _, _, y in goldens]),
        Case(model, [zero_inputs(model)], params={"model": name, "inputs": "zeros"}),
        Case(model, random_sets, params={"model": name, "inputs": f"{RANDOM_CASES} random"}),
    ])


@pytest.mark.slow
def test_person_detect_tells_person_from_no_person():
    model = _model("person_detect")
    goldens = {case: x for case, x, _ in _goldens("person_detect")}
    (person,) = ours_run(model, [goldens["person"]])
    (no_person,) = ours_run(model, [goldens["no_person"]])
    # Output index 1 is "person", 0 is "no person".
    assert person[0, 1] > person[0, 0], person
    assert no_person[0, 0] > no_person[0, 1], no_person
