"""Pre-training: resuming a finished run with more epochs restarts the cosine cycle once; pool subsets."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import PretrainConfig
from crysgnn_zoo.nets.crysgnn import CrysGNNConfig
from crysgnn_zoo.pretrain.trainer import pretrain, pretrain_split

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


def test_pool_fractions_share_the_held_out_crystals_and_nest_nothing_of_them():
    full_val, full_train = pretrain_split(1000, 0.02, PretrainConfig(seed=0))
    val, train = pretrain_split(1000, 0.02, PretrainConfig(seed=0, pool_fraction=0.25))
    np.testing.assert_array_equal(val, full_val)          # every pool size is scored on the same crystals
    assert len(full_train) == 980 and len(train) == 245
    assert set(train) <= set(full_train) and not set(train) & set(val)
    again = pretrain_split(1000, 0.02, PretrainConfig(seed=0, pool_fraction=0.25))[1]
    other = pretrain_split(1000, 0.02, PretrainConfig(seed=1, pool_fraction=0.25))[1]
    np.testing.assert_array_equal(train, again)            # seeded
    assert set(other) != set(train)


def test_pool_fraction_outside_0_1_is_refused():
    from crysgnn_zoo.errors import ConfigError

    with pytest.raises(ConfigError, match="pool_fraction"):
        PretrainConfig(pool_fraction=0.0)


def test_a_pool_fraction_trains_on_that_share(curated_store, tmp_path):
    full = pretrain(curated_store, tmp_path / "all", PretrainConfig(epochs=1, batch_size=4), TINY, progress=False)
    half = pretrain(curated_store, tmp_path / "half", PretrainConfig(epochs=1, batch_size=4, pool_fraction=0.5),
                    TINY, progress=False)
    card = json.loads((tmp_path / "half" / "teacher" / "card.json").read_text())
    assert half.graphs_seen < full.graphs_seen
    assert card["data"]["train_crystals"] == half.graphs_seen
