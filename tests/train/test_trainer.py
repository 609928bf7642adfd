"""Training on real crystals: learning, checkpoint round-trip, resume."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import GraphConfig, TrainConfig
from crysgnn_zoo.data.splits import random_split
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.hub.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.nets.hooks import NO_HOOKS, TrainingHooks
from crysgnn_zoo.train.trainer import Trainer

TARGET = "formation_energy_per_atom"


@pytest.fixture(scope="module")
def small(sample_store):
    """400 embedded crystals, split 300/50/50 with seed 0."""
    store = sample_store.subset(np.arange(400))
    split = random_split(store.ids, (300, 50, 50), seed=0)
    return store, split, store.target(TARGET)


def _loaders(small, seed=0):
    store, split, y = small
    return (GraphLoader(store, split.train, y, 32, shuffle=True, seed=seed),
            GraphLoader(store, split.val, y, 64),
            GraphLoader(store, split.test, y, 64))


def _model(seed=0):
    torch.manual_seed(seed)
    return get_model("cgcnn", atom_dim=32, n_conv=2, hidden_dim=32)


def test_training_lowers_validation_error(small):
    train, val, _ = _loaders(small)
    trainer = Trainer(_model(), TrainConfig(epochs=6, lr=5e-3, patience=None), progress=False)
    trainer.normalizer = trainer.normalizer.fit(small[2][small[1].train])
    before = trainer.evaluate(val)["mae"]
    history = trainer.fit(train, val)
    assert history.best_val_mae < 0.6 * before
    assert history.epochs[-1]["train_loss"] < history.epochs[0]["train_loss"]


def test_checkpoint_roundtrip_gives_identical_predictions(small, tmp_path):
    train, val, test = _loaders(small)
    trainer = Trainer(_model(), TrainConfig(epochs=2, lr=5e-3), progress=False)
    trainer.fit(train, val)
    save_checkpoint(tmp_path / "ckpt", trainer.model, graph_config=GraphConfig(), target=TARGET,
                    unit="eV/atom", normalizer=trainer.normalizer)
    predictor = load_checkpoint(tmp_path / "ckpt")
    store, split, _ = small
    expected = trainer.predict(test)[:, 0]
    got = predictor.predict(store.subset(split.test))
    assert np.array_equal(expected, got)
    assert predictor.unit == "eV/atom" and predictor.target == TARGET


class _CrashAt(GraphLoader):
    """A training loader that dies when epoch ``crash_epoch`` starts (a killed job)."""

    crash_epoch = 2

    def set_epoch(self, epoch: int) -> None:
        if epoch == self.crash_epoch:
            raise KeyboardInterrupt("simulated crash")
        super().set_epoch(epoch)


def test_resume_continues_where_it_stopped(small, tmp_path):
    cfg = TrainConfig(epochs=4, lr=5e-3, patience=None)
    straight = Trainer(_model(), cfg, out_dir=tmp_path / "a", progress=False)
    straight.fit(*_loaders(small)[:2])

    train, val, _ = _loaders(small)
    crashing = _CrashAt(train.store, train.index, train.targets, 32, shuffle=True, seed=0)
    with pytest.raises(KeyboardInterrupt):
        Trainer(_model(), cfg, out_dir=tmp_path / "b", progress=False).fit(crashing, val)
    assert torch.load(tmp_path / "b" / "last.pt", weights_only=True)["epoch"] == 1

    resumed = Trainer(_model(seed=99), cfg, out_dir=tmp_path / "b", progress=False)
    history = resumed.fit(*_loaders(small)[:2], resume=True)
    assert [e["epoch"] for e in history.epochs] == [0, 1, 2, 3]
    for a, b in zip(straight.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    assert history.best_val_mae == straight.history.best_val_mae


def test_loading_a_non_checkpoint_fails_clearly(tmp_path):
    with pytest.raises(CheckpointError, match="not a crysgnn-zoo checkpoint"):
        load_checkpoint(tmp_path)


def test_bf16_refused_for_models_without_torch_paths():
    with pytest.raises(ValueError, match="bf16"):
        Trainer(_model(), TrainConfig(epochs=1, precision="bf16"), progress=False)


def test_compile_refused_for_models_without_a_compiled_path():
    with pytest.raises(ValueError, match="compile"):
        Trainer(get_model("gatgnn"), TrainConfig(epochs=1, compile=True), progress=False)


def test_heap_trimming_changes_memory_not_results(small, monkeypatch):
    calls = []
    monkeypatch.setattr("crysgnn_zoo.train.memory.release_free_heap", lambda: calls.append(1) or True)
    runs = []
    for interval in (0.0, None):
        train, val, test = _loaders(small)
        trainer = Trainer(_model(), TrainConfig(epochs=2, lr=5e-3), progress=False, heap_trim_interval=interval)
        trainer.fit(train, val)
        runs.append((trainer.predict(test), trainer.heap_trimmer.calls))
    (pred_trimmed, n_trimmed), (pred_plain, n_plain) = runs
    assert n_trimmed == len(calls) == 2 * (len(train) + 1) and n_plain == 0  # every step + each epoch end
    assert np.array_equal(pred_trimmed, pred_plain)


class _MeanOfAtoms(torch.nn.Module):
    """A user's own model that declares no training hooks: mean of a learned per-element value."""

    def __init__(self):
        super().__init__()
        self.value = torch.nn.Embedding(100, 1)

    def forward(self, g):
        from crysgnn_zoo.backend import ops

        return ops.mean_nodes(g, self.value(g.ndata["atomic_number"].long()))


class _Recording(_MeanOfAtoms, TrainingHooks):
    """The same model declaring hooks: the trainer's calls are recorded."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def plan(self, n_train, epochs):
        self.calls.append(("plan", n_train, epochs))

    def set_progress(self, fraction):
        self.calls.append(("progress", fraction))

    def regularization(self):
        return 0.0 * self.value.weight.sum()


def test_the_trainer_calls_declared_hooks_and_defaults_otherwise(small):
    train, val, _ = _loaders(small)
    plain = Trainer(_MeanOfAtoms(), TrainConfig(epochs=1, patience=None), progress=False)
    assert plain.hooks is NO_HOOKS and plain.fit(train, val).epochs
    recording = _Recording()
    Trainer(recording, TrainConfig(epochs=2, patience=None), progress=False).fit(train, val)
    assert recording.calls == [("plan", 300, 2), ("progress", 0.0), ("progress", 0.5)]
    with pytest.raises(ConfigError, match="set_output_bound"):
        recording.set_output_bound(None)
    assert isinstance(_model(), TrainingHooks)


def test_a_model_that_learned_nothing_is_named_not_reported_as_a_success(caplog):
    """A constant prediction on a mostly-zero target beats the mean predictor's MAE; R2 and the
    spread of the predictions say it learned nothing."""
    import logging

    from crysgnn_zoo.train.metrics import learned_check, mean_predictor_mae

    rng = np.random.default_rng(0)
    y = np.where(rng.random(400) < 0.6, 0.0, rng.exponential(0.1, 400))
    constant = np.zeros_like(y)
    assert np.abs(constant - y).mean() < mean_predictor_mae(y, y)  # MAE alone calls it good
    with caplog.at_level(logging.WARNING):
        report = learned_check(y, constant)
    assert "R2" in report["not_learned"] and "nearly constant" in report["not_learned"]
    assert "learned nothing" in caplog.text
    good = learned_check(y, y + rng.normal(0, 0.01, len(y)))
    assert "not_learned" not in good and good["val"]["r2"] > 0.9


class _Scripted(Trainer):
    """A trainer whose validation metrics follow a script, one entry per epoch."""

    script: list = []

    def evaluate(self, loader):
        if len(self.history.epochs) >= len(self.script):
            return super().evaluate(loader)
        mae, r2 = self.script[len(self.history.epochs)]
        return {"mae": mae, "rmse": mae, "r2": r2, "n": 1}


@pytest.mark.parametrize("select, best", [("mae", 3), ("mae_r2", 2)])
def test_the_kept_epoch_is_the_lowest_mae_among_those_that_learned(small, select, best):
    """Under ``mae_r2`` an epoch with validation R2 <= 0 (predicting the bound of a zero-inflated
    target) never wins over one that learned, however low its MAE; it counts only while none has."""
    train, val, _ = _loaders(small)
    trainer = _Scripted(_model(), TrainConfig(epochs=4, lr=5e-3, patience=None, select=select), progress=False)
    trainer.script = [(0.10, -0.1), (0.20, 0.3), (0.15, 0.2), (0.05, -0.5)]
    history = trainer.fit(train, val)
    assert history.best_epoch == best
    assert history.best_learned  # under "mae" every epoch counts as learned
    assert [e["val_r2"] for e in history.epochs] == [-0.1, 0.3, 0.2, -0.5]


def test_an_epoch_that_learned_nothing_is_kept_only_while_none_has(small):
    train, val, _ = _loaders(small)
    trainer = _Scripted(_model(), TrainConfig(epochs=3, lr=5e-3, patience=None), progress=False)
    trainer.script = [(0.20, -0.2), (0.10, -0.1), (0.30, -0.3)]
    history = trainer.fit(train, val)
    assert history.best_epoch == 1 and not history.best_learned


class _Snapshot(GraphLoader):
    """A training loader that copies the model's weights when each epoch starts."""

    model = None
    seen: list = []

    def set_epoch(self, epoch: int) -> None:
        self.seen.append({k: v.detach().clone() for k, v in self.model.state_dict().items()})
        super().set_epoch(epoch)


def test_a_frozen_encoder_stays_as_it_started_then_trains(small):
    store, split, y = small
    model = _model()
    start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    train = _Snapshot(store, split.train, y, 32, shuffle=True, seed=0)
    train.model, train.seen = model, []
    trainer = Trainer(model, TrainConfig(epochs=3, lr=5e-3, patience=None, freeze_encoder_epochs=2,
                                         bn_refresh_batches=0), progress=False)
    trainer.fit(train, GraphLoader(store, split.val, y, 64))
    after_frozen = train.seen[2]  # the weights when epoch 3 starts: two frozen epochs done
    encoder = [k for k in start if k.startswith(("embedding.", "convs.")) and "running" not in k and "num_batches" not in k]
    assert encoder and all(torch.equal(start[k], after_frozen[k]) for k in encoder)
    assert not torch.equal(start["out.weight"], after_frozen["out.weight"])
    assert all(p.requires_grad for p in model.parameters())  # trainable again afterwards
    final = model.state_dict()
    assert any(not torch.equal(after_frozen[k], final[k]) for k in encoder)  # the third epoch trained it


def test_freezing_a_model_without_a_readout_is_refused():
    from crysgnn_zoo.train.trainer import freeze_encoder

    model = _model()
    model.readout_prefixes = ("nothing.",)
    with pytest.raises(ConfigError, match="no readout parameters"):
        freeze_encoder(model)
