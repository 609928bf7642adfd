"""The cross-data-set distillation summary."""
from __future__ import annotations

import json

from benchmarks.records import write_records
from benchmarks.summary import summary


def _write(folder, dataset, rows, **meta):
    """A results folder's records: per row, a vanilla run of MAE 1 and a distilled run of MAE 1 + change on
    each seed of ``change_per_seed`` (same split per seed)."""
    folder.mkdir(parents=True)
    runs = []
    for r in rows:
        for seed, change in enumerate(r["change_per_seed"]):
            run = {"target": r["target"], "model": r["model"], "seed": seed, "unit": "eV", "split_sizes": [8, 1, 1],
                   "split_hash": f"h{seed}", "seconds_per_epoch": 1.0, "train_seconds": 1.0,
                   "paper_row": r.get("paper_row")}
            runs += [{**run, "mode": "vanilla", "test": {"mae": 1.0}},
                     {**run, "mode": "distilled", "test": {"mae": 1.0 + change}}]
    write_records(folder, {"dataset": dataset, "profile": "quick", **meta}, runs)


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
    assert "+10.0% (2 rows)" in text and "+2.0% (1 row)" in text


def test_a_variant_folder_gets_its_own_table_beside_the_closest_results(tmp_path):
    main = {"alpha": 0.5, "embedding_scale": "global", "epochs": 10}
    _write(tmp_path / "a", "a", [{"target": "y", "model": "cgcnn", "change": 0.10, "change_per_seed": [0.1] * 3}], **main)
    _write(tmp_path / "b", "b", [{"target": "z", "model": "cgcnn", "change": -0.10, "change_per_seed": [-0.1] * 3}],
           **main)
    _write(tmp_path / "scale_per_dim" / "a", "a",
           [{"target": "y", "model": "cgcnn", "change": 0.50, "change_per_seed": [0.5] * 3}],
           alpha=0.5, embedding_scale="per_dim", epochs=10)
    _write(tmp_path / "per_dim_alpha" / "a", "a",  # differs from main in two settings, from scale_per_dim in one
           [{"target": "y", "model": "cgcnn", "change": 0.20, "change_per_seed": [0.2] * 3}],
           alpha=0.1, embedding_scale="per_dim", epochs=10)
    text = summary(tmp_path)
    head, alpha, scale = text.split("## Variant")
    assert "+0.0% (2 rows)" in head and "Settings: 10 epochs, teacher crysgnn-v1, alpha 0.5, embedding scale global" in head
    assert "`scale_per_dim` (10 epochs, teacher crysgnn-v1, alpha 0.5, embedding scale per_dim)" in scale
    assert "| a (quick) | y | +50.0% (main: +10.0%) |" in scale
    assert "+50.0% (1 row) (main, same rows: +10.0%)" in scale
    assert "`per_dim_alpha` (10 epochs, teacher crysgnn-v1, alpha 0.1, embedding scale per_dim)" in alpha
    assert "| a (quick) | y | +20.0% (scale_per_dim: +50.0%) |" in alpha


def test_rows_with_a_paper_counterpart_are_averaged_beside_the_papers_same_rows(tmp_path):
    _write(tmp_path / "a", "a", [
        {"target": "y", "model": "cgcnn", "change": -0.10, "change_per_seed": [-0.1] * 3,
         "paper_row": "MP formation energy"},  # paper: 0.039 -> 0.032 eV/atom, -17.9 %
        {"target": "w", "model": "cgcnn", "change": 0.30, "change_per_seed": [0.3] * 3,
         "paper_row": "MP band gap"},  # paper: 0.388 -> 0.293 eV, -24.5 %
        {"target": "y", "model": "alignn", "change": 0.02, "change_per_seed": [0.02] * 3},
    ])
    _write(tmp_path / "b", "b", [{"target": "z", "model": "cgcnn", "change": 0.40, "change_per_seed": [0.4] * 3}])
    text = summary(tmp_path)
    assert "| mean over rows with a paper counterpart | | +10.0% (2 rows) | - |" in text
    assert "| paper, mean over the same rows | | -21.2% (2 rows) | - |" in text
    assert "+20.0% (3 rows)" in text


def test_no_paper_lines_when_no_row_maps_to_the_paper(tmp_path):
    _write(tmp_path / "a", "a", [{"target": "y", "model": "cgcnn", "change": 0.1, "change_per_seed": [0.1] * 3}])
    assert "paper counterpart" not in summary(tmp_path)


MAIN = {"alpha": 0.5, "embedding_scale": "global", "epochs": 10}  # recorded before the schedule: constant


def _main_and_variant(tmp_path, name: str, change: float, model: str = "cgcnn", **variant_meta) -> tuple[str, str]:
    """SUMMARY's head and its one variant's section: main's row y changes by +4 %, the variant's by ``change``."""
    _write(tmp_path / "a", "a", [{"target": "y", "model": model, "change": 0.04, "change_per_seed": [0.04] * 3}],
           **MAIN)
    _write(tmp_path / name / "a", "a",
           [{"target": "y", "model": model, "change": change, "change_per_seed": [change] * 3}],
           **{**MAIN, **variant_meta})
    head, variant = summary(tmp_path).split("## Variant")
    return head, variant


def test_an_override_variant_is_described_and_compared_with_main(tmp_path):
    head, variant = _main_and_variant(tmp_path, "scratch", -0.02, "crysxpp", model_overrides={"autoencoder": None})
    assert "students with" not in head
    assert "`scratch` (10 epochs, teacher crysgnn-v1, alpha 0.5, embedding scale global, students with autoencoder=null)" in variant
    assert "| a (quick) | y | -2.0% (main: +4.0%) |" in variant


def test_a_larger_training_set_is_part_of_a_variants_settings(tmp_path):
    head, variant = _main_and_variant(tmp_path, "bigger", -0.06, epochs=30, max_train=5000)
    assert "training crystals" not in head
    assert "`bigger` (30 epochs, at most 5000 training crystals, teacher crysgnn-v1, alpha 0.5, embedding scale global)" in variant
    assert "(10 epochs, teacher crysgnn-v1, alpha 0.5, embedding scale global) beside it" in variant  # compared with main


def test_an_alpha_schedule_variant_is_described_and_compared_with_main(tmp_path):
    head, variant = _main_and_variant(tmp_path, "decay", -0.06, alpha_schedule="linear_decay")
    assert "Settings: 10 epochs, teacher crysgnn-v1, alpha 0.5, embedding scale global" in head
    assert "`decay` (10 epochs, teacher crysgnn-v1, alpha 0.5 decaying linearly to 0, embedding scale global)" in variant
    assert "| a (quick) | y | -6.0% (main: +4.0%) |" in variant


def test_a_teacher_variant_names_its_teacher(tmp_path):
    _, variant = _main_and_variant(tmp_path, "teacher_chgnet", -0.08, teacher="chgnet-0.3.0")
    assert "`teacher_chgnet` (10 epochs, teacher chgnet-0.3.0, alpha 0.5" in variant
    assert "| a (quick) | y | -8.0% (main: +4.0%) |" in variant


def test_a_variant_with_no_row_in_main_says_its_cells_stand_alone(tmp_path):
    _write(tmp_path / "a", "a", [{"target": "y", "model": "cgcnn", "change": 0.04, "change_per_seed": [0.04] * 3}])
    _write(tmp_path / "full" / "a", "a", [{"target": "y", "model": "cgcnn", "change": -0.02, "change_per_seed": [-0.02]}],
           profile="paper", epochs=100)
    variant = summary(tmp_path).split("## Variant")[1]
    assert "None of its rows (data set, profile, property) is in `main`, so its cells stand alone." in variant
    assert "beside it" not in variant and "| a (paper) | y | -2.0% |" in variant


def test_rows_whose_labels_the_teacher_saw_are_marked(tmp_path):
    not_clean = {"teacher": "chgnet-0.3.0", "teacher_not_clean_for": ["mp_37k", "mp_elastic"]}
    _write(tmp_path / "mp", "mp", [{"target": "y", "model": "cgcnn", "change": -0.1, "change_per_seed": [-0.1] * 3}],
           data="mp_37k (MP crystals)", **not_clean)
    _write(tmp_path / "perov_5", "perov_5",
           [{"target": "z", "model": "cgcnn", "change": 0.1, "change_per_seed": [0.1] * 3}], **not_clean)
    text = summary(tmp_path)
    assert "| mp* (quick) | y | -10.0% |" in text and "| perov_5 (quick) | z | +10.0% |" in text
    assert "not a clean comparison for the teacher" in text and "(mp_37k)" in text


def test_no_mark_when_the_teacher_saw_no_labels(tmp_path):
    _write(tmp_path / "mp", "mp", [{"target": "y", "model": "cgcnn", "change": -0.1, "change_per_seed": [-0.1] * 3}],
           data="mp_37k", teacher="crysgnn-v1", teacher_not_clean_for=[])
    text = summary(tmp_path)
    assert "| mp (quick) |" in text and "not a clean comparison" not in text


def _ladder_runs(n_train, val_changes, target="y", teacher_epochs=None):
    runs = []
    for seed, change in enumerate(val_changes):
        run = {"dataset": "d", "target": target, "model": "cgcnn", "seed": seed, "split_seed": seed,
               "split_hash": f"h{seed}",
               "split_sizes": [n_train, 1, 1], "test": {"mae": 1.0}}
        runs += [{**run, "mode": "vanilla", "extra": {"val": {"mae": 1.0}, "train_config": {"epochs": 10}}},
                 {**run, "mode": "distilled", "test": {"mae": 1.0 + change},
                  "extra": {"val": {"mae": 1.0 + change}, "train_config": {"epochs": 10},
                            "distill": {"teacher_epochs": teacher_epochs}}}]
    return runs


def test_the_ladder_pairs_seeds_across_folders_and_plots_change_against_size(tmp_path, capsys):
    from benchmarks.summary import main

    for name in ("small", "van", "dist"):
        (tmp_path / name).mkdir()
    write_records(tmp_path / "small", {"dataset": "d"}, _ladder_runs(1000, [-0.1, -0.05]))
    both = _ladder_runs(30000, [0.02], teacher_epochs=2.5) + _ladder_runs(30000, [0.5], target="other")
    write_records(tmp_path / "van", {"dataset": "d"}, [r for r in both if r["mode"] == "vanilla"])
    write_records(tmp_path / "dist", {"dataset": "d"}, [r for r in both if r["mode"] == "distilled"])
    main(["--ladder", str(tmp_path / "small"), f"{tmp_path / 'van'}+{tmp_path / 'dist'}@y",
          "--out", str(tmp_path / "ladder.md")])
    table = (tmp_path / "ladder.md").read_text()
    assert "| d y | cgcnn | 1,000 | 10 | all | 0,1 | -10.0, -5.0 | -7.5% |" in table
    assert "| d y | cgcnn | 30,000 | 10 | 2.5 | 0 | +2.0 | +2.0% |" in table
    assert "other" not in table and (tmp_path / "ladder.png").stat().st_size > 0
