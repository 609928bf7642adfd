"""Every way a checkpoint folder can be bad raises the package's own error, naming the file."""
from __future__ import annotations

import json

import pytest
import torch

from crysgnn_zoo.cli import main
from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.download import sha256_of
from crysgnn_zoo.errors import CrysgnnZooError
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.hub.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from crysgnn_zoo.hub.resolve import WeightsVerificationError, resolve_weights
from crysgnn_zoo.predict import load_model


@pytest.fixture
def ckpt(tmp_path):
    torch.manual_seed(0)
    model = get_model("cgcnn", atom_dim=8, n_conv=1, hidden_dim=8)
    return save_checkpoint(tmp_path / "ckpt", model, graph_config=GraphConfig(), target="y", unit="eV")


def _rehash(folder):
    """Make the card agree with whatever weights.pt and config.json now hold (a consistent but bad folder)."""
    card = json.loads((folder / "card.json").read_text())
    card["sha256"] = sha256_of(folder / "weights.pt")
    card["config_sha256"] = sha256_of(folder / "config.json")
    (folder / "card.json").write_text(json.dumps(card))


def test_saved_card_records_the_weights_hash(ckpt):
    assert json.loads((ckpt / "card.json").read_text())["sha256"] == sha256_of(ckpt / "weights.pt")
    load_checkpoint(ckpt)
    assert resolve_weights(ckpt) == ckpt


def test_the_card_follows_the_one_schema(ckpt):
    from crysgnn_zoo.hub.card import ModelCard

    card = ModelCard.load(ckpt)
    assert (card.name, card.architecture, card.license) == ("ckpt", "cgcnn", "unreleased (a training run's own checkpoint)")
    assert card.num_params == sum(p.numel() for p in load_checkpoint(ckpt).model.parameters())


def test_a_card_outside_the_schema_is_refused_naming_the_field(ckpt):
    card = json.loads((ckpt / "card.json").read_text())
    del card["metrics"]
    (ckpt / "card.json").write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match=r"card.json lacks \['metrics'\]"):
        load_checkpoint(ckpt)


def test_a_run_card_from_before_the_schema_still_loads(ckpt, caplog):
    card = json.loads((ckpt / "card.json").read_text())
    old = {"result": {"test": {"mae": 0.1}}, "history": {}, "elements": [8],
           **{k: card[k] for k in ("sha256", "config_sha256")}}
    (ckpt / "card.json").write_text(json.dumps(old))
    assert load_checkpoint(ckpt).card["elements"] == [8]
    assert "before the model card schema" in caplog.text


def test_missing_card_is_refused(ckpt):
    (ckpt / "card.json").unlink()
    for load in (load_checkpoint, resolve_weights):
        with pytest.raises(WeightsVerificationError, match=r"card.json.*cannot be verified"):
            load(ckpt)


def test_tampered_weights_are_refused(ckpt):
    state = torch.load(ckpt / "weights.pt", weights_only=True)
    next(iter(state.values())).add_(1.0)
    torch.save(state, ckpt / "weights.pt")
    for load in (load_checkpoint, resolve_weights):
        with pytest.raises(WeightsVerificationError, match=r"weights.pt: SHA-256 .* does not match"):
            load(ckpt)


def _truncate(folder):
    data = (folder / "weights.pt").read_bytes()
    (folder / "weights.pt").write_bytes(data[: len(data) // 2])


def _random(folder):
    (folder / "weights.pt").write_bytes(bytes(range(256)) * 7)


def _pickled_tensor(folder):
    torch.save(torch.zeros(3), folder / "weights.pt")


def _other_model(folder):
    torch.save(get_model("cgcnn", atom_dim=16, n_conv=1, hidden_dim=8).state_dict(), folder / "weights.pt")


@pytest.mark.parametrize("damage, reason", [
    (_truncate, "cannot be read"), (_random, "cannot be read"),
    (_pickled_tensor, "not a state dict"), (_other_model, "do not fit"),
])
def test_unreadable_weights_raise_the_package_error(ckpt, damage, reason):
    damage(ckpt)
    _rehash(ckpt)
    with pytest.raises(CheckpointError, match=reason) as info:
        load_checkpoint(ckpt)
    assert str(ckpt / "weights.pt") in str(info.value) and "weights_only" not in str(info.value)


def test_bad_config_json_is_named(ckpt):
    (ckpt / "config.json").write_text("{not json")
    _rehash(ckpt)
    for load in (load_checkpoint, load_model):  # the one loader names the file too
        with pytest.raises(CheckpointError, match=r"config.json: not valid JSON"):
            load(ckpt)
    (ckpt / "config.json").write_text(json.dumps({"format": 1}))
    _rehash(ckpt)
    for load in (load_checkpoint, load_model):
        with pytest.raises(CheckpointError, match=r"config.json lacks"):
            load(ckpt)


def test_an_edited_normaliser_or_unit_is_refused(ckpt):
    """config.json decides every prediction (normaliser, unit, graph settings): the card's hash covers it."""
    config = json.loads((ckpt / "config.json").read_text())
    for field, value in (("normalizer", {**config["normalizer"], "mean": 5.0}), ("unit", "meV")):
        (ckpt / "config.json").write_text(json.dumps({**config, field: value}))
        for load in (load_checkpoint, resolve_weights):
            with pytest.raises(WeightsVerificationError, match=r"config.json: SHA-256 .* does not match the card"):
                load(ckpt)


def test_a_release_table_config_hash_is_checked(ckpt):
    with pytest.raises(WeightsVerificationError, match=r"config.json: .* does not match the release table"):
        load_checkpoint(ckpt, expected_config_sha256="0" * 64)


def test_a_card_from_before_config_hashes_loads_with_a_warning(ckpt, caplog):
    card = json.loads((ckpt / "card.json").read_text())
    del card["config_sha256"]
    (ckpt / "card.json").write_text(json.dumps(card))
    load_checkpoint(ckpt)
    assert "no config_sha256" in caplog.text and "not verified" in caplog.text


def test_every_package_error_derives_from_the_root():
    assert issubclass(CheckpointError, CrysgnnZooError) and issubclass(WeightsVerificationError, CrysgnnZooError)


def test_cli_prints_one_line_and_exits_2_and_v_shows_the_traceback(ckpt, tmp_path, capsys):
    _random(ckpt)
    cif = tmp_path / "x.cif"
    cif.write_text("data_x\n")
    args = ["predict", "--checkpoint", str(ckpt), "--data", str(cif), "--no-progress"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not match" in err and "Traceback" not in err
    assert main(["-v", *args]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_damaged_resume_state_is_named(tmp_path):
    from crysgnn_zoo.train.resume import load_resume_state

    (tmp_path / "last.pt").write_bytes(b"\x80\x02truncated")
    with pytest.raises(CheckpointError, match=r"last.pt: the resume state cannot be read.*move it away"):
        load_resume_state(tmp_path / "last.pt")


@pytest.mark.parametrize("field, value, reason", [
    ("model", "cgcnnn", "unknown model 'cgcnnn'"), ("model_config", {"atom_dim": 8, "widht": 3}, "widht"),
    ("normalizer", {"mean": 0.0, "scale": 1.0}, "scale"), ("graph_config", {"cutoff": -1.0}, "cutoff"),
])
def test_wrong_config_contents_name_the_file(ckpt, field, value, reason):
    config = json.loads((ckpt / "config.json").read_text())
    config[field] = value
    (ckpt / "config.json").write_text(json.dumps(config))
    _rehash(ckpt)
    with pytest.raises(CheckpointError, match=rf"config.json: .*{reason}"):
        load_checkpoint(ckpt)


def test_a_card_naming_another_architecture_than_the_config_is_refused(ckpt):
    card = json.loads((ckpt / "card.json").read_text())
    card["architecture"] = "gatgnn"
    (ckpt / "card.json").write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="card.json names a 'gatgnn' model, config.json a 'cgcnn' one"):
        load_checkpoint(ckpt)
