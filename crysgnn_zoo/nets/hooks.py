"""What the trainer may ask of a model besides ``forward(g)``: one declared interface.

:class:`TrainingHooks` lists every call :class:`~crysgnn_zoo.train.trainer.Trainer` makes on the
model it trains, each with a default that does nothing. The package's architectures
(:class:`~crysgnn_zoo.nets.base.AtomEncoderModel`) and the distillation wrapper
(:class:`~crysgnn_zoo.distill.model.DistilledModel`) derive from it and override what they
need; a user's own ``nn.Module`` without it trains with the defaults (its forward pass and the
configured task loss).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import torch
from torch import nn

from crysgnn_zoo.errors import ConfigError


class TrainingHooks:
    """The trainer's calls on a model, each with a no-op default."""

    #: whether forward passes may run under bfloat16 autocast (``TrainConfig(precision="bf16")``)
    supports_bf16: bool = False
    #: the last batch's unweighted loss terms by name (e.g. ``task``, ``embedding``), logged per epoch
    loss_terms: Mapping[str, torch.Tensor] = MappingProxyType({})

    def training_loss(self, g, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """``(loss, predictions)`` for a batch with normalised targets ``y``; ``None`` (the
        default): the trainer's task loss on ``forward(g)``."""
        return None

    def regularization(self) -> torch.Tensor | None:
        """A penalty the trainer adds to the loss (``None``: none)."""
        return None

    def plan(self, n_train: int, epochs: int) -> None:
        """Called once before the first epoch with the number of training crystals and epochs."""

    def set_progress(self, fraction: float) -> None:
        """Called at the start of every epoch with epoch / epochs."""

    def set_task_loss(self, kind: str) -> None:
        """Train on task loss ``kind`` (``mse``, ``l1``, ``huber``, ``bce``) where the model computes
        its own loss (:meth:`training_loss`); the default computes none, so nothing to set."""

    def set_output_bound(self, bound: nn.Module | None) -> None:
        """Pass every prediction through ``bound`` (``TrainConfig(output_bound="softplus")``)."""
        raise ConfigError(f"TrainConfig(output_bound='softplus') needs a model with set_output_bound "
                          f"(the package's architectures); {type(self).__name__} has none")


#: The hooks of a model that declares none.
NO_HOOKS = TrainingHooks()


def hooks_of(model: nn.Module) -> TrainingHooks:
    """``model`` itself when it declares :class:`TrainingHooks`, else the defaults."""
    return model if isinstance(model, TrainingHooks) else NO_HOOKS
