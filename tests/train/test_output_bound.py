"""Predictions that respect the target's range: recorded with the run, rebuilt on loading, never
returned outside it (clipped, and said so), and a softplus bound that is trained as part of the model."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.nets.bounds import SoftplusBound
from crysgnn_zoo.nets.normalizer import Normalizer
from crysgnn_zoo.predict import load_model, predict
from crysgnn_zoo.ranges import TargetRange
from crysgnn_zoo.train.run import train_model

pytestmark = pytest.mark.filterwarnings("ignore:.*never saw in training")

TINY = {"n_conv": 1, "atom_dim": 8}


def _train(out, bound: str, **kw):
    return train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides=TINY,
                       train_config=TrainConfig(epochs=2, output_bound=bound), max_samples=60,
                       split_sizes=(40, 10, 10), out_dir=out, workers=1, progress=False, **kw)


@pytest.fixture(scope="module")
def clip_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bound") / "clip"
    return _train(out, "clip"), out


def test_the_range_is_recorded_with_the_run_and_its_checkpoint(clip_run):
    result, out = clip_run
    config = json.loads((out / "checkpoint" / "config.json").read_text())
    assert config["range"] == [0, None] and config["output_bound"] == "clip"
    assert result.extra["range"] == [0, None]
    in_range = result.extra["test_in_range"]
    assert in_range["n"] == 10 and 0 <= in_range["n_clipped"] <= 10
    assert in_range["mae"] <= result.test["mae"] * (1 + 1e-6)  # moving a value toward a range holding y never hurts
    assert "predictions kept in [0, inf) eV" in result.summary()
    assert load_model(out / "checkpoint").target_range == TargetRange(0, None)


def test_a_raw_output_outside_the_range_is_clipped_and_flagged(clip_run):
    _, out = clip_run
    predictor = load_model(out / "checkpoint")
    predictor.normalizer = Normalizer(mean=-100.0, std=1.0)  # every raw output now lies far below 0 eV
    table = predict(predictor, "mp_37k_sample")
    assert (table.prediction == 0.0).all() and table.clipped.all()
    assert table.attrs["n_clipped"] == len(table) and table.attrs["range"] == [0, None]


def test_a_run_s_own_range_for_a_folder_or_csv(tmp_path):
    result = train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn", model_overrides=TINY,
                         train_config=TrainConfig(epochs=1), max_samples=40, split_sizes=(20, 10, 10),
                         out_dir=tmp_path / "r", workers=1, progress=False, target_range=(None, 0.5))
    assert result.extra["range"] == [None, 0.5]
    assert load_model(tmp_path / "r" / "checkpoint").target_range == TargetRange(None, 0.5)


def test_softplus_keeps_every_output_above_the_bound_and_is_near_identity_far_from_it():
    bound = SoftplusBound.for_range(TargetRange(0.0, None), Normalizer(mean=1.0, std=2.0))
    z = torch.tensor([-1e4, -3.0, -0.5, 0.0, 12.0])  # 12 std above the mean: 12.5 corner widths above the bound
    y = Normalizer(1.0, 2.0).denorm(bound(z))
    assert (y >= 0).all()
    assert y[-1] == pytest.approx(25.0, abs=1e-3)
    both = SoftplusBound(-1.0, 1.0)(torch.linspace(-50, 50, 11))
    assert both.min() >= -1.0 and both.max() <= 1.0
    z = torch.tensor([0.0], requires_grad=True)  # two bounds: slope 1 at the middle of the interval
    SoftplusBound(-1.0, 1.0)(z).backward()
    assert float(z.grad) == pytest.approx(1.0)


def test_a_softplus_model_is_trained_and_reloaded_with_its_bound(tmp_path):
    result = _train(tmp_path / "sp", "softplus")
    config = json.loads((tmp_path / "sp" / "checkpoint" / "config.json").read_text())
    assert config["output_bound"] == "softplus"
    predictor = load_model(tmp_path / "sp" / "checkpoint")
    assert predictor.model.output_bound is not None
    assert set(predictor.model.state_dict()) == set(torch.load(tmp_path / "sp" / "checkpoint" / "weights.pt"))
    table = predict(predictor, "mp_37k_sample")
    assert (table.prediction > 0).all() and not table.clipped.any()
    assert result.extra["test_in_range"]["n_clipped"] == 0
    predictor.model.set_output_bound(None)  # without its bound the same weights give other values
    assert not np.allclose(predict(predictor, "mp_37k_sample").prediction, table.prediction)


def test_auto_bounds_with_softplus_only_where_many_targets_sit_on_the_bound():
    from crysgnn_zoo.nets.bounds import resolve_output_bound

    gaps = TargetRange(0.0, None)
    assert gaps.share_at_bound(np.array([0.0, 0.0, 1.2, 3.0])) == 0.5
    assert TargetRange(-1.0, 0.5).share_at_bound(np.array([-1.0, 0.2, 0.5, 0.1])) == 0.5
    assert resolve_output_bound("auto", gaps, np.array([0.0] * 3 + [1.0] * 7)) == "softplus"  # 30 % metals
    assert resolve_output_bound("auto", gaps, np.array([0.0] + [1.0] * 19)) == "clip"  # 5 %: a modulus
    assert resolve_output_bound("auto", None, np.zeros(5)) == "clip"  # no range: nothing to bound
    assert resolve_output_bound("softplus", gaps, np.ones(5)) == "softplus"


def test_auto_loss_is_huber_only_for_a_zero_inflated_target():
    """Energies above hull: mostly 0 with a few eV-sized values that a squared error follows."""
    from crysgnn_zoo.nets.losses import resolve_task_loss

    gaps = TargetRange(0.0, None)
    assert resolve_task_loss("auto", gaps, np.array([0.0] * 3 + [1.0] * 7)) == "huber"
    assert resolve_task_loss("auto", gaps, np.array([0.0] + [1.0] * 19)) == "mse"
    assert resolve_task_loss("auto", None, np.zeros(5)) == "mse"
    assert resolve_task_loss("l1", gaps, np.zeros(5)) == "l1"


@pytest.mark.parametrize("distill", [False, True])
def test_the_resolved_loss_is_the_one_trained_with_and_recorded(distill, tmp_path, monkeypatch):
    """A distilled model computes its own task loss: the trainer hands it the resolved one."""
    import crysgnn_zoo.train.run as run
    from crysgnn_zoo.config import DistillConfig, TrainConfig
    from crysgnn_zoo.nets import losses

    monkeypatch.setattr(run, "_collapsed", lambda *args: "")
    used = []
    real = losses.TASK_LOSSES["huber"]
    monkeypatch.setitem(losses.TASK_LOSSES, "huber", lambda *a, **k: used.append(1) or real(*a, **k))
    result = run.train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                             train_config=TrainConfig(epochs=1), max_samples=80, split_sizes=(50, 15, 15),
                             distill=DistillConfig() if distill else None, out_dir=tmp_path / "run", workers=1,
                             progress=False)
    assert result.extra["train_config"]["loss"] == "auto" and result.extra["loss"] == "huber"
    assert used  # the huber loss ran, in the trainer or in the distilled model


def test_auto_is_resolved_recorded_and_saved(tmp_path, monkeypatch):
    import crysgnn_zoo.train.run as run

    monkeypatch.setattr(run, "_collapsed", lambda *args: "")  # a tiny run may learn nothing; not the point here
    result = _train(tmp_path / "auto", "auto")  # the sample's band gaps: many metals
    config = json.loads((tmp_path / "auto" / "checkpoint" / "config.json").read_text())
    assert result.extra["train_config"]["output_bound"] == "auto"
    assert result.extra["output_bound"] == config["output_bound"] == "softplus"
    assert load_model(tmp_path / "auto" / "checkpoint").model.output_bound is not None


def test_a_collapsed_softplus_bound_trains_again_with_clip(tmp_path, monkeypatch):
    """``auto`` that resolved to softplus and learned nothing falls back to clip, once, and says so."""
    import crysgnn_zoo.train.run as run

    from crysgnn_zoo.config import TrainConfig

    calls = []
    real = run._collapsed

    def first_collapses(fitted, config, y, split):
        calls.append(fitted[4].output_bound)
        return "the softplus output bound collapsed (test)" if len(calls) == 1 else real(fitted, config, y, split)

    monkeypatch.setattr(run, "_collapsed", first_collapses)
    result = run.train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                             train_config=TrainConfig(epochs=2, output_bound="auto"), max_samples=120,
                             split_sizes=(80, 20, 20), out_dir=tmp_path / "run", workers=1, progress=False)
    assert calls == ["softplus"]  # the clip refit is not checked again
    assert result.extra["output_bound_fallback"].endswith("(test)") and result.extra["output_bound"] == "clip"
    assert result.extra["train_config"]["output_bound"] == "auto"  # recorded as asked
    assert (tmp_path / "run" / "bound_fallback.json").exists() and "trained again with clip" in result.summary()


def test_a_softplus_bound_dead_from_the_start_is_given_up_after_two_epochs(tmp_path, monkeypatch):
    """Constant validation predictions over the first epochs stop the auto-softplus run there (the
    end-of-run check would have trained every epoch first); the clip refit then trains in full."""
    import crysgnn_zoo.train.run as run
    import crysgnn_zoo.train.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "CONSTANT_SPREAD", 1e9)  # every softplus epoch counts as constant
    result = run.train_model("mp_37k_sample", "band_gap", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                             train_config=TrainConfig(epochs=4, output_bound="auto"), max_samples=120,
                             split_sizes=(80, 20, 20), out_dir=tmp_path / "run", workers=1, progress=False)
    assert result.extra["output_bound_fallback"].startswith(
        "the softplus output bound collapsed: validation predictions constant over the first 2 epochs")
    assert result.extra["output_bound"] == "clip" and result.epochs_run == 4


def test_the_early_check_raises_a_named_error_for_a_trainer_used_alone(monkeypatch):
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.errors import BoundCollapsedError
    from crysgnn_zoo.factory import get_model
    from crysgnn_zoo.graphs.build import build_store
    from crysgnn_zoo.graphs.loader import GraphLoader
    from crysgnn_zoo.train.trainer import Trainer

    store = build_store(open_source("mp_37k_sample"), workers=1, progress=False).store.subset(np.arange(80))
    y = store.target("band_gap")
    train, val = GraphLoader(store, np.arange(60), y, 32), GraphLoader(store, np.arange(60, 80), y, 32)
    torch.manual_seed(0)
    trainer = Trainer(get_model("cgcnn", n_conv=1, atom_dim=8), TrainConfig(epochs=3, output_bound="auto"),
                      progress=False, target_range=TargetRange(0.0, None))
    monkeypatch.setattr(trainer, "predict", lambda loader: np.zeros((len(loader.index), 1)))
    with pytest.raises(BoundCollapsedError, match="first 2 epochs.*train with output_bound='clip'"):
        trainer.fit(train, val)
    assert len(trainer.history.epochs) == 2
