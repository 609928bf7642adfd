"""Model cards: what a weight set is, what it saw, how it was made.

One schema for every checkpoint folder: a training run's ``checkpoint/``, a pre-trained
teacher and a release all write a :class:`ModelCard` as ``card.json``, and loading any of
them parses it back (a card that lacks a required field is refused, naming the file).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from crysgnn_zoo.errors import CheckpointError

REQUIRED = ("name", "architecture", "sha256", "num_params", "data", "training", "metrics", "license", "command")


@dataclasses.dataclass
class ModelCard:
    """The card of one weight set (``card.json`` inside its checkpoint folder).

    Attributes:
        name: release name (``crysgnn-v1``), or a run's folder name.
        architecture: registry name of the network (``crysgnn``).
        sha256: SHA-256 of ``weights.pt``.
        num_params: parameters of the network (all of them, frozen ones included).
        data: what it was trained on (sources, counts, de-duplication).
        training: budget and timings (epochs, steps, wall seconds, processes).
        metrics: measured results with units.
        license: licence of the weights (``unreleased`` for a run's own checkpoint).
        command: the command that produced them.
        elements: atomic numbers present in the training crystals (an encoder: in its
            pre-training pool);
            predicting a crystal with others warns.
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
    elements: list[int] = dataclasses.field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "") -> "ModelCard":
        """Parse a card; unknown keys go to ``extra``. ``where`` names the file in errors.

        Raises:
            CheckpointError: a required field is missing or ``data`` is not a mapping.
        """
        if not isinstance(data, dict):
            raise CheckpointError(f"{where or 'model card'}: a model card is a JSON object")
        label = where or f"model card {data.get('name', '?')!r}"
        missing = [k for k in REQUIRED if k not in data]
        if missing:
            raise CheckpointError(f"{label} lacks {missing} (the model card's fields: "
                                  f"{', '.join(REQUIRED)}; see crysgnn_zoo.hub.ModelCard)")
        known = {f.name for f in dataclasses.fields(cls)}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**{k: v for k, v in data.items() if k in known and k != "extra"},
                   extra={**data.get("extra", {}), **extra})

    @classmethod
    def load(cls, folder: str | Path) -> "ModelCard":
        path = Path(folder) / "card.json"
        return cls.from_dict(json.loads(path.read_text()), str(path))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
