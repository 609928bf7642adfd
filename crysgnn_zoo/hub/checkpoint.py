"""A trained model as a folder: ``config.json``, ``weights.pt``, ``card.json``.

``config.json`` holds everything needed to rebuild and use the model: the
registry name and its config, the graph builder's settings, the featuriser
version, the target with its unit and the target normaliser. ``weights.pt`` is
a plain state dict (loaded with ``weights_only=True``). ``card.json`` is a
:class:`~crysgnn_zoo.hub.card.ModelCard` (data, split hash, training budget, metrics,
command, the two files' SHA-256), the same schema for runs, teachers and releases.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from crysgnn_zoo._version import __version__
from crysgnn_zoo.backend import for_device
from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.errors import CrystalDataError
from crysgnn_zoo.data.text import read_text
from crysgnn_zoo.download import sha256_of
from crysgnn_zoo.errors import CheckpointError, ConfigError, WeightsVerificationError
from crysgnn_zoo.graphs.features import FEATURIZER_VERSION
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.hub.card import ModelCard
from crysgnn_zoo.hub.uncertainty import UNCERTAINTY_FILE, Uncertainty, readout_features
from crysgnn_zoo.nets.bounds import Probability, SoftplusBound
from crysgnn_zoo.nets.normalizer import Normalizer
from crysgnn_zoo.nets.registry import build_model
from crysgnn_zoo.ranges import TargetRange

CHECKPOINT_FORMAT = 1
UNRELEASED = "unreleased (a training run's own checkpoint)"
log = logging.getLogger(__name__)


_CONFIG_KEYS = ("format", "model", "model_config", "graph_config", "featurizer", "target", "normalizer")


def verify_weights(folder: str | Path, expected_sha256: str | None = None,
                   expected_config_sha256: str | None = None) -> str:
    """Check ``folder/weights.pt`` against the SHA-256 in ``folder/card.json`` (and
    ``expected_sha256``, e.g. a release table's), and ``folder/config.json`` (architecture,
    graph settings, target, unit, normaliser: everything else that decides a prediction)
    against the card's ``config_sha256`` (and ``expected_config_sha256``); returns the weights' hash.

    A card written before config hashes existed has no ``config_sha256``: its ``config.json``
    is then not verified, and a warning names the folder (every release has one).

    Raises:
        CheckpointError: ``config.json`` or ``weights.pt`` is missing, or the card is not JSON
            or lacks a field of :class:`~crysgnn_zoo.hub.card.ModelCard`.
        WeightsVerificationError: no card or no weights hash in it, or a hash differs.
    """
    folder = Path(folder)
    for name in ("config.json", "weights.pt"):
        if not (folder / name).is_file():
            raise CheckpointError(f"{folder}: not a crysgnn-zoo checkpoint (no {name})")
    card_path = folder / "card.json"
    if not card_path.is_file():
        raise WeightsVerificationError(
            f"{card_path}: missing, so {folder / 'weights.pt'} cannot be verified; "
            "a checkpoint folder holds config.json, weights.pt and card.json (with the weights' sha256)"
        )
    card = _read_json(card_path)
    if not card.get("sha256"):
        raise WeightsVerificationError(f"{card_path}: no sha256, so {folder / 'weights.pt'} cannot be verified")
    got = _check_hash(folder / "weights.pt", card["sha256"], expected_sha256)
    if card.get("config_sha256") or expected_config_sha256:
        _check_hash(folder / "config.json", card.get("config_sha256"), expected_config_sha256)
    else:
        log.warning("%s: the card has no config_sha256 (written before config hashes), so config.json "
                    "(normaliser, unit, graph settings) is not verified", card_path)
    _check_card(card, card_path)
    return got


def _check_card(card: dict, card_path: Path) -> None:
    """Parse the card against :class:`~crysgnn_zoo.hub.card.ModelCard`; a run's or a pre-training's
    card from before that schema (``result`` / ``pretrain_config`` at its top) loads with a warning."""
    try:
        ModelCard.from_dict(card, str(card_path))
    except CheckpointError:
        if "result" not in card and "pretrain_config" not in card:
            raise
        log.warning("%s: written before the model card schema; its weights are verified, its record is "
                    "not checked (save the model again to update it)", card_path)


def _check_hash(path: Path, card_sha: str | None, table_sha: str | None) -> str:
    got = sha256_of(path)
    for label, want in (("release table", table_sha), ("card.json", card_sha)):
        if want and got != want:
            raise WeightsVerificationError(
                f"{path}: SHA-256 {got[:16]}... does not match the {label} ({want[:16]}...); "
                "the file is corrupted, was changed, or belongs to another release: fetch or save it again"
            )
    return got


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(read_text(path))
    except (json.JSONDecodeError, CrystalDataError) as exc:
        raise CheckpointError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: not a JSON object")
    return data


def save_checkpoint(
    path: str | Path,
    model: torch.nn.Module,
    *,
    graph_config: GraphConfig,
    target: str | None,
    unit: str = "",
    normalizer: Normalizer | None = None,
    card: ModelCard | dict | None = None,
    target_range: TargetRange | None = None,
    output_bound: str = "clip",
    teacher_input: dict | None = None,
) -> Path:
    """Write ``model`` and what it needs into the folder ``path``
    (``target=None`` for an encoder without a trained property head). ``target_range``: the
    physical range predictions are kept in; ``output_bound``: ``softplus`` when the model was
    trained with :class:`~crysgnn_zoo.nets.bounds.SoftplusBound` (rebuilt on loading).
    ``teacher_input``: for a model fed by its teacher (``DistillConfig(mode="input")``), the
    teacher's ``{"source": release name or folder, "sha256": of its weights, "mean", "std": the
    standardisation of its embeddings}``; :func:`crysgnn_zoo.hub.resolve.load_released` (and so
    ``load_model``) loads it; ``load_checkpoint`` alone gives the bare student.

    ``card``: the :class:`~crysgnn_zoo.hub.card.ModelCard` fields known to the caller; the
    rest are filled here (name: the folder's, architecture, parameter count, the two
    hashes, licence ``unreleased``) and the whole is checked against the schema."""

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    config = {
        "format": CHECKPOINT_FORMAT,
        "crysgnn_zoo_version": __version__,
        "model": model.registry_name,
        "model_config": model.config.to_dict(),
        "graph_config": graph_config.to_dict(),
        "featurizer": FEATURIZER_VERSION,
        "target": target,
        "unit": unit,
        "normalizer": (normalizer or Normalizer()).to_dict(),
        "range": target_range.to_json() if target_range else None,
        "output_bound": output_bound if target_range or output_bound == "probability" else "clip",
        **({"teacher_input": teacher_input} if teacher_input else {}),
    }
    (path / "config.json").write_text(json.dumps(config, indent=2))
    torch.save(model.state_dict(), path / "weights.pt")
    given = card.to_dict() if isinstance(card, ModelCard) else dict(card or {})
    full = {"name": path.name, "architecture": model.registry_name, "data": {}, "training": {}, "metrics": {},
            "license": UNRELEASED, "command": "", **given,
            "num_params": sum(p.numel() for p in model.parameters()),
            "sha256": sha256_of(path / "weights.pt"), "config_sha256": sha256_of(path / "config.json")}
    checked = ModelCard.from_dict(full, str(path / "card.json")).to_dict()
    (path / "card.json").write_text(json.dumps(checked, indent=2, default=str))
    return path


@dataclass
class Predictor:
    """A loaded checkpoint, ready to predict in the target's units."""

    model: torch.nn.Module
    graph_config: GraphConfig
    normalizer: Normalizer
    target: str | None
    unit: str
    card: dict
    target_range: TargetRange | None = None
    uncertainty: Uncertainty | None = None

    @torch.no_grad()
    def predict(self, store: GraphStore, batch_size: int = 256, device: str = "cpu") -> np.ndarray:
        """The model's output ``(len(store),)`` for every crystal of ``store``, in target units,
        before clipping to :attr:`target_range` (see :meth:`predict_in_range`)."""
        self.model.to(device).eval()
        loader = GraphLoader(store, np.arange(len(store)), None, batch_size,
                             with_vectors=getattr(self.model, "needs_vectors", False), backend=for_device(device))
        out = []
        for g, _, _ in loader:
            out.append(self.normalizer.denorm(self.model(g.to(device)))[:, 0].cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def predict_in_range(self, store: GraphStore, batch_size: int = 256,
                         device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
        """``(predictions clipped to the target's range, mask of those that were outside it)``."""
        return self.clip(self.predict(store, batch_size, device))

    def clip(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(values clipped to the target's range, mask of those that were outside it)``."""
        if self.target_range is None:
            return values, np.zeros(values.shape, bool)
        return self.target_range.clip(values)

    def predict_with_uncertainty(self, store: GraphStore, batch_size: int = 256, device: str = "cpu"
                                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(predictions in range, clipped mask, std in the target's unit, in_domain)``; std NaN
        and in_domain True when the checkpoint has no uncertainty model
        (:mod:`crysgnn_zoo.hub.uncertainty`)."""
        if self.uncertainty is None:
            values, clipped = self.predict_in_range(store, batch_size, device)
            return values, clipped, np.full(len(values), np.nan), np.ones(len(values), bool)
        features, values, clipped = self.readout(store, batch_size, device)
        std, in_domain = self.uncertainty.evaluate(features, values)
        return values, clipped, std, in_domain

    def readout(self, store: GraphStore, batch_size: int = 256, device: str = "cpu"
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(readout features, predictions in range, clipped mask)`` in one pass: what the
        uncertainty model is fitted on and evaluated with."""
        features, raw = readout_features(self.model, store, batch_size, device)
        return features, *self.clip(self.normalizer.denorm(torch.from_numpy(raw)).numpy())


def load_state_dict_file(path: Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    """A state dict saved with ``torch.save``, loaded with ``weights_only=True``.

    Raises:
        CheckpointError: the file is truncated, not a torch file, or not a dict of tensors.
    """
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types; its advice (weights_only=False) is unsafe
        first = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
        reason = "truncated or not a torch file" if not first.startswith("Weights only load failed") else \
            "holds objects other than tensors"
        raise CheckpointError(f"{path}: cannot be read as weights ({reason}; {type(exc).__name__})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: not a state dict (a {type(state).__name__}, not a mapping of names to tensors)")
    return state


def _load_weights(model: torch.nn.Module, path: Path, name: str, device: str) -> None:
    state = load_state_dict_file(path, device)
    mine = model.state_dict()
    missing = sorted(set(mine) - set(state))
    unexpected = sorted(set(state) - set(mine))
    shapes = [k for k in set(mine) & set(state) if mine[k].shape != state[k].shape]
    if missing or unexpected or shapes:
        detail = "; ".join(f"{label}: {keys[:3]}" for label, keys in
                           (("missing", missing), ("unexpected", unexpected), ("other shape", sorted(shapes))) if keys)
        raise CheckpointError(f"{path}: the weights do not fit model {name!r} of config.json ({detail})")
    model.load_state_dict(state)


def load_checkpoint(path: str | Path, device: str = "cpu", expected_sha256: str | None = None,
                    expected_config_sha256: str | None = None) -> Predictor:
    """Rebuild the model saved in folder ``path``, after verifying its weights.

    Raises:
        CheckpointError: a file is missing or unreadable, or the format/featuriser differs.
        WeightsVerificationError: the weights cannot be verified or their hash differs.
    """
    path = Path(path)
    verify_weights(path, expected_sha256, expected_config_sha256)
    config = _read_json(path / "config.json")
    missing = [k for k in _CONFIG_KEYS if k not in config]
    if missing:
        raise CheckpointError(f"{path / 'config.json'} lacks {missing}")
    if config.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {config.get('format')} != {CHECKPOINT_FORMAT}")
    if config.get("featurizer") != FEATURIZER_VERSION:
        raise CheckpointError(
            f"{path}: made with atom features {config.get('featurizer')!r}, "
            f"this version computes {FEATURIZER_VERSION!r}"
        )
    try:
        model = build_model(config["model"], dict(config["model_config"]))  # never a pre-trained start
        graph_config = GraphConfig.from_dict(config["graph_config"])
        normalizer = Normalizer(**config["normalizer"])
    except (TypeError, ValueError, KeyError) as exc:  # a named error of the package says what, with the file
        raise CheckpointError(f"{path / 'config.json'}: {exc}") from None
    card = _read_json(path / "card.json")
    if card.get("architecture") not in (None, config["model"]):
        raise CheckpointError(f"{path}: card.json names a {card['architecture']!r} model, config.json a "
                              f"{config['model']!r} one; one of them was replaced: restore the folder as it was saved")
    _load_weights(model, path / "weights.pt", config["model"], device)
    model.eval()
    target_range = _output_range(model, config, normalizer, path)
    return Predictor(model=model, graph_config=graph_config, normalizer=normalizer, target=config["target"],
                     unit=config.get("unit", ""), card=card, target_range=target_range,
                     uncertainty=load_uncertainty(path, card))


def load_uncertainty(path: Path, card: dict) -> Uncertainty | None:
    """The checkpoint's uncertainty model, verified against the SHA-256 its card records
    (``None`` when it has none).

    Raises:
        WeightsVerificationError: the file's hash differs from the card's, or the file is there and
            the card names none (a file that cannot be told apart from a swapped one).
    """
    record = (card.get("extra") or {}).get("uncertainty") or {}
    file = path / UNCERTAINTY_FILE
    if not file.exists():
        if record:
            log.warning("%s: the card names %s, which is missing: predictions come without std", path, file.name)
        return None
    if sha256_of(file) != record.get("sha256"):
        raise WeightsVerificationError(f"{file}: its SHA-256 is not the one card.json records "
                                       f"({str(record.get('sha256'))[:16]}...); move it away or restore it")
    try:
        return Uncertainty.load(file)
    except KeyError as exc:  # genuine (its hash matched) but of another layout: the model still predicts
        log.warning("%s: an uncertainty model of another version (no %s); predictions come without std "
                    "(crysgnn_zoo.hub.calibrate.calibrate_checkpoint fits it again)", file, exc)
        return None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{file}: cannot be read ({type(exc).__name__})") from None


def _output_range(model: torch.nn.Module, config: dict, normalizer: Normalizer, path: Path) -> TargetRange | None:
    """The checkpoint's target range (``None`` for one saved without), and the model's trained bound."""
    try:
        target_range = TargetRange.from_json(config.get("range"), f"{path / 'config.json'}: range")
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from None
    bound = config.get("output_bound", "clip")
    if bound not in ("clip", "softplus", "probability"):
        raise CheckpointError(f"{path / 'config.json'}: unknown output_bound {bound!r} (clip, softplus or "
                              "probability)")
    if bound == "probability":  # a classifier: its output is the probability of the positive class
        model.set_output_bound(Probability())
    if bound == "softplus" and target_range is not None:
        model.set_output_bound(SoftplusBound.for_range(target_range, normalizer))
    return target_range
