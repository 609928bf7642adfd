"""Building blocks shared by the architectures."""
from __future__ import annotations

import torch
from torch import nn

from crysgnn_zoo.graphs.features import AtomFeaturizer, default_featurizer


class GaussianExpansion(nn.Module):
    """Distances (Angstrom) -> Gaussian basis: ``exp(-(d - mu_k)^2 / width^2)``.

    CGCNN: centres from ``start`` to ``stop`` every ``step`` Angstrom, width = step.
    ``(E,) -> (E, n_centres)``.
    """

    def __init__(self, start: float = 0.0, stop: float = 8.0, step: float = 0.2) -> None:
        super().__init__()
        n = int(round((stop - start) / step)) + 1
        self.register_buffer("centres", torch.linspace(start, stop, n))
        self.width = step

    @property
    def dim(self) -> int:
        return int(self.centres.numel())

    def forward(self, distance: torch.Tensor) -> torch.Tensor:
        return torch.exp(-((distance.unsqueeze(-1) - self.centres) ** 2) / self.width**2)


class AtomFeatures(nn.Module):
    """Atomic numbers -> fixed element features (a non-trainable table).

    ``(N,) int64 -> (N, featurizer.dim)``; the table travels with the
    model's state dict, so a checkpoint needs no separate featuriser file.
    """

    def __init__(self, featurizer: AtomFeaturizer | None = None) -> None:
        super().__init__()
        featurizer = featurizer or default_featurizer()
        self.version = featurizer.version
        self.register_buffer("table", torch.from_numpy(featurizer.table.copy()))

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def forward(self, atomic_number: torch.Tensor) -> torch.Tensor:
        return self.table[atomic_number]
