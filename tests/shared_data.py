"""Where the shared data sets live, and the mark that skips tests without them.

A module of its own (not conftest.py): tests import it by name, and several
conftest.py files share that module name once pytest has loaded them.
"""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
requires_shared = pytest.mark.skipif(
    not (SHARED / "perov_5" / "dataset.json").exists(),
    reason="../shared/datasets is not present on this machine",
)
