"""Fixtures of the export tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_support import copy_tree


@pytest.fixture(scope="session")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source tree; builds in it write its own gen/."""
    return copy_tree(tmp_path_factory.mktemp("tree") / "main")
