"""Shared fixtures: real crystals from the embedded sample and ../shared/datasets.

The graph cache goes to a per-session temporary folder, so tests never touch
the user's cache and run offline.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from shared_data import SHARED, requires_shared  # noqa: F401  (re-exported for fixtures below)


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    old = os.environ.get("CRYSGNN_ZOO_CACHE")
    os.environ["CRYSGNN_ZOO_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("CRYSGNN_ZOO_CACHE", None)
    else:
        os.environ["CRYSGNN_ZOO_CACHE"] = old


@pytest.fixture(scope="session")
def sample_source():
    from crysgnn_zoo.data.sources import dataset_source

    return dataset_source("mp_37k_sample")


@pytest.fixture(scope="session")
def sample_store(sample_source):
    """Graphs of the 1,000 embedded mp_37k crystals (CGCNN defaults)."""
    from crysgnn_zoo.graphs.build import build_store

    return build_store(sample_source, workers=2, progress=False).store


@pytest.fixture(scope="session")
def sample_atoms(sample_source):
    """The first 40 embedded crystals as jarvis Atoms."""
    from itertools import islice

    from crysgnn_zoo.data.structures import parse_structure

    return [parse_structure(e.fmt, e.payload, e.where) for e in islice(sample_source.entries(), 40)]


def _first_entries_store(name: str, n: int):
    from itertools import islice

    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.data.sources import dataset_source
    from crysgnn_zoo.graphs.build import build_entries

    src = dataset_source(name)
    store, report, _ = build_entries(islice(src.entries(), n), GraphConfig(), sorted(src.targets), progress=False)
    assert len(report) == 0, report.summary()
    return store


@pytest.fixture(scope="session")
def perov_store():
    if not (SHARED / "perov_5").exists():
        pytest.skip("../shared/datasets/perov_5 not present")
    return _first_entries_store("perov_5", 48)


@pytest.fixture(scope="session")
def carbon_store():
    if not (SHARED / "carbon_24").exists():
        pytest.skip("../shared/datasets/carbon_24 not present")
    return _first_entries_store("carbon_24", 48)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def script():
    """``script("release_model")``: a module of ``scripts/`` loaded from its file (they are
    not a package)."""
    import importlib.util

    folder = Path(__file__).resolve().parents[1] / "scripts"

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
