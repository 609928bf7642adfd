"""The contract every architecture follows.

``embed(g) -> (n_atoms, embedding_dim)`` per-atom embeddings (what distillation
pulls toward the teacher's), and ``forward(g) -> (n_graphs, n_targets)``
predictions in normalised target units. Graphs come from
:func:`crysgnn_zoo.graphs.collate`; ``needs_vectors`` asks it for bond vectors.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from dgl import DGLGraph


class AtomEncoderModel(nn.Module):
    """Base class: subclasses implement ``embed`` and ``readout``."""

    needs_vectors: bool = False
    head_prefixes: tuple[str, ...] = ("out.",)  # the output layer, re-initialised when fine-tuning on a new target
    supports_bf16: bool = False  # TrainConfig(precision="bf16") needs torch paths for every DGL op
    embedding_dim: int

    def embed(self, g: DGLGraph) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def readout(self, g: DGLGraph, atom_embeddings: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def forward(self, g: DGLGraph) -> torch.Tensor:
        return self.readout(g, self.embed(g))

    def forward_with_embeddings(self, g: DGLGraph) -> tuple[torch.Tensor, torch.Tensor]:
        """``(predictions, atom_embeddings)`` in one pass (used by distillation)."""
        h = self.embed(g)
        return self.readout(g, h), h

    def regularization(self) -> torch.Tensor | None:
        """A penalty the trainer adds to the loss (``None``: none)."""
        return None

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
