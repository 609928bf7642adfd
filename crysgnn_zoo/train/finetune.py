"""Starting a run from released or saved weights (``train --init NAME|PATH``).

The new model takes the donor's architecture and config (keyword overrides
still apply, e.g. a dropout), then every donor tensor of the same name and
shape. When the run's target differs from the donor's, the output layer
(``AtomEncoderModel.head_prefixes``) keeps its fresh initialisation: a new head
on the donor's encoder and readout.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.hub.resolve import load_released
from crysgnn_zoo.nets.registry import build_model

log = logging.getLogger(__name__)


@dataclass
class InitReport:
    """What a start from weights did: donor, copied tensors, whether the head is new."""

    source: str
    donor_target: str | None
    copied: list[str]
    new_head: bool
    graph_config: GraphConfig

    def to_dict(self) -> dict:
        return {"source": self.source, "donor_target": self.donor_target, "copied": len(self.copied),
                "new_head": self.new_head}


def init_model(source: str | Path, target: str, model: str | None = None,
               overrides: dict | None = None) -> tuple[str, torch.nn.Module, InitReport]:
    """``(registry name, model, report)``: a model built like the donor ``source`` and
    initialised from its weights (a new output layer when ``target`` differs).

    Raises:
        ConfigError: ``model`` names another architecture than the donor's.
    """
    donor = load_released(source)
    name = donor.model.registry_name
    if model is not None and model != name:
        raise ConfigError(f"--init {source}: the weights are a {name!r} model, not {model!r}; drop --model "
                          f"or give --model {name}")
    net = build_model(name, {**donor.model.config.to_dict(), **(overrides or {})})  # the donor's weights start it
    new_head = donor.target != target
    mine = net.state_dict()
    heads = tuple(getattr(net, "head_prefixes", ("out.",)))
    copied = {k: v for k, v in donor.model.state_dict().items()
              if k in mine and mine[k].shape == v.shape and not (new_head and k.startswith(heads))}
    net.load_state_dict(copied, strict=False)
    log.info("initialised %s from %s: %d tensors copied%s", name, source, len(copied),
             ", new output layer" if new_head else "")
    left = sorted(k for k in mine if k not in copied and not (new_head and k.startswith(heads)))
    if left:  # an override changed a shape: part of the model starts fresh, which the user must know
        log.warning("--init %s: copied %d of %d tensors; %d start from a random initialisation because their "
                    "shape differs from the donor's (%s%s)", source, len(copied), len(mine), len(left),
                    ", ".join(left[:4]), ", ..." if len(left) > 4 else "")
    return name, net, InitReport(str(source), donor.target, sorted(copied), new_head, donor.graph_config)
