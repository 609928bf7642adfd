"""End-to-end runs: targets that are missing or NaN are skipped and reported."""
from __future__ import annotations

import csv
import math

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.data.sources import csv_source, dataset_source
from crysgnn_zoo.graphs.build import build_store
from crysgnn_zoo.train.run import select_target, train_model


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
