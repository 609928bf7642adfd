"""Model cards: what a released weight set is, what it saw, how it was made."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from crysgnn_zoo.hub.checkpoint import CheckpointError

REQUIRED = ("name", "architecture", "sha256", "num_params", "data", "training", "metrics", "license", "command")


@dataclasses.dataclass
class ModelCard:
    """The card of one weight set (``card.json`` inside its checkpoint folder).

    Attributes:
        name: release name, ``crysgnn-v1``.
        architecture: registry name of the network (``crysgnn``).
        sha256: SHA-256 of ``weights.pt``.
        num_params: trainable parameters of the network.
        data: what it was trained on (sources, counts, de-duplication).
        training: budget and timings (epochs, steps, wall seconds, processes).
        metrics: measured results with units.
        license: licence of the weights.
        command: the command that produced them.
        extra: anything else (loss curves, notes).
        config_sha256: SHA-256 of ``config.json`` (architecture, graph settings, target, unit,
            normaliser), checked on load like the weights' hash.
    """

    name: str
    architecture: str
    sha256: str
    num_params: int
    data: dict
    training: dict
    metrics: dict
    license: str
    command: str
    extra: dict = dataclasses.field(default_factory=dict)
    config_sha256: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelCard":
        missing = [k for k in REQUIRED if k not in data]
        if missing:
            raise CheckpointError(f"model card {data.get('name', '?')!r} lacks {missing}")
        known = {f.name for f in dataclasses.fields(cls)}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**{k: v for k, v in data.items() if k in known and k != "extra"},
                   extra={**data.get("extra", {}), **extra})

    @classmethod
    def load(cls, folder: str | Path) -> "ModelCard":
        return cls.from_dict(json.loads((Path(folder) / "card.json").read_text()))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
