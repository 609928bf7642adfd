"""The contract every architecture follows.

``embed(g) -> (n_atoms, embedding_dim)`` per-atom embeddings (what distillation
pulls toward the teacher's), and ``forward(g) -> (n_graphs, n_targets)``
predictions in normalised target units, passed through the output bound when one is
set (:meth:`AtomEncoderModel.set_output_bound`). Graphs come from
:func:`crysgnn_zoo.graphs.collate`; ``needs_vectors`` asks it for bond vectors.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.nets.hooks import TrainingHooks

if TYPE_CHECKING:
    from dgl import DGLGraph


#: ``g.ndata`` key of per-atom inputs a model takes besides the element features (a teacher's
#: atom embeddings, set by :class:`~crysgnn_zoo.nets.teacher_input.TeacherInputModel`)
EXTRA_INPUTS = "extra_atom_inputs"


class AtomEncoderModel(nn.Module, TrainingHooks):
    """Base class: subclasses implement ``embed`` and ``readout``."""

    needs_vectors: bool = False
    head_prefixes: tuple[str, ...] = ("out.",)  # the output layer, re-initialised when fine-tuning on a new target
    readout_prefixes: tuple[str, ...] = ("head.", "out.")  # what trains while TrainConfig.freeze_encoder_epochs lasts
    supports_bf16: bool = False  # TrainConfig(precision="bf16") needs torch paths for every DGL op
    embedding_dim: int

    def with_extra_inputs(self, g: DGLGraph, features: torch.Tensor) -> torch.Tensor:
        """``features`` with the batch's extra per-atom inputs appended, when the config asks for them.

        Raises:
            ConfigError: the model takes extra inputs and the batch has none (it was called
                without the teacher that provides them).
        """
        width = getattr(self.config, "extra_atom_inputs", 0)
        if not width:
            return features
        extra = g.ndata[EXTRA_INPUTS] if EXTRA_INPUTS in g.ndata else None
        if extra is None or extra.shape[-1] != width:
            raise ConfigError(f"this {type(self).__name__} takes {width} per-atom inputs from its teacher besides the "
                              "element features (DistillConfig(mode='input')); load it with crysgnn_zoo.load_model, "
                              "which runs its teacher")
        return torch.cat([features, extra.to(features.dtype)], dim=-1)

    def embed(self, g: DGLGraph) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def readout(self, g: DGLGraph, atom_embeddings: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    _output_bound: nn.Module | None = None

    def set_output_bound(self, bound: nn.Module | None) -> None:
        """Pass every prediction through ``bound`` (e.g. :class:`~crysgnn_zoo.nets.bounds.SoftplusBound`;
        ``None`` removes it). A bound holds no weights: it stays out of the state dict and the module tree."""
        object.__setattr__(self, "_output_bound", bound)

    @property
    def output_bound(self) -> nn.Module | None:
        return self._output_bound

    def _bounded(self, pred: torch.Tensor) -> torch.Tensor:
        return pred if self._output_bound is None else self._output_bound(pred)

    def forward(self, g: DGLGraph) -> torch.Tensor:
        return self._bounded(self.readout(g, self.embed(g)))

    def forward_with_embeddings(self, g: DGLGraph) -> tuple[torch.Tensor, torch.Tensor]:
        """``(predictions, atom_embeddings)`` in one pass (used by distillation)."""
        h = self.embed(g)
        return self._bounded(self.readout(g, h)), h

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
