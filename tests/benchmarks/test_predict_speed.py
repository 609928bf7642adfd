"""The prediction-throughput benchmark runs end to end on a tiny sample."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from benchmarks.predict_speed import main

pytestmark = pytest.mark.skipif(
    not (Path(__file__).resolve().parents[3] / "shared" / "datasets" / "mp_37k").exists(),
    reason="../shared/datasets/mp_37k is not present")


@pytest.mark.skipif(importlib.util.find_spec("cgcnn2") is None, reason="pip install '.[peers]' for cgcnn2")
def test_predict_speed_with_cgcnn2(tmp_path):
    _run(tmp_path, "ours,cgcnn2")


def test_predict_speed_ours(tmp_path):
    _run(tmp_path, "ours")


def _run(tmp_path, only):
    out = tmp_path / "out"
    assert main(["--n", "24", "--only", only, "--workers", "1", "--out", str(out),
                 "--sample-dir", str(tmp_path / "sample")]) == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["name"] for r in rows] == only.split(",") and all(r["crystals"] == 24 for r in rows)
    assert "crystals/s" in (out / "table.md").read_text() and (out / "plot.png").exists()
