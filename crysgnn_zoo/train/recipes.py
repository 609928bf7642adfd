"""Optimiser recipes: the one table of learning rates, optimisers and schedules.

Two kinds of entry, named for what they are:

- ``<student>`` (``cgcnn``, ``crysxpp``, ``gatgnn``, ``alignn``): each student's published
  optimiser, used by the benchmark runner for vanilla and distilled runs alike; the schedule
  (cosine) and the loss are shared by all students, so a pair of runs differs only by
  distillation.
- ``peers/<family>``: the recipe both members of a peers comparison share
  (``benchmarks.peers``): cgcnn2's defaults for CGCNN (Adam 1e-2, constant rate), the ALIGNN
  paper's for ALIGNN (AdamW 1e-3, weight decay 1e-5, one-cycle). CGCNN's rate differs from
  the student entry on purpose: the comparison runs the peer's own defaults on both sides.

Each entry holds :class:`~crysgnn_zoo.config.TrainConfig` fields only.
"""
from __future__ import annotations

from crysgnn_zoo.errors import UnknownNameError

RECIPES: dict[str, dict] = {
    "cgcnn": {"lr": 5e-3},  # tuned for our mp_37k reference run (docs/performance.md)
    "crysxpp": {"lr": 3e-3},  # CrysXPP README default
    "gatgnn": {"lr": 5e-3, "optimizer": "adamw", "weight_decay": 0.1},  # GATGNN train.py defaults
    "alignn": {"lr": 1e-3, "optimizer": "adamw", "weight_decay": 1e-5},  # ALIGNN paper
    "peers/cgcnn": {"lr": 1e-2, "optimizer": "adam", "weight_decay": 0.0, "scheduler": "none"},  # cgcnn2 defaults
    "peers/alignn": {"lr": 1e-3, "optimizer": "adamw", "weight_decay": 1e-5, "scheduler": "onecycle"},
}


def recipe(name: str) -> dict:
    """The :class:`~crysgnn_zoo.config.TrainConfig` fields of recipe ``name`` (a copy);
    a student without an entry gets ``{}`` (the TrainConfig defaults)."""
    if name.startswith("peers/") and name not in RECIPES:
        raise UnknownNameError(f"no recipe {name!r}; peers recipes: {sorted(k for k in RECIPES if '/' in k)}")
    return dict(RECIPES.get(name, {}))
