"""Releasing a trained property model: complete card, verified load, prediction by path."""
from __future__ import annotations

import json

import pytest

from crysgnn_zoo.config import DistillConfig, TrainConfig
from crysgnn_zoo.hub.card import ModelCard
from crysgnn_zoo.predict import load_model, predict
from crysgnn_zoo.train.run import train_model

def test_release_writes_a_complete_card_that_loads_and_predicts(tmp_path, script):
    run = tmp_path / "run"
    train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                train_config=TrainConfig(epochs=2), max_samples=60, split_sizes=(40, 10, 10), out_dir=run,
                workers=1, progress=False)
    table = tmp_path / "releases.json"
    dest = script("release_model").release(run, "cgcnn-tiny-band-gap", "crysgnn-zoo train ...", "MIT",
                                           tmp_path / "weights", tmp_path / "dist", table, plots=tmp_path / "plots")
    assert (tmp_path / "plots" / "cgcnn-tiny-band-gap.png").stat().st_size > 1000
    card = ModelCard.load(dest)
    assert card.data["split_sizes"] == [40, 10, 10] and card.data["fingerprint"] and card.metrics["unit"] == "eV"
    assert set(card.metrics["test"]) >= {"mae", "rmse", "r2"} and card.metrics["mean_predictor_mae"] > 0
    assert len(card.extra["validation_curve"]) == 2 and card.training["distilled_from"] is None
    assert json.loads(table.read_text())[0]["weights_sha256"] == card.sha256
    assert sorted(p.name for p in dest.iterdir()) == ["README.md", "card.json", "config.json", "weights.pt"]
    model = load_model(dest)
    assert model.card["elements"] and model.unit == "eV"
    cif = tmp_path / "x.cif"
    from crysgnn_zoo.data.sources import dataset_source

    cif.write_text(next(iter(dataset_source("mp_37k_sample").entries())).payload)
    assert predict(model, cif).error[0] == ""


def test_markdown_table_lists_property_models_only(tmp_path, script):
    run = tmp_path / "run"
    train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                train_config=TrainConfig(epochs=1), max_samples=60, split_sizes=(40, 10, 10), out_dir=run,
                workers=1, progress=False)
    release_model = script("release_model")
    release_model.release(run, "cgcnn-tiny-fe", "cmd", "MIT", tmp_path / "weights", tmp_path / "dist",
                          tmp_path / "r.json")
    table = release_model.markdown_table(tmp_path / "weights").splitlines()
    assert len(table) == 3 and table[2].startswith("| `cgcnn-tiny-fe` | mp_37k_sample formation_energy_per_atom")


def test_a_distilled_release_records_its_whole_distillation_config(tmp_path, script):
    run = tmp_path / "run"
    config = DistillConfig(alpha=0.4, alpha_schedule="linear_decay")
    train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                train_config=TrainConfig(epochs=1), max_samples=40, split_sizes=(30, 5, 5), distill=config,
                out_dir=run, workers=1, progress=False)
    release_model = script("release_model")
    dest = release_model.release(run, "cgcnn-tiny-distilled", "cmd", "MIT", tmp_path / "weights", tmp_path / "dist",
                                 tmp_path / "r.json")
    assert ModelCard.load(dest).training["distilled_from"] == config.to_dict()
    assert "crysgnn-v1 (alpha 0.4 decaying linearly to 0)" in (dest / "README.md").read_text()
    assert "alpha 0.4 decaying" in release_model.markdown_table(tmp_path / "weights")


def _released_property_models() -> list[str]:
    import crysgnn_zoo_weights

    return [n for n in crysgnn_zoo_weights.available()
            if "test" in json.loads((crysgnn_zoo_weights.path_of(n) / "card.json").read_text()).get("metrics", {})]


@pytest.mark.parametrize("name", _released_property_models())
def test_every_released_property_model_verifies_and_predicts(name, tmp_path):
    from crysgnn_zoo.data.sources import dataset_source
    from crysgnn_zoo.download import sha256_of
    from crysgnn_zoo.hub.resolve import releases, resolve_weights

    folder = resolve_weights(name, download_missing=False)
    card = ModelCard.load(folder)
    assert card.sha256 == sha256_of(folder / "weights.pt") == releases()[name].weights_sha256
    assert card.data["split_hash"] and card.metrics["unit"] and card.metrics["test"]["mae"] > 0 and card.license
    model = load_model(name)
    assert card.num_params == sum(p.numel() for p in model.model.parameters())
    cif = tmp_path / "x.cif"
    cif.write_text(next(iter(dataset_source("mp_37k_sample").entries())).payload)
    table = predict(model, cif)
    assert table.error[0] == "" and table.unit[0] == card.metrics["unit"]
