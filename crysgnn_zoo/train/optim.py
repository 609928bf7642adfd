"""The optimisation pieces shared by the property trainer and pre-training: the optimiser,
the learning-rate schedule and one gradient step (data-parallel gradient averaging and
norm clipping included)."""
from __future__ import annotations

from typing import Iterable

import torch

from crysgnn_zoo.train.distributed import World, average_gradients


def make_optimizer(params: Iterable[torch.nn.Parameter], name: str, lr: float,
                   weight_decay: float) -> torch.optim.Optimizer:
    """``adam``, ``adamw`` or ``sgd`` (momentum 0.9) over ``params`` (those that require gradients)."""
    params = [p for p in params if p.requires_grad]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
    return cls(params, lr=lr, weight_decay=weight_decay)


def make_scheduler(opt: torch.optim.Optimizer, name: str, epochs: int, steps_per_epoch: int = 1,
                   lr: float | None = None):
    """``cosine`` (stepped per epoch, over ``epochs``), ``onecycle`` (stepped per batch, peak ``lr``)
    or ``None`` for a constant rate."""
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    if name == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                   steps_per_epoch=max(steps_per_epoch, 1))
    return None


def gradient_step(model: torch.nn.Module, loss: torch.Tensor, opt: torch.optim.Optimizer, world: World,
                  max_norm: float | None) -> None:
    """Back-propagate ``loss``, average gradients over the processes of ``world``, clip their
    norm to ``max_norm`` (none when falsy) and step ``opt``."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    average_gradients(model, world)
    if max_norm:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    opt.step()
