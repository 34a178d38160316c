"""Fixtures shared by every test folder: the source tree and the shared reference models."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MODELS = ROOT.parent / "shared" / "models" / "tflm"


def shared_models_dir() -> Path:
    """<repo>/../shared/models/tflm, or a clear failure when it is missing (never a skip)."""
    if not (SHARED_MODELS / "MANIFEST.md").is_file():
        pytest.fail(
            f"the shared reference models are missing: expected {SHARED_MODELS} "
            "(the folder 'shared/models/tflm' next to the repository, with MANIFEST.md)",
            pytrace=False,
        )
    return SHARED_MODELS


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_models() -> Path:
    return shared_models_dir()
