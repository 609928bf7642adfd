"""The cross-data-set distillation summary."""
from __future__ import annotations

import json

from benchmarks.summary import summary


def _write(folder, dataset, rows):
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"meta": {"dataset": dataset, "profile": "quick"},
                                                     "summary": rows}))


def test_rows_with_fewer_paired_seeds_are_marked(tmp_path):
    _write(tmp_path / "a", "a", [
        {"target": "y", "model": "cgcnn", "change": -0.10, "change_per_seed": [-0.1, -0.1, -0.1]},
        {"target": "y", "model": "alignn", "change": 0.02, "change_per_seed": [0.02]},
    ])
    _write(tmp_path / "b", "b", [{"target": "z", "model": "cgcnn", "change": 0.30, "change_per_seed": [0.3] * 3}])
    (tmp_path / "peers").mkdir()
    (tmp_path / "peers" / "results.json").write_text(json.dumps([{"name": "other benchmark"}]))
    text = summary(tmp_path)
    assert "| a (quick) | y | -10.0% | +2.0% (1 of 3 seeds) |" in text
    assert "| b (quick) | z | +30.0% | - |" in text
    assert "+10.0% (2 rows)" in text and "+2.0% (1 rows)" in text
