"""The cross-data-set distillation summary."""
from __future__ import annotations

import json

from benchmarks.summary import summary


def _write(folder, dataset, rows, **meta):
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"meta": {"dataset": dataset, "profile": "quick", **meta},
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


def test_a_variant_folder_gets_its_own_table_beside_the_main_changes(tmp_path):
    _write(tmp_path / "a", "a", [{"target": "y", "model": "cgcnn", "change": 0.50, "change_per_seed": [0.5] * 3}])
    _write(tmp_path / "b", "b", [{"target": "z", "model": "cgcnn", "change": -0.10, "change_per_seed": [-0.1] * 3}])
    _write(tmp_path / "scale_global" / "a", "a",
           [{"target": "y", "model": "cgcnn", "change": 0.10, "change_per_seed": [0.1] * 3}],
           alpha=0.5, embedding_scale="global", epochs=10)
    text = summary(tmp_path)
    main, variant = text.split("## Variant")
    assert "+20.0% (2 rows)" in main and "scale_global" not in main
    assert "`scale_global` (10 epochs, alpha 0.5, embedding scale global)" in variant
    assert "| a (quick) | y | +10.0% (main: +50.0%) |" in variant
    assert "+10.0% (1 rows) (main, same rows: +50.0%)" in variant
