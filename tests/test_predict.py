"""Prediction for users: every input kind gives the same value for the same crystal."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.data.errors import NoUsableDataError
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.data.structures import atoms_from_cif
from crysgnn_zoo.predict import load_model, predict
from crysgnn_zoo.train.run import train_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("predict") / "run"
    train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                train_config=TrainConfig(epochs=1), max_samples=60, split_sizes=(40, 10, 10), out_dir=out,
                workers=1, progress=False)
    return out / "checkpoint"


@pytest.fixture(scope="module")
def crystals():
    return [e for _, e in zip(range(3), dataset_source("mp_37k_sample").entries())]


def _inputs(kind, entry, tmp_path):
    import ase.io

    ase_atoms = ase.io.read(io.StringIO(entry.payload), format="cif")
    if kind == "cif":
        path = tmp_path / f"{entry.id}.cif"
        path.write_text(entry.payload)
        return str(path)
    if kind == "poscar":
        path = tmp_path / "POSCAR"
        ase.io.write(path, ase_atoms, format="vasp", direct=True)
        return path
    if kind == "folder":
        (tmp_path / "f").mkdir()
        (tmp_path / "f" / f"{entry.id}.cif").write_text(entry.payload)
        return tmp_path / "f"
    if kind == "csv":
        path = tmp_path / "s.csv"
        pd.DataFrame({"material_id": [entry.id], "cif": [entry.payload]}).to_csv(path, index=False)
        return path
    if kind == "ase":
        return ase_atoms
    if kind == "jarvis":
        return atoms_from_cif(entry.payload, entry.id)
    if kind == "pymatgen":
        pymatgen = pytest.importorskip("pymatgen.core")
        return pymatgen.Structure.from_str(entry.payload, fmt="cif")
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["cif", "poscar", "folder", "csv", "ase", "jarvis", "pymatgen"])
def test_every_input_kind_gives_the_same_prediction(kind, model_dir, crystals, tmp_path):
    model = load_model(model_dir)
    reference = predict(model, str(tmp_path_cif(tmp_path, crystals[0])))
    table = predict(model, _inputs(kind, crystals[0], tmp_path))
    assert list(table.columns) == ["id", "prediction", "std", "interval_95", "in_domain", "unit", "error",
                                   "unseen_elements", "clipped"]
    assert len(table) == 1 and table.error[0] == "" and table.unit[0] == "eV/atom"
    assert np.isclose(table.prediction[0], reference.prediction[0], rtol=1e-5, atol=1e-6)


def tmp_path_cif(tmp_path, entry):
    path = tmp_path / "reference.cif"
    path.write_text(entry.payload)
    return path


def test_unreadable_structures_keep_their_row_with_the_reason(model_dir, crystals, tmp_path):
    bad = tmp_path / "bad.cif"
    bad.write_text("data_bad\n_cell_length_a 3\n")
    good = [tmp_path_cif(tmp_path, crystals[1])]
    table = predict(model_dir, [good[0], bad, object()])
    assert table.error[0] == "" and np.isfinite(table.prediction[0])
    assert np.isnan(table.prediction[1]) and "the CIF has no atom sites" in table.error[1]
    assert "is not a structure" in table.error[2]
    alone = predict(model_dir, [bad])  # even when none can be read, every input keeps its row
    assert len(alone) == 1 and np.isnan(alone.prediction[0]) and "no atom sites" in alone.error[0]
    with pytest.raises(NoUsableDataError, match="no structures given"):
        predict(model_dir, [])


def test_elements_never_seen_in_training_are_flagged(model_dir, crystals, tmp_path):
    model = load_model(model_dir)
    model.card["elements"] = [1]  # as if trained on hydrogen only
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = predict(model, tmp_path_cif(tmp_path, crystals[0]))
    assert table.unseen_elements[0] != "" and any("never saw in training" in str(w.message) for w in caught)


def test_trained_checkpoint_records_its_training_elements(model_dir):
    assert load_model(model_dir).card["elements"] == sorted(set(load_model(model_dir).card["elements"]))
    assert len(load_model(model_dir).card["elements"]) > 5


def test_load_model_is_the_one_loader_for_property_models_and_teachers():
    from crysgnn_zoo.errors import ConfigError
    from crysgnn_zoo.hub.checkpoint import Predictor
    from crysgnn_zoo.predict import load_model, predict

    assert isinstance(load_model("cgcnn-perov5-heat-ref"), Predictor)
    teacher = load_model("crysgnn-v1")
    assert not isinstance(teacher, Predictor) and not teacher.training
    assert all(not p.requires_grad for p in teacher.parameters())
    with pytest.raises(ConfigError, match="crysgnn-v1: a teacher or pre-trained encoder"):
        predict("crysgnn-v1", "mp_37k_sample")


def test_a_command_where_nothing_can_be_read_still_writes_every_row_and_fails(tmp_path, capsys):
    from crysgnn_zoo.cli import main

    bad = tmp_path / "bad.cif"
    bad.write_text("data_bad\n_cell_length_a 3\n")
    out = tmp_path / "pred.csv"
    assert main(["predict", "--model", "cgcnn-mp37k-band-gap", str(bad), "--out", str(out)]) == 1
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.id) == ["bad"] and "no atom sites" in table.error[0]
    assert "0 of 1 structures predicted" in capsys.readouterr().err
