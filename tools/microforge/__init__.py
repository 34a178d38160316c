"""microforge: build, run and test TensorFlow Lite models on microcontrollers."""

from pathlib import Path

__version__ = "0.1.0"

#: The source tree (the folder holding SConstruct, targets/, micro/ and examples/).
ROOT = Path(__file__).resolve().parents[2]
