"""Releasing a pre-trained teacher: card from the run, median throughput, verified load."""
from __future__ import annotations

import json

from crysgnn_zoo.config import PretrainConfig
from crysgnn_zoo.hub.card import ModelCard
from crysgnn_zoo.hub.checkpoint import load_checkpoint
from crysgnn_zoo.nets.crysgnn import CrysGNNConfig
from crysgnn_zoo.pretrain.trainer import pretrain

def test_v2_style_release_has_its_objectives_and_median_epoch(curated_dir, curated_store, tmp_path, script):
    run = tmp_path / "pretrain"
    config = PretrainConfig(epochs=1, batch_size=16, normalize_embeddings=True, connectivity="all_pairs",
                            temperature=0.07)
    pretrain(curated_store, run, config, CrysGNNConfig(atom_dim=16, n_conv=1), progress=False, max_steps=3)
    history = json.loads((run / "history.json").read_text())
    slow = {**history[0], "seconds": 50 * history[0]["seconds"]}  # an epoch that shared the machine
    (run / "history.json").write_text(json.dumps([slow, *history, *history]))
    table = tmp_path / "releases.json"
    script("release_teacher").main(["--pretrain-dir", str(run), "--curated", str(curated_dir), "--name", "crysgnn-tiny",
                    "--weights-root", str(tmp_path / "weights"), "--dist", str(tmp_path / "dist"),
                    "--release-table", str(table), "--curves", str(tmp_path / "curves.png")])
    dest = tmp_path / "weights" / "crysgnn-tiny"
    card = ModelCard.load(dest)
    assert card.training["objectives"]["connectivity"] == "all_pairs" and card.training["steps"] == 3
    assert card.training["median_epoch_seconds"] == history[0]["seconds"]  # the median ignores the slow epoch
    assert json.loads(table.read_text())[0]["weights_sha256"] == card.sha256
    readme = (dest / "README.md").read_text()
    assert "L2-normalised" in readme and "every atom pair" in readme and "batches of 16" in card.metrics["note"]
    assert "graphs/s over the whole run; median epoch" in readme
    assert load_checkpoint(dest).model.config.atom_dim == 16
    assert (tmp_path / "curves.png").stat().st_size > 1000
