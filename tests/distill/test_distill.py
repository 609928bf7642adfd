"""Distillation: the embedding term, a frozen teacher, and the cache."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.data.splits import random_split
from crysgnn_zoo.distill import DistilledModel
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.nets.crysgnn import CrysGNN, CrysGNNConfig
from crysgnn_zoo.train.trainer import Trainer


@pytest.fixture
def teacher():
    torch.manual_seed(0)
    return CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=2)).eval()


def test_loss_is_zero_when_student_equals_teacher(teacher, sample_store):
    student = copy.deepcopy(teacher)
    model = DistilledModel(student, teacher, alpha=1.0).eval()
    g = collate(sample_store, np.arange(8))
    loss, _ = model.training_loss(g, torch.zeros(8, 1))
    assert float(loss.detach()) == 0.0
    torch.nn.init.normal_(student.embedding.weight)
    loss, _ = model.training_loss(g, torch.zeros(8, 1))
    assert float(loss.detach()) > 0.0


def test_projection_bridges_widths(teacher, sample_store):
    student = get_model("cgcnn", atom_dim=24)
    model = DistilledModel(student, teacher)
    assert isinstance(model.projection, torch.nn.Linear) and model.projection.in_features == 24
    loss, pred = model.training_loss(collate(sample_store, np.arange(4)), torch.zeros(4, 1))
    loss.backward()
    assert model.projection.weight.grad is not None and pred.shape == (4, 1)


def test_teacher_is_frozen_during_training(teacher, sample_store):
    store = sample_store.subset(np.arange(120))
    y = store.target("formation_energy_per_atom")
    split = random_split(store.ids, (80, 20, 20), 0)
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    model = DistilledModel(get_model("cgcnn", atom_dim=16, n_conv=1), teacher)
    trainer = Trainer(model, TrainConfig(epochs=2, lr=1e-2), progress=False)
    trainer.fit(GraphLoader(store, split.train, y, 16, shuffle=True), GraphLoader(store, split.val, y, 64))
    assert not teacher.training
    for k, v in teacher.state_dict().items():
        assert torch.equal(v, before[k]), k  # weights and batch-norm statistics alike
    assert all(not p.requires_grad for p in teacher.parameters())
    assert not any(k.startswith("teacher") for k in model.state_dict())


def test_cache_matches_running_the_teacher(teacher, sample_store):
    store = sample_store.subset(np.arange(50))
    model = DistilledModel(get_model("cgcnn"), teacher)
    g = collate(store, [3, 17, 42])
    live = model.teacher_embeddings(g)
    model.use_cache(store)
    assert torch.allclose(model.teacher_embeddings(g), live, atol=1e-5)


def test_embedding_term_is_measured_in_teacher_standard_deviations(teacher, sample_store):
    from crysgnn_zoo.distill.model import TeacherEmbeddingCache

    store = sample_store.subset(np.arange(50))
    student = get_model("cgcnn", atom_dim=16, n_conv=1)
    model = DistilledModel(student, teacher, alpha=1.0, scale="per_dim")
    model.prepare(store, cache=False)
    t = TeacherEmbeddingCache(teacher, store).embeddings
    assert torch.allclose(model.embedding_scale, t.std(0).clamp_min(1e-3))
    default = DistilledModel(student, teacher, alpha=1.0)  # one overall spread
    default.prepare(store, cache=False)
    assert torch.allclose(default.embedding_scale, t.var(0).mean().sqrt().reshape(1))
    g = collate(store, np.arange(8))
    loss, _ = model.training_loss(g, torch.zeros(8, 1))
    h = model.projection(student.embed(g))
    expected = (((h - teacher.embed(g)) / model.embedding_scale) ** 2).mean()
    assert torch.allclose(loss, expected, rtol=1e-5)
    raw = DistilledModel(student, teacher, alpha=1.0, scale="none")
    raw.projection.load_state_dict(model.projection.state_dict())
    raw_loss, _ = raw.training_loss(g, torch.zeros(8, 1))
    assert torch.allclose(raw_loss, ((h - teacher.embed(g)) ** 2).mean(), rtol=1e-5)


def test_cached_and_live_teacher_give_the_same_loss(teacher, sample_store):
    store = sample_store.subset(np.arange(30))
    torch.manual_seed(0)
    cached = DistilledModel(get_model("cgcnn", atom_dim=16, n_conv=1), teacher, alpha=0.5)
    live = copy.deepcopy(cached)
    live.teacher = [teacher]
    cached.prepare(store, cache=True)
    live.prepare(store, cache=False)
    g = collate(store, np.arange(10, 20))
    y = torch.randn(10, 1)
    assert torch.allclose(cached.training_loss(g, y)[0], live.training_loss(g, y)[0], atol=1e-6)


def test_global_scale_is_one_number_and_unknown_scales_are_refused(teacher, sample_store):
    from crysgnn_zoo.distill.objectives import teacher_scale

    e = torch.randn(500, 8) * torch.arange(1, 9)
    assert torch.allclose(teacher_scale(e, "global"), e.var(0).mean().sqrt().reshape(1))
    assert teacher_scale(e, "per_dim").shape == (8,) and teacher_scale(e, "none") is None
    with pytest.raises(ValueError, match="per_dim"):
        DistilledModel(get_model("cgcnn", atom_dim=16, n_conv=1), teacher, scale="whiten")
