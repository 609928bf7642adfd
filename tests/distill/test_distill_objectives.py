"""The reference objective (normalised atom embeddings, per crystal) and the distillation config."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import DistillConfig, TrainConfig
from crysgnn_zoo.distill import DistilledModel
from crysgnn_zoo.distill.objectives import normalized_embedding_loss
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.nets.crysgnn import CrysGNN, CrysGNNConfig
from crysgnn_zoo.train.run import train_model


def test_normalized_loss_is_zero_up_to_scale_and_bounded():
    torch.manual_seed(0)
    h_t = torch.randn(7, 5)
    scales = torch.rand(7, 1) * 10 + 0.1  # a positive factor per atom
    counts = torch.tensor([3, 4])
    assert float(normalized_embedding_loss(h_t * scales, h_t, counts)) == pytest.approx(0.0, abs=1e-7)
    assert float(normalized_embedding_loss(-h_t, h_t, counts)) == pytest.approx(4.0 / 5)  # opposite: the maximum


def test_normalized_loss_averages_per_crystal_then_over_crystals():
    h_t = torch.tensor([[1.0, 0.0]] * 4)
    h_s = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])  # only atom 0 differs: 2/2 = 1
    per_crystal = normalized_embedding_loss(h_s, h_t, torch.tensor([1, 3]))
    assert float(per_crystal) == pytest.approx((1.0 + 0.0) / 2)  # not 1/4, the per-atom mean


def test_distilled_model_uses_the_configured_objective(sample_store):
    torch.manual_seed(0)
    teacher = CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=2)).eval()
    student = copy.deepcopy(teacher)
    config = DistillConfig(objective="normalized", alpha=1.0, embedding_weight=16.0, projection=False)
    model = DistilledModel.from_config(student, teacher, config).eval()
    g = collate(sample_store, np.arange(6))
    loss, _ = model.training_loss(g, torch.zeros(6, 1))
    assert float(loss.detach()) == pytest.approx(0.0, abs=1e-6)
    torch.nn.init.normal_(student.embedding.weight)
    loss, _ = model.training_loss(g, torch.zeros(6, 1))
    assert 0.0 < float(loss.detach()) <= 16.0 * 4.0 / 64 * 16  # weight x at most 4/d per element


def test_config_is_validated_and_widths_need_a_projection():
    with pytest.raises(ConfigError, match="objective must be one of"):
        DistillConfig(objective="cosine")
    with pytest.raises(ConfigError, match="embedding_weight must be > 0"):
        DistillConfig(embedding_weight=0)
    teacher = CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=1))
    with pytest.raises(ConfigError, match=r"student's embedding width \(8\) must equal the teacher's \(16\)"):
        get_model("cgcnn", atom_dim=8, distill=DistillConfig(projection=False), teacher=teacher)
    assert DistillConfig.from_dict(DistillConfig(alpha=0.1).to_dict()) == DistillConfig(alpha=0.1)


def test_run_records_its_distillation_config(tmp_path):
    config = DistillConfig(objective="normalized", embedding_weight=8.0, alpha=0.3)
    result = train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                         train_config=TrainConfig(epochs=1), max_samples=40, split_sizes=(30, 5, 5), distill=config,
                         out_dir=tmp_path / "run", workers=1, progress=False)
    recorded = json.loads((tmp_path / "run" / "result.json").read_text())["extra"]["distill"]
    expected = {**config.to_dict(), "alpha_schedule": "half_decay"}  # left open: CGCNN's own
    assert {k: recorded[k] for k in expected} == expected and result.extra["distill"]["cached"]


def test_linear_decay_schedule_hands_the_loss_to_the_task(sample_store):
    torch.manual_seed(0)
    teacher = CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=1)).eval()
    student = CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=1))
    model = DistilledModel.from_config(student, teacher, DistillConfig(alpha=0.4, alpha_schedule="linear_decay"))
    g, y = collate(sample_store, np.arange(6)), torch.zeros(6, 1)
    assert model.current_alpha == pytest.approx(0.4)
    model.set_progress(0.5)
    assert model.current_alpha == pytest.approx(0.2)
    model.set_progress(1.0)
    loss, pred = model.training_loss(g, y)
    assert float(loss.detach()) == pytest.approx(float(model.task_loss(pred, y).detach()))  # alpha 0: the task alone
    constant = DistilledModel.from_config(student, teacher, DistillConfig(alpha=0.4, alpha_schedule="constant"))
    constant.set_progress(0.9)
    assert constant.current_alpha == 0.4
    with pytest.raises(ConfigError, match="alpha_schedule"):
        DistillConfig(alpha_schedule="exponential")


def test_trainer_tells_the_model_its_progress(tmp_path):
    config = DistillConfig(alpha=0.5, alpha_schedule="linear_decay")
    train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                train_config=TrainConfig(epochs=2), max_samples=40, split_sizes=(30, 5, 5), distill=config,
                out_dir=tmp_path / "run", workers=1, progress=False)
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    epochs = history["epochs"] if isinstance(history, dict) else history
    # the weighted loss of epoch 1 (alpha 0.25) mixes task and embedding terms 0.75 : 0.25
    last = epochs[1]
    mixed = 0.75 * last["train_task_loss"] + 0.25 * last["train_embedding_loss"]
    assert last["train_loss"] == pytest.approx(mixed, rel=1e-4)


def test_the_size_rule_shortens_the_teacher_term_and_is_recorded(tmp_path):
    # 30 training crystals x 4 epochs = 120 seen; a clock of 60 crystals runs the schedule over 2 epochs
    config = DistillConfig(alpha=0.5, alpha_schedule="linear_decay", teacher_crystals=60)
    result = train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                         train_config=TrainConfig(epochs=4), max_samples=40, split_sizes=(30, 5, 5), distill=config,
                         out_dir=tmp_path / "run", workers=1, progress=False)
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    epochs = history["epochs"] if isinstance(history, dict) else history
    assert "train_embedding_loss" in epochs[1]  # epoch 1: alpha 0.25
    assert all("train_embedding_loss" not in e for e in epochs[2:])  # the task alone after 2 epochs
    assert result.extra["distill"]["teacher_crystals"] == 60 and result.extra["distill"]["teacher_epochs"] == 2.0
    assert "over the first 2 epochs: size rule, at most 60 training crystals seen" in result.summary()


def test_the_size_rule_leaves_small_runs_as_they_were(sample_store):
    torch.manual_seed(0)
    teacher = CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=1)).eval()
    ruled = DistilledModel.from_config(CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=1)), teacher,
                                       DistillConfig(alpha=0.5, alpha_schedule="half_decay"))
    unruled = DistilledModel.from_config(CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=1)), teacher,
                                         DistillConfig(alpha=0.5, alpha_schedule="half_decay", teacher_crystals=None))
    assert ruled.plan(5_000, 30) == unruled.plan(5_000, 30) == 1.0
    for epoch in range(30):
        ruled.set_progress(epoch / 30)
        unruled.set_progress(epoch / 30)
        assert ruled.current_alpha == unruled.current_alpha
    assert ruled.plan(31_834, 60) == pytest.approx(150_000 / (31_834 * 60))


def test_above_max_train_crystals_the_run_is_the_vanilla_run(tmp_path):
    kw = dict(model_overrides={"n_conv": 1, "atom_dim": 8}, train_config=TrainConfig(epochs=2), max_samples=40,
              split_sizes=(30, 5, 5), workers=1, progress=False)
    off = train_model("mp_37k_sample", "band_gap", "cgcnn", distill=DistillConfig(max_train_crystals=20),
                      out_dir=tmp_path / "off", **kw)
    vanilla = train_model("mp_37k_sample", "band_gap", "cgcnn", out_dir=tmp_path / "vanilla", **kw)
    assert off.extra["distill"] is None and off.extra["distill_off"]["max_train_crystals"] == 20
    assert "30 training crystals > max_train_crystals 20" in off.summary()
    assert off.test == vanilla.test and off.extra["val"] == vanilla.extra["val"]
    kept = train_model("mp_37k_sample", "band_gap", "cgcnn", distill=DistillConfig(max_train_crystals=30),
                       out_dir=tmp_path / "kept", **kw)
    assert kept.extra["distill"] is not None and "distill_off" not in kept.extra
