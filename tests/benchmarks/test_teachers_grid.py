"""The settings grid end to end on a tiny sub-sample: paired per-seed validation and test changes."""
from __future__ import annotations

import json

import pytest

from benchmarks.teachers import main, parse_row, parse_setting, setting_from_folder


def test_rows_and_settings_parse():
    assert parse_row("mp:formation_energy_per_atom:5000:30")["max_train"] == 5000
    assert parse_setting("chgnet-0.3.0:normalized:0.5:16")["embedding_weight"] == 16.0
    with pytest.raises(ValueError, match="dataset:target"):
        parse_row("mp")


def test_setting_folder_names_parse_back():
    setting = setting_from_folder("crysgnn-v1_spread_0.5_1_half_decay")
    assert setting == parse_setting("crysgnn-v1:spread:0.5:1:half_decay")
    assert setting_from_folder("chgnet-0.3.0_normalized_0.5_16")["alpha_schedule"] == "constant"
    assert setting_from_folder("vanilla") is None and setting_from_folder("crysgnn-v1_spread_high_1") is None
    with_mode = setting_from_folder("crysgnn-v1_spread_0.5_1_half_decay_embedding+crystal")
    assert with_mode == parse_setting("crysgnn-v1:spread:0.5:1:half_decay:embedding+crystal")
    assert with_mode["mode"] == "embedding+crystal" and with_mode["alpha_schedule"] == "half_decay"
    assert setting_from_folder("crysgnn-v1_spread_0.5_1_half_decay")["mode"] == "embedding"
    assert setting_from_folder("crysgnn-v1_spread_0.5_1_half_decay_telepathy") is None


def test_grid_runs_vanilla_once_and_reports_paired_changes(tmp_path):
    out = tmp_path / "teachers"
    argv = ["--rows", "mp_37k_sample:band_gap:40:1", "--models", "cgcnn", "--seeds", "0,1", "--out", str(out),
            "--settings", "crysgnn-v1:spread:0.5:1", "crysgnn-v1:normalized:0.5:16"]
    assert main(argv) == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["setting"] for r in rows] == ["crysgnn-v1_spread_0.5_1", "crysgnn-v1_normalized_0.5_16"]
    assert all(r["seeds"] == [0, 1] and len(r["val_change"]) == 2 and len(set(r["split_hashes"])) == 2 for r in rows)
    assert len(list((out / "mp_37k_sample_band_gap_40_1" / "vanilla" / "runs").glob("*/*/vanilla/seed*"))) == 2
    row_folder = out / "mp_37k_sample_band_gap_40_1" / "crysgnn-v1_spread_0.5_1"
    assert (row_folder / "runs.jsonl").exists() and not (row_folder / "table.md").exists()  # the grid's table only
    table = (out / "table.md").read_text()
    assert "validation change per seed" in table and (out / "plot.png").stat().st_size > 1000
    assert "val R2 (van./dist.)" in table and all(len(r["val_r2"]) == 2 for r in rows)  # R2 beside the MAE
    distilled = json.loads(next((out / "mp_37k_sample_band_gap_40_1" / "crysgnn-v1_normalized_0.5_16").glob(
        "runs/*/*/distilled/seed0/result.json")).read_text())
    assert distilled["extra"]["distill"]["objective"] == "normalized"

    # a later run or rebuild that names fewer settings keeps every setting already run in the table
    assert main(["--rows", "mp_37k_sample:band_gap:40:1", "--out", str(out), "--table-only"]) == 0
    rebuilt = json.loads((out / "results.json").read_text())["rows"]
    assert sorted(r["setting"] for r in rebuilt) == sorted(r["setting"] for r in rows)
