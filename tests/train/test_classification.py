"""Binary classification (``TrainConfig.task="classification"``): a threshold on a target, cross-entropy,
ROC-AUC and accuracy, a probability from predict, for every student, vanilla and distilled."""
from __future__ import annotations

import json

import numpy as np
import pytest

from crysgnn_zoo.config import DistillConfig, TrainConfig
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.train.metrics import classification_metrics
from crysgnn_zoo.train.run import train_model

TINY = {"cgcnn": {"n_conv": 1, "atom_dim": 8}, "crysxpp": {}, "gatgnn": {"n_layers": 1, "dim": 16},
        "alignn": {"alignn_layers": 1, "gcn_layers": 1, "hidden_dim": 16, "edge_embedding_dim": 8}}


def test_metrics_of_probabilities():
    m = classification_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.7, 0.9]))
    assert m["roc_auc"] == 1.0 and m["accuracy"] == 0.75 and m["positive_share"] == 0.5
    assert np.isnan(classification_metrics(np.ones(3), np.full(3, 0.7))["roc_auc"])  # one class: undefined


@pytest.fixture(scope="module")
def metal_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cls") / "run"
    result = train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides=TINY["cgcnn"],
                         train_config=TrainConfig(epochs=3, lr=5e-3, task="classification", threshold=0.0),
                         max_samples=200, split_sizes=(150, 25, 25), out_dir=out, workers=1, progress=False)
    return out, result


def test_a_classifier_reports_auc_and_accuracy_on_thresholded_labels(metal_run):
    out, result = metal_run
    assert {"roc_auc", "accuracy", "mae", "r2"} <= set(result.test) and 0.0 <= result.test["roc_auc"] <= 1.0
    gaps = {e.id: e.targets["band_gap"] for e in dataset_source("mp_37k_sample").entries()}
    test_ids = json.loads((out / "split.json").read_text())["test"]
    assert result.test["positive_share"] == pytest.approx(np.mean([gaps[i] > 0 for i in test_ids]))
    assert result.unit == "probability of band_gap > 0 eV"
    config = json.loads((out / "checkpoint" / "config.json").read_text())
    assert config["output_bound"] == "probability" and config["range"] is None


def test_predict_gives_a_probability(metal_run):
    from crysgnn_zoo.predict import load_model, predict

    out, _ = metal_run
    table = predict(load_model(out / "checkpoint"), "mp_37k_sample")
    assert table.prediction.between(0.0, 1.0).all() and table.prediction.std() > 0
    assert (table.unit == "probability of band_gap > 0 eV").all()


@pytest.mark.parametrize("model", sorted(TINY))
@pytest.mark.parametrize("distill", [False, True])
def test_every_student_classifies_vanilla_and_distilled(model, distill, tmp_path):
    result = train_model("mp_37k_sample", "band_gap", model, model_overrides=TINY[model],
                         train_config=TrainConfig(epochs=1, task="classification"), max_samples=48,
                         split_sizes=(32, 8, 8), out_dir=tmp_path / "run", workers=1, progress=False,
                         distill=DistillConfig() if distill else False)
    assert "accuracy" in result.test and result.test["n"] == 8
