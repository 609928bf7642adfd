"""get_model(..., distill=True) and distilled training runs, with the released teacher."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import DistillConfig, GraphConfig, TrainConfig
from crysgnn_zoo.distill import DistilledModel
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.hub.checkpoint import load_checkpoint
from crysgnn_zoo.train.run import train_model


def test_get_model_wraps_the_student_with_the_released_teacher(sample_store):
    model = get_model("cgcnn", distill=True)
    assert isinstance(model, DistilledModel) and isinstance(model.projection, torch.nn.Linear)
    assert torch.equal(model.projection.weight, torch.eye(64))  # equal widths: starts as the identity
    assert model.teacher_model.card["name"] == "crysgnn-v1"
    narrow = get_model("cgcnn", distill=True, atom_dim=32, alpha=0.25)
    assert isinstance(narrow.projection, torch.nn.Linear) and narrow.alpha == 0.25
    loss, pred = narrow.training_loss(collate(sample_store, np.arange(6)), torch.zeros(6, 1))
    assert float(loss.detach()) > 0 and pred.shape == (6, 1)
    assert model.scale == "global" and get_model("cgcnn", distill=True, embedding_scale="per_dim").scale == "per_dim"
    with pytest.raises(ValueError, match="per_dim"):
        get_model("cgcnn", distill=True, embedding_scale="per_atom")


def test_distilled_run_saves_a_plain_student(tmp_path):
    result = train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn",
                         distill=DistillConfig(embedding_scale="per_dim"),
                         model_overrides={"n_conv": 1}, train_config=TrainConfig(epochs=1),
                         max_samples=60, split_sizes=(40, 10, 10), out_dir=tmp_path, workers=1, progress=False)
    assert result.extra["distill"]["teacher"] == "crysgnn-v1" and result.extra["distill"]["cached"]
    assert result.extra["distill"]["embedding_scale"] == "per_dim"
    epoch = json.loads((tmp_path / "history.json").read_text())["epochs"][0]  # both terms logged, unweighted
    assert epoch["train_embedding_loss"] > 0 and epoch["train_task_loss"] > 0
    assert epoch["train_loss"] == pytest.approx(0.5 * epoch["train_task_loss"] + 0.5 * epoch["train_embedding_loss"],
                                                rel=1e-5)
    predictor = load_checkpoint(result.checkpoint)
    assert predictor.model.registry_name == "cgcnn" and not isinstance(predictor.model, DistilledModel)


def test_teacher_graph_settings_must_match(tmp_path):
    with pytest.raises(ValueError, match="same graph settings"):
        train_model("mp_37k_sample", "band_gap", "cgcnn", distill=True, graph_config=GraphConfig(cutoff=6.0),
                    train_config=TrainConfig(epochs=1), max_samples=30, split_sizes=(20, 5, 5),
                    workers=1, progress=False)
