"""The claims' tables: paired per-seed changes on the same crystals, settings chosen on validation."""
from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import expt_table, finetune


def _seed(seed: int, rng) -> dict:
    truth = rng.normal(-1.5, 0.8, 30)
    preds = {"dft": truth + rng.normal(0.1, 0.12, 30), "scratch": truth + rng.normal(0, 0.2, 30),
             "scratch+distill": truth + rng.normal(0, 0.15, 30)}
    lines = {k: {part: expt_table_scores(v, truth) for part in ("val", "test")} for k, v in preds.items()}
    return {"seed": seed, "split": {"hash": f"h{seed}", "sizes": [100, 30, 30], "test_ids": [str(i) for i in range(30)]},
            "lines": lines, "test_predictions": {k: v.tolist() for k, v in preds.items()}, "test_truth": truth.tolist()}


def expt_table_scores(pred, truth):
    from benchmarks.expt_bias import scores

    return scores(pred, truth)


def test_the_dft_bias_table_pairs_each_line_with_its_twin_and_names_the_best_on_validation(tmp_path):
    rng = np.random.default_rng(0)
    seeds = [_seed(s, rng) for s in range(3)]
    experiment = {"data": "x", "split": [0.8, 0.1, 0.1], "mp_split": [0.9, 0.05, 0.05], "mp_epochs": 1,
                  "expt_epochs": 1, "recipe": {}, "mp_runs": {}}
    (tmp_path / "runs.jsonl").write_text("\n".join(json.dumps({"record": k, **v}) for k, v in
                                                   [("experiment", experiment)] + [("seed", s) for s in seeds]))
    table = expt_table.rows(seeds)
    distilled = next(r for r in table if r["line"] == "scratch+distill")
    plain = next(r for r in table if r["line"] == "scratch")
    assert distilled["twin"] == "scratch"
    assert np.allclose(distilled["paired_test"], distilled["test"] / plain["test"] - 1)
    text = (tmp_path / "table.md").read_text() if expt_table.write_table(tmp_path) else ""
    assert "Best line on validation: **scratch+distill**" in text and (tmp_path / "parity.png").exists()


def test_a_comparison_across_different_splits_is_refused():
    a = {0: (1.0, 1.0, 0.5, "aaa"), 1: (1.0, 1.0, 0.5, "bbb")}
    b = {0: (2.0, 2.0, 0.5, "aaa"), 1: (2.0, 2.0, 0.5, "ccc")}
    with pytest.raises(SystemExit, match="not the same crystals"):
        finetune.paired(a, b)
    assert finetune.paired(a, {0: b[0]})["val"] == [-50.0]
