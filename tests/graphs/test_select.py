"""Choosing a run's crystals: ``RunConfig.exclude`` leaves another set's crystals out, built or drawn."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.graphs.select import build_drawn, excluded_ids, labelled_graphs, usable_data


def _other_set(tmp_path, store, k: int):
    """A CSV holding ``k`` of the sample's crystals (ids only matter), as a user's measured set would."""
    source = dataset_source("mp_37k_sample")
    rows = [(e.id, e.payload) for e, _ in zip(source.entries(), range(k))]
    path = tmp_path / "measured.csv"
    pd.DataFrame(rows, columns=["material_id", "cif"]).assign(y=1.0).to_csv(path, index=False)
    return path, {r[0] for r in rows}


def test_excluded_crystals_never_reach_the_split_and_are_reported(tmp_path, sample_store):
    path, ids = _other_set(tmp_path, sample_store, 30)
    assert excluded_ids(str(path)) == ids and excluded_ids(None) == frozenset()
    source = dataset_source("mp_37k_sample")
    built, store, skips = labelled_graphs(source, GraphConfig(), "band_gap", None, 0, workers=1, progress=False,
                                          exclude=excluded_ids(str(path)))
    assert not ids & set(store.ids)
    assert len(store) == len(built.store) - 30
    assert sum(s.kind == "excluded" for s in skips.items) == 30


def test_a_drawn_run_excludes_the_same_crystals_as_a_built_one(sample_store, tmp_path):
    path, ids = _other_set(tmp_path, sample_store, 200)
    source = dataset_source("mp_37k_sample")
    drawn, skips = build_drawn(source, GraphConfig(), "band_gap", 60, 4, workers=1, progress=False,
                               exclude=frozenset(ids))
    assert not ids & set(drawn.store.ids) and len(drawn.store) == 60
    assert sum(s.kind == "excluded" for s in skips.items) == 200
    from crysgnn_zoo.graphs.build import build_store

    full = build_store(source, GraphConfig(), workers=1, cache_root=tmp_path, progress=False)
    store, _ = usable_data(source, full, "band_gap", 60, 4, frozenset(ids))
    assert list(store.ids) == list(drawn.store.ids)
    assert np.array_equal(store.src, drawn.store.src)
