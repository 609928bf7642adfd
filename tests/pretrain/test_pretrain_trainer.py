"""Pre-training: resuming a finished run with more epochs restarts the cosine cycle once."""
from __future__ import annotations

import json

import pytest
import torch

from crysgnn_zoo.config import PretrainConfig
from crysgnn_zoo.nets.crysgnn import CrysGNNConfig
from crysgnn_zoo.pretrain.trainer import pretrain

TINY = CrysGNNConfig(atom_dim=8, n_conv=1)


def _lrs(run) -> list[float]:
    return [e["lr"] for e in json.loads((run / "history.json").read_text())]


def test_extending_a_finished_run_starts_one_new_cosine_cycle(curated_store, tmp_path):
    run = tmp_path / "pretrain"
    config = PretrainConfig(epochs=2, batch_size=256, lr=1e-3)
    first = pretrain(curated_store, run, config, TINY, progress=False)
    assert _lrs(run) == pytest.approx([1e-3, 5e-4])  # cosine over 2 epochs
    steps_per_epoch = first.steps // 2
    # extended to 5 epochs, stopped after epoch 3 (index 2) ...
    pretrain(curated_store, run, PretrainConfig(epochs=5, batch_size=256, lr=1e-3), TINY, progress=False,
             resume=True, max_steps=3 * steps_per_epoch)
    assert _lrs(run)[2] == pytest.approx(1e-3)  # the warm restart
    assert torch.load(run / "last.pt", weights_only=False)["cycle_start"] == 2
    # ... and resumed inside the new cycle: it goes on, no second restart
    done = pretrain(curated_store, run, PretrainConfig(epochs=5, batch_size=256, lr=1e-3), TINY, progress=False,
                    resume=True)
    lrs = _lrs(run)
    assert len(lrs) == 5 and done.steps == 5 * steps_per_epoch
    assert lrs[3] == pytest.approx(1e-3 * (1 + torch.cos(torch.tensor(torch.pi / 3)).item()) / 2)
    assert lrs[4] < lrs[3]


def test_resuming_inside_the_first_cycle_keeps_its_schedule(curated_store, tmp_path):
    run = tmp_path / "pretrain"
    config = PretrainConfig(epochs=3, batch_size=256, lr=1e-3)
    steps = pretrain(curated_store, tmp_path / "probe", PretrainConfig(epochs=1, batch_size=256), TINY,
                     progress=False).steps
    pretrain(curated_store, run, config, TINY, progress=False, max_steps=steps)
    pretrain(curated_store, run, config, TINY, progress=False, resume=True)
    assert _lrs(run) == pytest.approx([1e-3, 7.5e-4, 2.5e-4])
