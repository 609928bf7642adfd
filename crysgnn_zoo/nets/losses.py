"""The task losses on standardised targets, by the name ``TrainConfig.loss`` gives them (the one
table: the trainer and the distillation wrapper both read it)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from crysgnn_zoo.config import AUTO_SOFTPLUS_SHARE

if TYPE_CHECKING:
    from crysgnn_zoo.ranges import TargetRange


def binary_cross_entropy(probability: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of predicted probabilities (a :class:`~crysgnn_zoo.nets.bounds.Probability`
    output) against 0/1 labels, the probabilities kept 1e-6 away from 0 and 1."""
    return F.binary_cross_entropy(probability.clamp(1e-6, 1.0 - 1e-6), label)


TASK_LOSSES = {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.smooth_l1_loss, "bce": binary_cross_entropy}


def resolve_task_loss(choice: str, target_range: "TargetRange | None", train_targets: np.ndarray) -> str:
    """The loss ``TrainConfig.loss`` ``choice`` means for these training targets (target units):
    ``auto`` is ``huber`` for a zero-inflated target, one with at least ``AUTO_SOFTPLUS_SHARE``
    (10 %) of ``train_targets`` on a bound of ``target_range`` (energies above hull of stable
    crystals, band gaps of metals), whose few large values would otherwise dominate a squared
    error; else ``mse``. Any other choice is returned as it is."""
    if choice != "auto":
        return choice
    zero_inflated = target_range is not None and target_range.share_at_bound(train_targets) >= AUTO_SOFTPLUS_SHARE
    return "huber" if zero_inflated else "mse"
