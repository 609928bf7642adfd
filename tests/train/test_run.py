"""End-to-end runs: targets that are missing or NaN are skipped and reported."""
from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import GraphConfig, RunConfig, TrainConfig
from crysgnn_zoo.data.sources import csv_source, dataset_source
from crysgnn_zoo.graphs.build import build_store
from crysgnn_zoo.graphs.select import select_target
from crysgnn_zoo.hub.card import ModelCard
from crysgnn_zoo.train.run import train_model


def _csv_with_nan(tmp_path, n=40):
    entries = [e for _, e in zip(range(n), dataset_source("mp_37k_sample").entries())]
    path = tmp_path / "with_nan.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["material_id", "cif", "y"])
        for k, e in enumerate(entries):
            value = "nan" if k == 3 else ("" if k == 7 else str(e.targets["band_gap"]))
            w.writerow([e.id, e.payload, value])
    return path, entries


def test_nan_and_empty_targets_are_skipped_with_a_report(tmp_path):
    path, entries = _csv_with_nan(tmp_path)
    built = build_store(csv_source(path), workers=1, cache_root=tmp_path / "c", progress=False)
    assert len(built.store) == 40 and math.isnan(built.store.target("y")[3])
    kept, report = select_target(built.store, "y", "with_nan")
    assert len(kept) == 38
    assert sorted(s.where for s in report) == sorted(f"with_nan id {entries[k].id}" for k in (3, 7))
    assert all(s.kind == "target" and "'y' is missing or NaN" in s.reason for s in report)


def test_run_writes_skipped_csv(tmp_path):
    path, _ = _csv_with_nan(tmp_path)
    result = train_model(str(path), "y", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                         train_config=TrainConfig(epochs=1), split_sizes=(28, 5, 5), out_dir=tmp_path / "run",
                         workers=1, progress=False)
    assert result.n_skipped == 2 and sum(result.split_sizes) == 38
    rows = list(csv.reader(open(tmp_path / "run" / "skipped.csv")))
    assert rows[0] == ["where", "kind", "reason"] and len(rows) == 3
    assert result.extra["heap"] == "trim"
    saved = json.loads((tmp_path / "run" / "result.json").read_text())["environment"]
    assert saved == result.environment and saved["threads"] == torch.get_num_threads() >= 1
    assert saved["device"] == "cpu" and saved["processes"] == 1 and saved["torch"] == torch.__version__
    run = RunConfig.from_dict(json.loads((tmp_path / "run" / "run.json").read_text()))  # the run, as given
    assert run == RunConfig(data=str(path), target="y", model="cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                            train_config=TrainConfig(epochs=1), split_sizes=(28, 5, 5))
    card = ModelCard.load(tmp_path / "run" / "checkpoint")  # the run's card: the release schema
    assert card.data["split_hash"] == result.split_hash and card.metrics["test"] == result.test
    assert RunConfig.from_dict(card.training["run_config"]) == run and card.elements


def test_unknown_heap_policy_is_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="heap must be one of"):
        train_model(str(tmp_path / "never_read.csv"), "y", "cgcnn", heap="keep")


def test_heap_policy_changes_memory_not_results(tmp_path):
    # retain is process-wide: each policy trains in its own child process, on one thread
    # (so that only the allocator differs, not the order of multi-threaded reductions)
    code = """
import json, sys
import torch
torch.set_num_threads(1)
from crysgnn_zoo.config import GraphConfig, TrainConfig
from crysgnn_zoo.train.run import train_model
r = train_model("mp_37k_sample", "band_gap", "alignn", heap=sys.argv[1], max_samples=24, split_sizes=(16, 4, 4),
                model_overrides=dict(alignn_layers=1, gcn_layers=1, hidden_dim=16, edge_embedding_dim=8),
                train_config=TrainConfig(epochs=2, batch_size=8), workers=1, progress=False)
print(json.dumps([r.test["mae"], r.extra["val"]["mae"], r.extra["heap"]]))
"""
    runs = {}
    for policy in ("trim", "retain"):
        out = subprocess.run([sys.executable, "-c", code, policy], capture_output=True, text=True, check=True,
                             env={**os.environ, "CRYSGNN_ZOO_CACHE": str(tmp_path / policy)})
        runs[policy] = json.loads(out.stdout.strip().splitlines()[-1])
    assert runs["trim"][2] == "trim" and runs["retain"][2] == "retain"
    assert runs["trim"][:2] == runs["retain"][:2], runs  # bit-identical metrics


def test_max_samples_builds_only_the_drawn_crystals_and_draws_the_same_ones(tmp_path):
    from crysgnn_zoo.graphs.build import build_store
    from crysgnn_zoo.graphs.select import build_drawn, usable_data

    source = dataset_source("mp_37k_sample")
    built, _ = build_drawn(source, GraphConfig(), "band_gap", 50, 3, workers=1, progress=False)
    assert len(built.store) == 50
    again, _ = build_drawn(source, GraphConfig(), "band_gap", 50, 3, workers=1, progress=False)
    assert again.from_cache and list(again.store.ids) == list(built.store.ids)  # a rerun reuses the draw's graphs
    other, _ = build_drawn(source, GraphConfig(), "band_gap", 50, 4, workers=1, progress=False)
    assert not other.from_cache
    full = build_store(source, GraphConfig(), workers=1, cache_root=tmp_path, progress=False)
    store, _ = usable_data(source, full, "band_gap", 50, 3)
    assert list(store.ids) == list(built.store.ids)
    assert np.array_equal(store.positions, built.store.positions) and np.array_equal(store.src, built.store.src)


def test_target_cells_that_hold_text_are_named_in_skipped_csv(tmp_path):
    entries = [e for _, e in zip(range(40), dataset_source("mp_37k_sample").entries())]
    path = tmp_path / "cells.csv"
    bad = {2: "1.2 eV", 5: "1e400", 9: "-inf"}
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["material_id", "cif", "y"])
        for k, e in enumerate(entries):
            w.writerow([e.id, e.payload, bad.get(k, "" if k == 7 else str(e.targets["band_gap"]))])
    train_model(str(path), "y", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                train_config=TrainConfig(epochs=1), split_sizes=(26, 5, 5), out_dir=tmp_path / "run",
                workers=1, progress=False)
    reasons = {row[0]: row[2] for row in csv.reader(open(tmp_path / "run" / "skipped.csv"))}
    for k, text in bad.items():
        assert reasons[f"cells id {entries[k].id}"] == f"target 'y' is {text!r}, not a finite number"
    assert reasons[f"cells id {entries[7].id}"] == "target 'y' is missing or NaN"
