"""The command line, called in-process."""
from __future__ import annotations

import csv
import json

import pytest

from crysgnn_zoo.cli import main
from crysgnn_zoo.data.sources import dataset_source


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Each test runs in its own folder: a train without --out writes runs/ there, not in the checkout."""
    monkeypatch.chdir(tmp_path)


def test_train_then_predict(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["train", "--dataset", "mp_37k_sample", "--target", "band_gap", "--epochs", "2",
               "--max-samples", "120", "--split", "80,20,20", "--set", "n_conv=1", "--set", "atom_dim=16",
               "--out", str(out), "--no-progress", "--workers", "1", "--heap", "trim"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "test MAE" in printed and "mean predictor" in printed and "eV" in printed
    result = json.loads((out / "result.json").read_text())
    assert result["split_sizes"] == [80, 20, 20] and result["epochs_run"] == 2
    assert result["extra"]["heap"] == "trim"
    assert json.loads((out / "split.json").read_text())["hash"] == result["split_hash"]

    cif_dir = tmp_path / "cifs"
    cif_dir.mkdir()
    entries = [e for _, e in zip(range(3), dataset_source("mp_37k_sample").entries())]
    for e in entries:
        (cif_dir / f"{e.id}.cif").write_text(e.payload)
    (cif_dir / "id_prop.csv").write_text("".join(f"{e.id},0\n" for e in entries))
    rc = main(["predict", "--checkpoint", str(out / "checkpoint"), "--data", str(cif_dir),
               "--out", str(tmp_path / "p.csv"), "--no-progress"])
    assert rc == 0
    rows = list(csv.reader(open(tmp_path / "p.csv")))
    assert rows[0] == ["id", "prediction", "std", "interval_95", "in_domain", "unit", "error", "unseen_elements",
                       "clipped"]
    assert [r[0] for r in rows[1:]] == [e.id for e in entries] and {r[5] for r in rows[1:]} == {"eV"}
    for folder in (str(cif_dir), *(str(cif_dir / f"{e.id}.cif") for e in entries)):  # no id_prop.csv needed
        (cif_dir / "id_prop.csv").unlink(missing_ok=True)
        assert main(["predict", "--model", str(out / "checkpoint"), folder, "--out", str(tmp_path / "q.csv"),
                     "--no-progress"]) == 0
    assert list(csv.reader(open(tmp_path / "q.csv")))[1][:3] == rows[-1][:3]


def test_unknown_dataset_is_a_clean_error(capsys):
    rc = main(["train", "--dataset", "no_such_set", "--target", "y", "--no-progress"])
    assert rc == 2
    assert "no dataset of that name" in capsys.readouterr().err


def test_unknown_target_is_a_clean_error(capsys):
    rc = main(["train", "--dataset", "mp_37k_sample", "--target", "bandgap", "--no-progress"])
    assert rc == 2
    assert "available: ['band_gap'" in capsys.readouterr().err


def test_models_and_datasets_list(capsys):
    assert main(["models"]) == 0 and "cgcnn" in capsys.readouterr().out
    assert main(["datasets"]) == 0 and "mp_37k_sample" in capsys.readouterr().out


def test_one_architecture_shows_its_whole_entry(capsys):
    import crysgnn_zoo as cz

    spec = cz.model_spec("crysxpp")
    assert spec.pretrained == "crysae-v1" and spec.recipe.lr == 3e-3 and spec.distill.alpha == 0.25
    assert all(w.sha256 for w in cz.model_spec("cgcnn").weights)
    assert {w.name for w in cz.model_spec("cgcnn").weights} >= {"cgcnn-perov5-heat-ref"}
    assert main(["models", "crysxpp"]) == 0
    out = capsys.readouterr().out
    assert "pre-trained start: crysae-v1" in out and "no teacher above 20,000 training crystals" in out


import pytest  # noqa: E402

_TINY = {"cgcnn": ["n_conv=1", "atom_dim=16"], "crysxpp": [], "gatgnn": ["n_layers=1", "dim=16"],
         "alignn": ["alignn_layers=1", "gcn_layers=1", "hidden_dim=16", "edge_embedding_dim=8"]}


@pytest.mark.parametrize("model", sorted(_TINY))
def test_every_student_trains_vanilla_and_distilled_from_the_cli(model, tmp_path, capsys):
    sets = [a for kv in _TINY[model] for a in ("--set", kv)]
    for extra in ([], ["--distill"]):
        out = tmp_path / ("distilled" if extra else "vanilla")
        rc = main(["train", "--dataset", "mp_37k_sample", "--target", "formation_energy_per_atom", "--model", model,
                   "--epochs", "1", "--max-samples", "60", "--split", "40,10,10", *sets, *extra,
                   "--out", str(out), "--no-progress", "--workers", "1"])
        assert rc == 0, capsys.readouterr().err
        result = json.loads((out / "result.json").read_text())
        assert result["model"] == model and (result["extra"]["distill"] is not None) == bool(extra)
        assert json.loads((out / "checkpoint" / "config.json").read_text())["model"] == model


def test_predict_that_reads_nothing_exits_non_zero_and_keeps_every_row(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "mp_37k_sample", "--target", "band_gap", "--epochs", "1",
                 "--max-samples", "40", "--split", "30,5,5", "--set", "n_conv=1", "--set", "atom_dim=8",
                 "--out", str(out), "--no-progress", "--workers", "1"]) == 0
    bad = tmp_path / "broken.cif"
    bad.write_text("data_broken\n_cell_length_a 3\n")
    rc = main(["predict", "--checkpoint", str(out / "checkpoint"), "--data", str(bad),
               "--out", str(tmp_path / "p.csv"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and "0 of 1 structures predicted" in err and "Traceback" not in err
    table = list(csv.reader(open(tmp_path / "p.csv")))
    assert len(table) == 2 and table[1][0] == "broken" and "atom sites" in " ".join(table[1])


def test_build_summary_counts_atoms_joined_by_the_isolated_atom_rule(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "mp_37k_sample", "--target", "band_gap", "--epochs", "1",
                 "--max-samples", "40", "--split", "30,5,5", "--set", "n_conv=1", "--set", "atom_dim=8",
                 "--cutoff", "2.5", "--out", str(out), "--no-progress", "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    n_isolated = json.loads((out / "result.json").read_text())["n_isolated"]
    assert n_isolated > 0
    assert f"{n_isolated} atom(s) had no neighbour within 2.5 Angstrom" in printed
    cif = tmp_path / "one.cif"
    cif.write_text(next(iter(dataset_source("mp_37k_sample").entries())).payload)
    assert main(["predict", "--model", str(out / "checkpoint"), str(cif), "--no-progress"]) == 0
    assert "had no neighbour within 2.5 Angstrom and were joined" in capsys.readouterr().err


def test_check_reports_each_refused_structure(tmp_path, capsys):
    folder = tmp_path / "cifs"
    folder.mkdir()
    entry = next(iter(dataset_source("mp_37k_sample").entries()))
    (folder / "good.cif").write_text(entry.payload)
    head, sites = entry.payload.split("_atom_site_occupancy\n")
    first, rest = sites.split("\n", 1)
    (folder / "half.cif").write_text(f"{head}_atom_site_occupancy\n{first[:-1]}0.5\n{rest}")
    (folder / "id_prop.csv").write_text("good,0\nhalf,0\n")
    assert main(["check", str(folder), "--no-progress", "--out", str(tmp_path / "refused.csv")]) == 1
    captured = capsys.readouterr()
    assert "2 structures, 1 pass, 1 refused (DisorderError 1)" in captured.out
    assert "half.cif" in captured.err or "(half)" in captured.err
    assert main(["check", "mp_37k_sample", "--no-progress"]) == 0
    assert "1000 structures, 1000 pass, 0 refused" in capsys.readouterr().out
    assert main(["check", "mp_37k_sample", str(folder), "--no-progress"]) == 1
    assert "total: 1002 structures in 2 sources, 1001 pass, 1 refused" in capsys.readouterr().out


def test_demo_prints_vanilla_and_distilled_per_seed(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    assert main(["demo", "--epochs", "1", "--seeds", "0,1", "--out", str(out_dir), "--no-progress"]) == 0
    out = capsys.readouterr().out
    results = {(s, m): json.loads((out_dir / f"seed{s}" / m / "result.json").read_text())
               for s in (0, 1) for m in ("vanilla", "distilled")}
    for s in (0, 1):  # both modes share each seed's split; the seeds differ
        assert results[(s, "vanilla")]["split_hash"] == results[(s, "distilled")]["split_hash"]
        van, dis = results[(s, "vanilla")]["test"]["mae"], results[(s, "distilled")]["test"]["mae"]
        row = f"{s:>4}  {results[(s, 'vanilla')]['split_hash']:<16}  {van:>8.4f}  {dis:>9.4f}  {100 * (dis / van - 1):+.1f}%"
        assert row in out
    assert results[(0, "vanilla")]["split_hash"] != results[(1, "vanilla")]["split_hash"]
    assert "mean of the per-seed changes" in out


def test_demo_refuses_a_bad_seed_list(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--seeds", "0,x"])
    assert "--seeds takes comma-separated integers" in capsys.readouterr().err


def test_released_model_predicts_from_the_cli(tmp_path, capsys):
    import crysgnn_zoo_weights

    if "cgcnn-mp37k-formation-energy" not in crysgnn_zoo_weights.available():
        pytest.skip("the weights package lacks cgcnn-mp37k-formation-energy")
    cif = tmp_path / "some.cif"
    cif.write_text(next(iter(dataset_source("mp_37k_sample").entries())).payload)
    assert main(["predict", "--model", "cgcnn-mp37k-formation-energy", str(cif), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.reader(out.splitlines()))
    assert rows[0][:6] == ["id", "prediction", "std", "interval_95", "in_domain", "unit"]
    assert rows[1][5] == "eV/atom" and float(rows[1][1]) < 5 and 0 < float(rows[1][2]) < float(rows[1][3])
    assert rows[1][4] in ("True", "False") and "out of the model's domain" in err
    assert main(["models"]) == 0 and "cgcnn-mp37k-formation-energy" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:.*never saw in training")
def test_a_bounded_release_shows_its_range_and_counts_what_it_clipped(tmp_path, capsys):
    import crysgnn_zoo_weights

    name = "cgcnn-mpehull-e-above-hull"  # a clipping release (the band-gap one has a softplus bound)
    if name not in crysgnn_zoo_weights.available():
        pytest.skip(f"the weights package lacks {name}")
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "predictions in [0, inf) eV/atom" in next(x for x in lines if name in x)
    assert "predictions in [0, inf) eV" in next(x for x in lines if "cgcnn-mp37k-band-gap" in x)
    assert main(["predict", "--model", name, "mp_37k_sample", "--out", "ehull.csv", "--no-progress"]) == 0
    err = capsys.readouterr().err
    rows = list(csv.DictReader(open("ehull.csv")))
    n_clipped = sum(r["clipped"] == "True" for r in rows)
    assert n_clipped > 0 and all(float(r["prediction"]) >= 0 for r in rows)  # the raw model gives negative values
    assert f"{n_clipped} prediction(s) fell outside the target's range [0, inf) eV/atom" in err


def test_nothing_the_user_has_is_overwritten(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--dataset", "mp_37k_sample", "--target", "band_gap", "--epochs", "1", "--max-samples", "40",
            "--split", "30,5,5", "--set", "n_conv=1", "--set", "atom_dim=8", "--no-progress", "--workers", "1"]
    assert main(argv) == 0  # no --out: a new folder under runs/, said on stderr
    said = capsys.readouterr().err
    kept = said.split("run folder: ")[1].split(" ")[0]
    assert kept.startswith("runs/mp_37k_sample-band_gap-cgcnn-") and (tmp_path / kept / "result.json").exists()
    out = tmp_path / "run"
    assert main([*argv, "--out", str(out)]) == 0
    first = (out / "result.json").read_text()
    assert main([*argv, "--out", str(out)]) == 2  # a finished run is not replaced silently
    assert "holds a finished run" in capsys.readouterr().err and (out / "result.json").read_text() == first
    assert main(["train", "--out", str(out), "--resume", "--no-progress", "--workers", "1"]) == 0  # its run.json
    (out / "result.json").unlink()  # as if interrupted
    assert main([*argv, "--out", str(out)]) == 2
    assert "interrupted run" in capsys.readouterr().err
    assert main([*argv, "--out", str(out), "--overwrite"]) == 0
    (tmp_path / "notes.txt").write_text("mine")
    assert main([*argv, "--out", str(tmp_path / "notes.txt")]) == 2
    assert "is a file" in capsys.readouterr().err and (tmp_path / "notes.txt").read_text() == "mine"

    cif = tmp_path / "one.cif"
    cif.write_text(next(dataset_source("mp_37k_sample").entries()).payload)
    before = cif.read_text()
    assert main(["predict", "--model", str(out / "checkpoint"), str(cif), "--out", str(cif), "--no-progress"]) == 2
    assert "is one of the inputs" in capsys.readouterr().err and cif.read_text() == before
    deep = tmp_path / "new" / "folder" / "p.csv"
    assert main(["predict", "--model", str(out / "checkpoint"), str(cif), "--out", str(deep), "--no-progress"]) == 0
    assert deep.exists()


def test_check_reads_a_plain_folder_as_predict_does(tmp_path, capsys):
    entry = next(iter(dataset_source("mp_37k_sample").entries()))
    (tmp_path / "good.cif").write_text(entry.payload)
    (tmp_path / "notes.txt").write_text("not a structure")
    assert main(["check", str(tmp_path), "--no-progress"]) == 0  # no id_prop.csv needed
    assert "1 structures, 1 pass, 0 refused" in capsys.readouterr().out


def test_a_set_value_of_the_wrong_type_names_the_expected_type(capsys):
    rc = main(["train", "--dataset", "mp_37k_sample", "--target", "band_gap", "--set", "n_conv=abc", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "CGCNNConfig.n_conv takes an integer, got 'abc'" in err and "Traceback" not in err


def test_rows_left_out_for_a_non_numeric_target_are_counted_on_the_console(tmp_path, capsys):
    entries = [e for _, e in zip(range(12), dataset_source("mp_37k_sample").entries())]
    rows = [["id", "cif", "y"]] + [[e.id, e.payload, "n/a" if k < 2 else str(k)] for k, e in enumerate(entries)]
    with open(tmp_path / "d.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert main(["train", "--data-path", str(tmp_path / "d.csv"), "--target", "y", "--epochs", "1",
                 "--split", "6,2,2", "--set", "n_conv=1", "--set", "atom_dim=8", "--out", str(tmp_path / "run"),
                 "--no-progress", "--workers", "1"]) == 0
    assert "2 row(s) without a numeric 'y' left out (listed in skipped.csv)" in capsys.readouterr().out
    assert len((tmp_path / "run" / "skipped.csv").read_text().splitlines()) == 3
