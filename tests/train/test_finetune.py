"""Starting a run from saved weights: same target keeps the head, a new target gets a new one."""
from __future__ import annotations

import json

import pytest
import torch

from crysgnn_zoo.cli import main
from crysgnn_zoo.config import GraphConfig, TrainConfig
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.hub.checkpoint import load_checkpoint
from crysgnn_zoo.train.finetune import init_model
from crysgnn_zoo.train.run import train_model

_RUN = dict(max_samples=60, split_sizes=(40, 10, 10), workers=1, progress=False, train_config=TrainConfig(epochs=1))


@pytest.fixture(scope="module")
def donor(tmp_path_factory):
    out = tmp_path_factory.mktemp("donor") / "run"
    train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn",
                model_overrides={"n_conv": 1, "atom_dim": 8, "hidden_dim": 16}, out_dir=out, **_RUN)
    return out / "checkpoint"


def test_same_target_copies_every_tensor(donor):
    name, net, report = init_model(donor, "formation_energy_per_atom")
    saved = load_checkpoint(donor).model.state_dict()
    assert name == "cgcnn" and not report.new_head and len(report.copied) == len(saved)
    assert all(torch.equal(net.state_dict()[k], v) for k, v in saved.items())
    assert net.config.atom_dim == 8 and net.config.hidden_dim == 16  # the donor's architecture


def test_new_target_gets_a_new_output_layer(donor):
    torch.manual_seed(1)
    _, net, report = init_model(donor, "band_gap")
    saved = load_checkpoint(donor).model.state_dict()
    assert report.new_head and not any(k.startswith("out.") for k in report.copied)
    assert torch.equal(net.state_dict()["embedding.weight"], saved["embedding.weight"])
    assert not torch.equal(net.state_dict()["out.weight"], saved["out.weight"])


def test_other_architecture_or_graphs_are_refused(donor):
    with pytest.raises(ConfigError, match="the weights are a 'cgcnn' model, not 'gatgnn'"):
        init_model(donor, "band_gap", model="gatgnn")
    with pytest.raises(ConfigError, match="trained on graphs built with"):
        train_model("mp_37k_sample", "band_gap", init=donor, graph_config=GraphConfig(cutoff=6.0), **_RUN)


def test_init_round_trip_from_the_cli(donor, tmp_path, capsys):
    out = tmp_path / "tuned"
    rc = main(["train", "--dataset", "mp_37k_sample", "--target", "band_gap", "--init", str(donor), "--epochs", "1",
               "--max-samples", "60", "--split", "40,10,10", "--out", str(out), "--no-progress", "--workers", "1"])
    assert rc == 0, capsys.readouterr().err
    result = json.loads((out / "result.json").read_text())
    assert result["model"] == "cgcnn" and result["extra"]["init"]["new_head"] is True
    assert result["extra"]["init"]["copied"] == len(load_checkpoint(donor).model.state_dict()) - 2
    tuned = load_checkpoint(out / "checkpoint")
    assert tuned.target == "band_gap" and tuned.model.config.atom_dim == 8


def test_a_partial_copy_is_said_on_the_console(donor, caplog):
    with caplog.at_level("WARNING"):
        _, _, report = init_model(donor, "formation_energy_per_atom", overrides={"hidden_dim": 32})
    assert "copied" in caplog.text and "start from a random initialisation" in caplog.text
    assert "head.0.weight" in caplog.text and len(report.copied) < len(load_checkpoint(donor).model.state_dict())
    caplog.clear()
    with caplog.at_level("WARNING"):
        init_model(donor, "band_gap")  # only the new output layer is fresh: nothing to warn about
    assert "random initialisation" not in caplog.text
