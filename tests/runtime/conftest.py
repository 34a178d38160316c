"""Fixtures of the runtime tests: one compile folder per session."""

from __future__ import annotations

import pytest

from .cbuild import CBuild


@pytest.fixture(scope="session")
def cbuild(tmp_path_factory: pytest.TempPathFactory, shared_models) -> CBuild:
    # shared_models fails clearly when ../shared/models/tflm is missing: the tests embed them.
    return CBuild(tmp_path_factory.mktemp("cbuild"))
