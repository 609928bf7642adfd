"""Models that start from pre-trained encoders: CrysXPP (CrysAE) and the fine-tuning baseline."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import GraphConfig, TrainConfig
from crysgnn_zoo.data.splits import random_split
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.hub.checkpoint import load_checkpoint, save_checkpoint
from crysgnn_zoo.nets.normalizer import Normalizer
from crysgnn_zoo.train.trainer import Trainer


def _save_encoder(path, n_conv: int, seed: int = 1):
    torch.manual_seed(seed)
    donor = get_model("crysgnn", n_conv=n_conv)
    save_checkpoint(path, donor, graph_config=GraphConfig(), target=None, unit="",
                    normalizer=Normalizer(0.0, 1.0), card={"name": "test-encoder"})
    return donor


def test_crysxpp_encoder_starts_from_the_autoencoder(tmp_path):
    donor = _save_encoder(tmp_path / "crysae", n_conv=3)
    model = get_model("crysxpp", pretrained=str(tmp_path / "crysae"))
    for k, v in donor.state_dict().items():
        if k.startswith(("embedding.", "convs.")):
            assert torch.equal(model.state_dict()[k], v), k
    assert torch.equal(model.selector, torch.ones_like(model.selector))
    assert not torch.equal(model.out.weight, donor.out.weight)  # the head starts fresh


def test_wrong_depth_of_pretrained_encoder_is_refused(tmp_path):
    _save_encoder(tmp_path / "deep", n_conv=5)
    with pytest.raises(ValueError, match=r"n_conv=5.*needs 3"):
        get_model("crysxpp", pretrained=str(tmp_path / "deep"))


def test_saved_crysxpp_reloads_without_its_autoencoder(tmp_path, sample_store):
    _save_encoder(tmp_path / "crysae", n_conv=3)
    model = get_model("crysxpp", pretrained=str(tmp_path / "crysae")).eval()
    save_checkpoint(tmp_path / "ckpt", model, graph_config=GraphConfig(), target="t", unit="eV",
                    normalizer=Normalizer(0.0, 1.0), card={})
    for f in (tmp_path / "crysae").iterdir():
        f.unlink()
    (tmp_path / "crysae").rmdir()
    reloaded = load_checkpoint(tmp_path / "ckpt").model
    from crysgnn_zoo.graphs.collate import collate

    g = collate(sample_store, np.arange(4))
    with torch.no_grad():
        assert torch.allclose(reloaded(g), model(g))


def test_selector_penalty_is_added_by_the_trainer(sample_store):
    store = sample_store.subset(np.arange(60))
    y = store.target("formation_energy_per_atom")
    split = random_split(store.ids, (40, 10, 10), 0)
    torch.manual_seed(0)
    model = get_model("crysxpp", pretrained=None, n_conv=1, selector_l1=1.0)
    assert float(model.regularization().detach()) == pytest.approx(model.selector.numel())
    Trainer(model, TrainConfig(epochs=3, lr=1e-2), progress=False).fit(
        GraphLoader(store, split.train, y, 20, shuffle=True), GraphLoader(store, split.val, y, 20))
    # unused feature columns get no task gradient, only the L1 pull toward 0
    assert float(model.selector.detach().abs().min()) < 0.99
    assert set(model.feature_importance()) and len(model.feature_importance()) == model.selector.numel()


def test_finetune_baseline_starts_from_the_released_teacher():
    from crysgnn_zoo.distill.teachers import load_teacher

    teacher = load_teacher("crysgnn-v1")
    model = get_model("crysgnn-finetune")
    for k, v in teacher.state_dict().items():
        if k.startswith(("embedding.", "convs.")):
            assert torch.equal(model.state_dict()[k], v), k
    assert all(p.requires_grad for p in model.parameters())  # fine-tuned, not frozen
    scratch = get_model("crysgnn-finetune", pretrained=None)
    assert not torch.equal(scratch.convs[0].lin_center.weight, teacher.convs[0].lin_center.weight)


def test_the_start_is_a_weight_tag_not_a_config_field(tmp_path):
    from crysgnn_zoo.errors import ConfigError
    from crysgnn_zoo.nets.crysxpp import CrysXPPConfig

    assert get_model("crysxpp").pretrained_start == "crysae-v1"  # the recipe's own start
    assert get_model("crysxpp", pretrained=None).pretrained_start is None
    assert "autoencoder" not in CrysXPPConfig().to_dict()
    old = {**CrysXPPConfig().to_dict(), "autoencoder": "crysae-v1"}  # a config saved before the change
    assert CrysXPPConfig.from_dict(old) == CrysXPPConfig()
    with pytest.raises(ConfigError, match="no pre-trained start"):
        get_model("cgcnn", pretrained="crysae-v1")
