"""A trained model as a folder: ``config.json``, ``weights.pt``, ``card.json``.

``config.json`` holds everything needed to rebuild and use the model: the
registry name and its config, the graph builder's settings, the featuriser
version, the target with its unit and the target normaliser. ``weights.pt`` is
a plain state dict (loaded with ``weights_only=True``). ``card.json`` records
how it was made (data, split hash, training budget, metrics, wall time).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.graphs.features import FEATURIZER_VERSION
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.registry import build_model, model_entry
from crysgnn_zoo.train.loader import GraphLoader
from crysgnn_zoo.train.normalizer import Normalizer

CHECKPOINT_FORMAT = 1


class CheckpointError(ValueError):
    """A checkpoint folder is incomplete or was written by an incompatible version."""


def save_checkpoint(
    path: str | Path,
    model: torch.nn.Module,
    *,
    graph_config: GraphConfig,
    target: str | None,
    unit: str = "",
    normalizer: Normalizer | None = None,
    card: dict | None = None,
) -> Path:
    """Write ``model`` and what it needs into the folder ``path``
    (``target=None`` for an encoder without a trained property head)."""
    from crysgnn_zoo import __version__

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
    }
    (path / "config.json").write_text(json.dumps(config, indent=2))
    torch.save(model.state_dict(), path / "weights.pt")
    (path / "card.json").write_text(json.dumps(card or {}, indent=2, default=str))
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

    @torch.no_grad()
    def predict(self, store: GraphStore, batch_size: int = 256, device: str = "cpu") -> np.ndarray:
        """Predictions ``(len(store),)`` for every crystal of ``store``."""
        self.model.to(device).eval()
        loader = GraphLoader(store, np.arange(len(store)), None, batch_size,
                             with_vectors=getattr(self.model, "needs_vectors", False))
        out = []
        for g, _, _ in loader:
            out.append(self.normalizer.denorm(self.model(g.to(device)))[:, 0].cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)


def load_checkpoint(path: str | Path, device: str = "cpu") -> Predictor:
    """Rebuild the model saved in folder ``path``.

    Raises:
        CheckpointError: a file is missing, or the format/featuriser differs.
    """
    path = Path(path)
    for name in ("config.json", "weights.pt"):
        if not (path / name).exists():
            raise CheckpointError(f"{path}: not a crysgnn-zoo checkpoint (no {name})")
    config = json.loads((path / "config.json").read_text())
    if config.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {config.get('format')} != {CHECKPOINT_FORMAT}")
    if config.get("featurizer") != FEATURIZER_VERSION:
        raise CheckpointError(
            f"{path}: made with atom features {config.get('featurizer')!r}, "
            f"this version computes {FEATURIZER_VERSION!r}"
        )
    model_config = dict(config["model_config"])
    init_field = model_entry(config["model"]).init_field
    if init_field:
        model_config[init_field] = None  # the saved weights below replace any pre-trained start
    model = build_model(config["model"], model_config)
    state = torch.load(path / "weights.pt", map_location=device, weights_only=True)
    model.load_state_dict(state)
    model.eval()
    card = json.loads((path / "card.json").read_text()) if (path / "card.json").exists() else {}
    return Predictor(
        model=model,
        graph_config=GraphConfig.from_dict(config["graph_config"]),
        normalizer=Normalizer(**config["normalizer"]),
        target=config["target"],
        unit=config.get("unit", ""),
        card=card,
    )
