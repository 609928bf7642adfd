"""Target standardisation fitted on the training split."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from crysgnn_zoo.data.errors import NoUsableDataError


@dataclass(frozen=True)
class Normalizer:
    """``(y - mean) / std`` and back; identity when ``mean=0, std=1``."""

    mean: float = 0.0
    std: float = 1.0

    @classmethod
    def fit(cls, y: np.ndarray) -> "Normalizer":
        """Mean and standard deviation of ``y`` (a constant ``y`` keeps ``std=1``).

        Raises:
            NoUsableDataError: ``y`` is empty or holds a NaN/inf.
        """
        y = np.asarray(y, dtype=np.float64)
        if y.size == 0 or not np.isfinite(y).all():
            raise NoUsableDataError("training targets", f"no finite target value to fit the normaliser on "
                                                        f"({y.size} value(s), {int((~np.isfinite(y)).sum())} not finite)")
        std = float(y.std())
        return cls(float(y.mean()), std if std > 1e-12 else 1.0)

    def norm(self, y: torch.Tensor) -> torch.Tensor:
        return (y - self.mean) / self.std

    def denorm(self, y: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
        return y * self.std + self.mean

    def to_dict(self) -> dict:
        return asdict(self)
