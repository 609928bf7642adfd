"""The paper-table runner end to end on a tiny sub-sample of the embedded data."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import run as runner
from benchmarks.protocol import PAPER_TABLE, PROFILES, paper_mean_change
from benchmarks.records import read_records, write_records

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def test_split_counts_follow_the_profile():
    quick, paper = PROFILES["quick"], PROFILES["paper"]
    assert runner.split_counts(1000, quick, None, None) == (800, 100, 100)
    assert runner.split_counts(36737, quick, None, None) == (1000, 250, 500)
    assert runner.split_counts(36737, quick, None, 300) == (300, 250, 500)
    assert runner.split_counts(69239, paper, (60000, 5000, 4239), None) == (60000, 5000, 4239)
    small = runner.split_counts(36737, paper, (60000, 5000, 4239), None)
    assert sum(small) <= 36737 and small[0] / small[1] == pytest.approx(12, rel=0.01)
    assert runner.split_counts(100, paper, None, None) == (80, 10, 10)


def test_paper_table_means_match_the_published_trend():
    assert len(PAPER_TABLE) == 11
    assert paper_mean_change("cgcnn") < paper_mean_change("alignn") < 0


def test_runner_end_to_end_and_resumable(tmp_path, capsys):
    out = tmp_path / "bench"
    argv = ["--dataset", "mp_37k_sample", "--models", "cgcnn,gatgnn", "--seeds", "0", "--max-train", "40",
            "--epochs", "1", "--properties", "band_gap", "--out", str(out)]
    assert runner.main(argv) == 0
    meta, runs = read_records(out)
    assert meta["dataset"] == "mp_37k_sample" and pd.read_json(out / "runs.jsonl", lines=True).shape[0] == 5
    assert {(r["model"], r["mode"]) for r in runs} == {(m, d) for m in ("cgcnn", "gatgnn") for d in ("vanilla", "distilled")}
    assert len({r["split_hash"] for r in runs}) == 1  # one split for every student and mode
    assert all(r["split_sizes"] == [40, 100, 100] for r in runs)
    for r in runs:
        assert r["graph_seconds"] >= 0 and r["seconds_per_epoch"] > 0 and r["test"]["mae"] > 0
        assert r["extra"]["train_config"]["epochs"] == 1
    assert all(r["history"] and r["run_config"]["model"] == r["model"] and r["model_config"] for r in runs)
    assert all(r["split"] == {"seed": 0, "sizes": [40, 100, 100], "hash": r["split_hash"]} for r in runs)
    assert runner.summarize(runs)[0]["change"] is not None
    table = (out / "table.md").read_text()
    assert "band_gap (eV)" in table and "| cgcnn |" in table and "mp_37k_sample" in table
    assert (out / "plot.png").stat().st_size > 1000
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/*/*/seed0/result.json")}
    assert len(stamps) == 4
    assert runner.main(argv) == 0  # finished runs are skipped, not retrained
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    # a different budget in the same folder would mix protocols in one table: refused
    assert runner.main([*argv, "--epochs", "2"]) == 2  # the later --epochs wins
    assert "other settings" in capsys.readouterr().err
    for other in (["--alpha", "0.25"], ["--embedding-scale", "per_dim"]):  # distilled runs under other distillation
        assert runner.main([*argv, *other]) == 2
        assert "other settings" in capsys.readouterr().err
    # another student with its own alpha joins the folder: the table names each student's
    assert runner.main([*argv[:3], "crysxpp", *argv[4:]]) == 0
    assert ("alpha 0.5 decaying linearly to 0 (cgcnn: alpha 0.5 decaying linearly to 0 at half the epochs; "
            "crysxpp: alpha 0.25 decaying linearly to 0 at half the epochs)") in (out / "table.md").read_text()


def test_rows_from_the_data_card_are_labelled_as_analogs():
    if not (SHARED / "mp_elastic").exists():
        pytest.skip("../shared/datasets not present")
    plan = runner.plan_for("mp_elastic", None, None)
    assert [t.target for t in plan.tasks] == ["bulk_modulus_vrh", "shear_modulus_vrh"]
    assert all(t.row.analog and t.row.row in PAPER_TABLE for t in plan.tasks)
    jarvis = runner.plan_for("jarvis", str(SHARED / "jarvis_sample" / "dft_3d_sample.json"), None)
    assert [(t.target, t.unit, t.row.row, t.row.analog) for t in jarvis.tasks] == [
        ("optb88vdw_bandgap", "eV", "JARVIS band gap (OPT)", False)]
    mp = runner.plan_for("mp", None, None)
    assert [t.target for t in mp.tasks] == ["formation_energy_per_atom", "band_gap"] and "mp_37k" in mp.data_label


def test_jarvis_offline_gives_one_clear_message(capsys, monkeypatch):
    from crysgnn_zoo.data.errors import SourceNotFoundError

    def offline(dataset="dft_3d", path=None):
        raise SourceNotFoundError("jarvis:dft_3d", "jarvis-tools could not fetch it (ConnectionError: no network)")

    monkeypatch.setattr(runner, "jarvis_source", offline)
    assert runner.main(["--dataset", "jarvis"]) == 2
    err = capsys.readouterr().err
    assert "not reachable" in err and "--data-path" in err and "mp_ehull" in err and "mp_elastic" in err
    assert "Traceback" not in err


def test_unknown_property_or_set_is_one_line_error(capsys):
    assert runner.main(["--dataset", "mp_37k_sample", "--properties", "bandgap"]) == 2
    assert "available: ['band_gap'" in capsys.readouterr().err
    assert runner.main(["--dataset", "mp_37k_sampel"]) == 2
    assert "mp_37k_sample" in capsys.readouterr().err  # the did-you-mean


def test_student_overrides_are_run_recorded_and_kept_apart(tmp_path, capsys):
    out = tmp_path / "ablation"
    argv = ["--dataset", "mp_37k_sample", "--models", "crysxpp", "--seeds", "0", "--max-train", "30",
            "--epochs", "1", "--properties", "band_gap", "--out", str(out), "--set", "selector_l1=0.001",
            "--pretrained", "none"]
    assert runner.main(argv) == 0
    runs = read_records(out)[1]
    assert len(runs) == 2 and all(r["model_overrides"] == {"selector_l1": 0.001} for r in runs)
    assert all(r["pretrained"] is None and r["extra"]["pretrained_start"] is None for r in runs)  # random start
    table = (out / "table.md").read_text()
    assert "Student config overrides (ablation): selector_l1=0.001" in table and "none (random weights)" in table
    capsys.readouterr()
    assert runner.main(argv[:-4]) == 2  # the same folder without the override would mix two protocols
    assert "--set overrides" in capsys.readouterr().err


def test_unknown_override_is_refused_before_any_work(tmp_path, capsys):
    argv = ["--dataset", "mp_37k_sample", "--models", "cgcnn,crysxpp", "--out", str(tmp_path / "x")]
    assert runner.main([*argv, "--set", "selector_l1=0.1"]) == 2  # cgcnn has no feature selector
    err = capsys.readouterr().err
    assert err.startswith("error:") and "selector_l1" in err and "Traceback" not in err
    assert runner.main([*argv, "--set", "selector_l1"]) == 2  # no '='
    assert "key=value" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_graph_build_time_survives_resumed_invocations(tmp_path):
    first = runner.graph_timing(tmp_path, 7.25, from_cache=False)
    assert first["graph_build_seconds"] == 7.25 and "graph building 7.2 s" in runner.graph_timing_text(first)
    write_records(tmp_path, first, [])
    resumed = runner.graph_timing(tmp_path, 0.02, from_cache=True)
    assert resumed["graph_build_seconds"] == 7.25 and resumed["graph_load_seconds"] == 0.02
    write_records(tmp_path, resumed, [])
    again = runner.graph_timing(tmp_path, 0.03, from_cache=True)
    assert again["graph_build_seconds"] == 7.25
    assert "loaded the cache in 0.0 s" in runner.graph_timing_text(again)
    # graphs built elsewhere (no earlier build in this folder): said, not reported as a build time
    fresh = runner.graph_timing(tmp_path / "other", 0.01, from_cache=True)
    assert fresh["graph_build_seconds"] is None and "not timed here" in runner.graph_timing_text(fresh)


def test_runs_recorded_before_a_setting_existed_match_its_default():
    cfg = runner.train_config(PROFILES["quick"], "cgcnn", 0)
    recorded = cfg.to_dict()
    del recorded["precision"], recorded["compile"]  # fields added to TrainConfig later
    assert runner.same_train_config(recorded, cfg)
    assert not runner.same_train_config({**recorded, "lr": 1.0}, cfg)
    bf16 = dataclasses.replace(cfg, precision="bf16")
    assert not runner.same_train_config(recorded, bf16)


def test_runs_recorded_before_auto_loss_and_r2_selection_match_where_they_trained_alike():
    """A run recorded with ``loss="mse"`` and no ``select`` is today's default run on a target whose
    ``auto`` loss is mse, when the epoch it kept had validation R2 > 0; not on a zero-inflated
    target (huber) nor when the kept epoch learned nothing (``mae_r2`` would keep another)."""
    cfg = runner.train_config(PROFILES["quick"], "cgcnn", 0)
    assert cfg.loss == "auto" and cfg.select == "mae_r2"
    recorded = {**cfg.to_dict(), "loss": "mse"}
    del recorded["select"]
    assert runner.same_train_config(recorded, cfg, auto_loss="mse", kept_r2=0.9)
    assert not runner.same_train_config(recorded, cfg, auto_loss="huber", kept_r2=0.9)
    assert not runner.same_train_config(recorded, cfg, auto_loss="mse", kept_r2=-0.1)
    assert runner.same_train_config(cfg.to_dict(), cfg, auto_loss="huber", kept_r2=-0.1)  # recorded under today's


def test_the_auto_loss_of_a_task_follows_its_range():
    source = runner.open_source("mp_37k_sample")
    store = runner.build_store(source, runner.GraphConfig(), progress=False).store
    gaps, _ = runner.select_target(store, "band_gap", source.name)
    energies, _ = runner.select_target(store, "formation_energy_per_atom", source.name)
    assert runner.auto_loss_of(source, gaps, "band_gap") == "huber"  # metals at 0 eV
    assert runner.auto_loss_of(source, energies, "formation_energy_per_atom") == "mse"


def test_the_change_pairs_seeds_when_the_modes_ran_different_seeds():
    def run(mode, seed, mae):
        return {"target": "y", "model": "cgcnn", "mode": mode, "seed": seed, "test": {"mae": mae}, "unit": "eV",
                "split_sizes": [8, 1, 1], "split_hash": f"h{seed}", "seconds_per_epoch": 1.0, "train_seconds": 1.0}
    runs = [run("vanilla", 0, 1.0), run("vanilla", 1, 3.0), run("vanilla", 2, 3.0), run("distilled", 0, 0.9)]
    row = runner.summarize(runs)[0]
    assert row["vanilla"]["mean"] == pytest.approx(7 / 3) and row["distilled"]["mean"] == 0.9
    assert row["change"] == pytest.approx(-0.1) and row["change_per_seed"] == [pytest.approx(-0.1)]


def test_a_row_without_distilled_runs_names_the_vanilla_seeds():
    meta = {"dataset": "x", "profile": "quick", "data": "x", "profile_description": "d", "epochs": 10,
            "teacher": "crysgnn-v1", "alpha": 0.5, "embedding_scale": "global", "machine": "m",
            "graph_build_seconds": 1.0, "graphs_from_cache": False, "graph_load_seconds": 1.0}
    row = {"target": "y", "unit": "eV", "paper_row": None, "analog": False, "model": "alignn", "change": None,
           "paper": None, "seconds_per_epoch": {"vanilla": 30.0}, "change_per_seed": [], "split_sizes": [8, 1, 1],
           "vanilla": {"mean": 0.1, "std": 0.01, "n": 3, "seeds": [0, 1, 2]},
           "distilled": {"mean": None, "std": None, "n": 0, "seeds": []}, "split_hash_by_seed": {}}
    table = runner.markdown(meta, [row])
    assert "| y (eV) | alignn | 8/1/1 | vanilla 0,1,2 | 0.1 ± 0.01 | - | - | - | - | - | 30.0 |" in table
    assert "- Distillation: none (vanilla runs only)" in table and "crysgnn-v1" not in table
    with_distilled = {**row, "distilled": {"mean": 0.09, "std": 0.0, "n": 1, "seeds": [0]}}
    assert "- Distillation: teacher crysgnn-v1, alpha 0.5" in runner.markdown(meta, [with_distilled])


def test_a_size_rule_that_leaves_the_run_as_it_was_reuses_the_finished_run():
    """A distilled run recorded without max_train_crystals (or teacher_crystals) is the same run
    under a limit it stays below, and another run where the limit turns the teacher off."""
    from crysgnn_zoo.config import TrainConfig

    req = runner._request(["--dataset", "mp_37k_sample", "--models", "cgcnn", "--seeds", "0"])
    cfg = TrainConfig(epochs=10)
    recorded = {**req.distill.to_dict(), "alpha": 0.5, "alpha_schedule": "half_decay", "max_train_crystals": None}
    done = {"model": "cgcnn", "split_sizes": [1000, 250, 500], "extra": {"train_config": cfg.to_dict(),
                                                                      "distill": recorded}}
    assert not runner._finished_elsewise(done, req, "distilled", cfg, (1000, 250, 500))
    big = {**done, "split_sizes": [30000, 250, 500]}
    assert runner._finished_elsewise(big, req, "distilled", cfg, (30000, 250, 500))
