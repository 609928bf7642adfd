"""A smooth lower/upper bound on a model's output, trained as part of the model.

Models predict in normalised units ``z = (y - mean) / std``. For a target with a physical range
``[lower, upper]`` (:class:`crysgnn_zoo.ranges.TargetRange`), :class:`SoftplusBound` maps any ``z``
into it: ``l + w * softplus((z - l) / w)`` for a lower bound ``l`` (in normalised units) and the
mirror image for an upper bound. ``w`` (``SOFTPLUS_WIDTH``, in units of the training targets'
standard deviation) sets how sharp the corner is: far above the bound the output is ``z``; at the
bound it is ``l + w ln 2``. A corner much sharper than one standard deviation lets an early
optimiser step push every output far below the bound, where the gradient vanishes and training
stalls (seen at 0.1 with CGCNN's lr 5e-3 on mp_elastic shear: a constant prediction for 100
epochs). It holds no parameters, so weights saved with and without it have the same keys; the
checkpoint's ``config.json`` says it is there (``"output_bound": "softplus"``).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from crysgnn_zoo.config import AUTO_SOFTPLUS_SHARE
from crysgnn_zoo.nets.normalizer import Normalizer
from crysgnn_zoo.ranges import TargetRange

#: Corner width of the bound, in standard deviations of the training targets.
SOFTPLUS_WIDTH = 1.0


def resolve_output_bound(choice: str, target_range: TargetRange | None, train_targets: np.ndarray) -> str:
    """``clip`` or ``softplus`` for :attr:`~crysgnn_zoo.config.TrainConfig.output_bound` ``choice``:
    ``auto`` is ``softplus`` when at least ``AUTO_SOFTPLUS_SHARE`` of ``train_targets`` (target
    units) lie on a bound of ``target_range``; a target without a range is always ``clip``
    (nothing to bound)."""
    if target_range is None:
        return "clip"
    if choice != "auto":
        return choice
    return "softplus" if target_range.share_at_bound(train_targets) >= AUTO_SOFTPLUS_SHARE else "clip"


class SoftplusBound(nn.Module):
    """Keeps normalised predictions above ``lower`` and/or below ``upper`` (normalised units).

    One bound: a softplus corner of ``width`` (slope 1 far from the bound). Both bounds: a
    sigmoid scaled to the interval, slope 1 at its middle (two softplus corners in turn would
    leave the interval when it is not much wider than ``width``).
    """

    def __init__(self, lower: float | None, upper: float | None, width: float = SOFTPLUS_WIDTH) -> None:
        super().__init__()
        self.lower, self.upper, self.width = lower, upper, width

    @classmethod
    def for_range(cls, target_range: TargetRange, normalizer: Normalizer) -> "SoftplusBound":
        """The bound of ``target_range`` (target units) for a model trained with ``normalizer``."""
        def norm(v: float | None) -> float | None:
            return None if v is None else (v - normalizer.mean) / normalizer.std

        return cls(norm(target_range.lower), norm(target_range.upper))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        w = self.width
        if self.lower is not None and self.upper is not None:
            span = self.upper - self.lower
            return self.lower + span * torch.sigmoid(4.0 * (z - 0.5 * (self.lower + self.upper)) / span)
        if self.lower is not None:
            z = self.lower + w * F.softplus((z - self.lower) / w)
        elif self.upper is not None:
            z = self.upper - w * F.softplus((self.upper - z) / w)
        return z

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}, width={self.width}"


class Probability(nn.Module):
    """The classification output: a logit -> the probability of the positive class (a sigmoid).
    No parameters; a checkpoint's ``config.json`` says ``"output_bound": "probability"``."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z)
