"""The released teachers: present in the weights distribution, complete card, load offline."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from crysgnn_zoo.distill.teachers import load_teacher
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.hub.card import ModelCard
from crysgnn_zoo.hub.resolve import releases, resolve_weights

TEACHERS = ("crysgnn-v1", "crysgnn-v2")


@pytest.fixture(scope="module", params=TEACHERS)
def named_folder(request):
    import crysgnn_zoo_weights

    name = request.param
    assert name in crysgnn_zoo_weights.available(), f"the weights distribution (models/) must carry {name}"
    return name, crysgnn_zoo_weights.path_of(name)


def test_card_is_complete_and_true(named_folder):
    name, folder = named_folder
    card = ModelCard.load(folder)
    assert card.name == name and card.architecture == "crysgnn"
    assert card.sha256 == hashlib.sha256((folder / "weights.pt").read_bytes()).hexdigest()
    assert card.sha256 == releases()[name].weights_sha256
    teacher = load_teacher(folder)
    assert card.num_params == sum(p.numel() for p in teacher.parameters())
    assert card.data["crystals"] > 40_000 and card.data["labels_used"].startswith("none")
    assert card.training["steps"] > 0 and card.training["wall_seconds"] > 0
    assert "pretrain" in card.command


def test_loads_offline_from_the_installed_package(named_folder, tmp_path, monkeypatch):
    name, folder = named_folder
    monkeypatch.setenv("CRYSGNN_ZOO_CACHE", str(tmp_path))  # empty cache
    monkeypatch.delenv("CRYSGNN_ZOO_WEIGHTS_URL", raising=False)
    assert resolve_weights(name, download_missing=False) == folder


@pytest.mark.parametrize("name", TEACHERS)
def test_teacher_embeds_real_crystals(sample_store, name):
    teacher = load_teacher(name)
    g = collate(sample_store, np.arange(10))
    h = teacher.embed(g)
    assert h.shape == (g.num_nodes(), 64)
    assert np.isfinite(h.numpy()).all() and float(h.std()) > 0


def test_every_release_covers_its_config_with_a_hash():
    """Card and release table both hold config.json's SHA-256, so an edited normaliser cannot load."""
    import crysgnn_zoo_weights

    for name in crysgnn_zoo_weights.available():
        folder = crysgnn_zoo_weights.path_of(name)
        want = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()
        assert ModelCard.load(folder).config_sha256 == want == releases()[name].config_sha256, name


def test_every_committed_checkpoint_card_follows_the_schema():
    """Released weights and the teachers kept with results load through the one card schema."""
    from pathlib import Path

    from crysgnn_zoo.hub.card import ModelCard

    root = Path(__file__).resolve().parents[2]
    folders = [p.parent for p in root.glob("models/**/card.json")] + \
              [p.parent for p in root.glob("benchmarks/results/**/card.json")]
    folders = [f for f in folders if (f / "weights.pt").exists()]
    assert len(folders) >= 9
    for folder in folders:
        card = ModelCard.load(folder)
        assert card.sha256 and card.num_params > 0, folder


def test_every_property_release_lists_its_training_elements_and_its_uncertainty():
    from crysgnn_zoo.hub.resolve import released_models

    for card in released_models():
        if "test" not in card.get("metrics", {}):
            continue
        assert len(card["elements"]) > 5, f"{card['name']}: no training elements, unseen ones would not be flagged"
        unc = card["extra"].get("uncertainty")
        assert unc and {"coverage_68", "coverage_95", "spearman"} <= set(unc["test"]), card["name"]
