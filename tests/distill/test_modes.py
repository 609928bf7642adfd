"""The transfer modes: crystal-level embeddings and soft targets, besides the paper's atom embeddings."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import DistillConfig, TrainConfig
from crysgnn_zoo.distill import soft_targets as st
from crysgnn_zoo.distill.model import DistilledModel
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.graphs.collate import collate


def _net(mode: str) -> DistilledModel:
    torch.manual_seed(0)
    return get_model("cgcnn", n_conv=1, atom_dim=16, distill=DistillConfig(mode=mode, alpha=0.5))


def test_an_unknown_mode_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match="mode"):
        DistillConfig(mode="telepathy")


def test_the_crystal_channel_trains_its_own_projection_and_leaves_a_plain_student(sample_store):
    net = _net("embedding+crystal")
    net.prepare(sample_store)
    g = collate(sample_store, np.arange(6))
    loss, pred = net.training_loss(g, torch.zeros(6, 1))
    assert set(net.loss_terms) == {"task", "embedding", "crystal"}
    loss.backward()
    assert net.crystal_projection.weight.grad.abs().sum() > 0
    net.eval()
    with torch.no_grad():
        assert torch.equal(net(g), net.student(g))
    alone = _net("crystal")
    alone.prepare(sample_store)
    alone.training_loss(g, torch.zeros(6, 1))
    assert set(alone.loss_terms) == {"task", "crystal"}


def test_out_of_fold_predictions_never_see_their_own_rows(monkeypatch):
    fitted_on = []

    class Recorder:
        def __init__(self, **_):
            pass

        def fit(self, x, y):
            fitted_on.append(set(x[:, 0].astype(int)))
            return self

        def predict(self, x):
            return x[:, 0] * 0.0

    import sklearn.ensemble

    monkeypatch.setattr(sklearn.ensemble, "HistGradientBoostingRegressor", Recorder)
    x = np.arange(40, dtype=float)[:, None]
    st.out_of_fold(x, np.arange(40, dtype=float), seed=3)
    assert len(fitted_on) == st.FOLDS
    seen_by_all = set.intersection(*fitted_on)
    assert not seen_by_all  # every row was left out of one fit, the one that predicted it
    assert all(len(rows) == 32 for rows in fitted_on)


def test_soft_targets_cover_the_training_crystals_only_and_follow_the_label():
    rng = np.random.default_rng(0)
    x_atoms = rng.normal(size=(300, 4))
    node_ptr = np.arange(0, 301, 3)  # 100 crystals of 3 atoms
    y = st.crystal_means(x_atoms, node_ptr)[:, 0] * 2.0  # a label the teacher's embedding explains
    train = np.arange(80)
    soft = st.soft_targets(x_atoms, node_ptr, y, train)
    assert np.isnan(soft[80:]).all() and np.isfinite(soft[:80]).all()
    assert np.corrcoef(soft[train], y[train])[0, 1] > 0.8


def test_a_soft_target_run_trains_records_its_mode_and_saves_a_plain_student(tmp_path):
    from crysgnn_zoo.hub.checkpoint import load_checkpoint
    from crysgnn_zoo.train.run import train_model

    result = train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                         distill=DistillConfig(mode="embedding+soft_targets", alpha=0.5),
                         train_config=TrainConfig(epochs=2), max_samples=120, split_sizes=(80, 20, 20),
                         out_dir=tmp_path / "run", workers=1, progress=False)
    assert result.extra["distill"]["mode"] == "embedding+soft_targets"
    predictor = load_checkpoint(tmp_path / "run" / "checkpoint")
    assert type(predictor.model).__name__ == "CGCNN"


def test_soft_targets_without_targets_is_a_named_error(sample_store):
    net = _net("soft_targets")
    with pytest.raises(ConfigError, match="soft_targets mode needs"):
        net.prepare(sample_store)


def test_the_input_mode_feeds_the_student_its_teacher_at_training_and_prediction(tmp_path, sample_store):
    import json

    from crysgnn_zoo.errors import CheckpointError
    from crysgnn_zoo.nets.teacher_input import TeacherInputModel
    from crysgnn_zoo.predict import load_model
    from crysgnn_zoo.train.run import train_model

    net = get_model("cgcnn", n_conv=1, atom_dim=16, distill=DistillConfig(mode="input"))
    assert isinstance(net, TeacherInputModel) and net.student.config.extra_atom_inputs == 64
    assert net.student.embedding.in_features == net.student.atom_features.dim + 64
    g = collate(sample_store, np.arange(4))
    with pytest.raises(ConfigError, match="takes 64 per-atom inputs from its teacher"):
        net.student(g)  # the student alone has no teacher to feed it
    out = tmp_path / "run"
    train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                distill=DistillConfig(mode="input"), train_config=TrainConfig(epochs=1), max_samples=60,
                split_sizes=(40, 10, 10), out_dir=out, workers=1, progress=False)
    config = json.loads((out / "checkpoint" / "config.json").read_text())
    assert config["teacher_input"]["source"] == "crysgnn-v1" and len(config["teacher_input"]["sha256"]) == 64
    assert len(config["teacher_input"]["mean"]) == len(config["teacher_input"]["std"]) == 64
    predictor = load_model(out / "checkpoint")
    assert isinstance(predictor.model, TeacherInputModel)
    assert predictor.model.input_scaling() == {k: config["teacher_input"][k] for k in ("mean", "std")}
    assert np.isfinite(predictor.predict(sample_store.subset(np.arange(5)))).all()
    config["teacher_input"]["sha256"] = "0" * 64  # a teacher with other weights than the one it learned from
    (out / "checkpoint" / "config.json").write_text(json.dumps(config))
    from crysgnn_zoo.download import sha256_of

    card = json.loads((out / "checkpoint" / "card.json").read_text())
    card["config_sha256"] = sha256_of(out / "checkpoint" / "config.json")
    (out / "checkpoint" / "card.json").write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="has other weights"):
        load_model(out / "checkpoint")
