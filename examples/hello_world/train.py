"""Trains the hello_world sine model and converts it to a full-integer int8 .tflite.

Not part of the build or the tests: the converted model is committed next to this script.
Deterministic: with the same TensorFlow version the output file is byte-identical.

    pip install tensorflow==2.21.0
    python examples/hello_world/train.py          # writes hello_world.tflite

It prints the largest |model(x) - sin(x)| of the int8 model over [0, 2*pi], the figure the
C test's tolerance comes from.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SEED = 7
SAMPLES = 2000
EPOCHS = 300
HERE = Path(__file__).resolve().parent
OUT = HERE / "hello_world.tflite"


def train() -> tf.keras.Model:
    tf.keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    rng = np.random.default_rng(SEED)
    x = rng.uniform(0.0, 2.0 * math.pi, SAMPLES).astype(np.float32)
    y = np.sin(x).astype(np.float32)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(1,)),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dense(1),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.005), loss="mse")
    model.fit(x, y, epochs=EPOCHS, batch_size=64, shuffle=True, verbose=0)
    return model


def convert(model: tf.keras.Model) -> bytes:
    grid = np.linspace(0.0, 2.0 * math.pi, 500, dtype=np.float32)

    def representative():
        for value in grid:
            yield [np.array([[value]], dtype=np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def max_error(model_bytes: bytes) -> float:
    interpreter = tf.lite.Interpreter(model_content=model_bytes)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    in_scale, in_zero = inp["quantization"]
    out_scale, out_zero = out["quantization"]
    worst = 0.0
    for x in np.linspace(0.0, 2.0 * math.pi, 1000):
        q = int(np.clip(round(x / in_scale) + in_zero, -128, 127))
        interpreter.set_tensor(inp["index"], np.array([[q]], dtype=np.int8))
        interpreter.invoke()
        y = (int(interpreter.get_tensor(out["index"])[0][0]) - out_zero) * out_scale
        worst = max(worst, abs(y - math.sin(x)))
    return worst


def main() -> int:
    model = train()
    data = convert(model)
    OUT.write_bytes(data)
    print(f"wrote {OUT.name}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    print(f"int8 model: max |y - sin(x)| over [0, 2pi] = {max_error(data):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
