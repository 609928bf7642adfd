"""The task losses on standardised targets, by the name ``TrainConfig.loss`` gives them (the one
table: the trainer and the distillation wrapper both read it)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def binary_cross_entropy(probability: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of predicted probabilities (a :class:`~crysgnn_zoo.nets.bounds.Probability`
    output) against 0/1 labels, the probabilities kept 1e-6 away from 0 and 1."""
    return F.binary_cross_entropy(probability.clamp(1e-6, 1.0 - 1e-6), label)


TASK_LOSSES = {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.smooth_l1_loss, "bce": binary_cross_entropy}
