"""The released teacher: present in the weights distribution, complete card, loads offline."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from crysgnn_zoo.distill.teachers import load_teacher
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.hub.card import ModelCard
from crysgnn_zoo.hub.resolve import releases, resolve_weights

NAME = "crysgnn-v1"


@pytest.fixture(scope="module")
def folder():
    import crysgnn_zoo_weights

    assert NAME in crysgnn_zoo_weights.available(), "the weights distribution (models/) must carry crysgnn-v1"
    return crysgnn_zoo_weights.path_of(NAME)


def test_card_is_complete_and_true(folder):
    card = ModelCard.load(folder)
    assert card.name == NAME and card.architecture == "crysgnn"
    assert card.sha256 == hashlib.sha256((folder / "weights.pt").read_bytes()).hexdigest()
    assert card.sha256 == releases()[NAME].weights_sha256
    teacher = load_teacher(folder)
    assert card.num_params == sum(p.numel() for p in teacher.parameters())
    assert card.data["crystals"] > 40_000 and card.data["labels_used"].startswith("none")
    assert card.training["steps"] > 0 and card.training["wall_seconds"] > 0
    assert "pretrain" in card.command


def test_loads_offline_from_the_installed_package(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CRYSGNN_ZOO_CACHE", str(tmp_path))  # empty cache
    monkeypatch.delenv("CRYSGNN_ZOO_WEIGHTS_URL", raising=False)
    assert resolve_weights(NAME, download_missing=False) == folder


def test_teacher_embeds_real_crystals(sample_store):
    teacher = load_teacher(NAME)
    g = collate(sample_store, np.arange(10))
    h = teacher.embed(g)
    assert h.shape == (g.num_nodes(), 64)
    assert np.isfinite(h.numpy()).all() and float(h.std()) > 0
