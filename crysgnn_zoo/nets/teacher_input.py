"""A student that reads its teacher's atom embeddings as inputs (``DistillConfig(mode="input")``).

The student is built with ``extra_atom_inputs`` = the teacher's width: its first layer sees the
element features and, beside them, the frozen teacher's embedding of each atom. So the teacher
runs whenever the student does, at prediction time too: a saved model names its teacher in
``config.json`` (``teacher_input``: release name or folder and the SHA-256 of its weights), and
:func:`crysgnn_zoo.hub.checkpoint.load_checkpoint` loads and verifies it. During training the
teacher's embeddings of every atom are computed once (:meth:`TeacherInputModel.prepare`), and each
of their dimensions is standardised with its mean and spread over the training store (saved with
the model), so the inputs the student sees are of the size of its element features.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from crysgnn_zoo.backend import for_device
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.nets.base import EXTRA_INPUTS
from crysgnn_zoo.nets.hooks import TrainingHooks

if TYPE_CHECKING:
    from crysgnn_zoo.graphs.store import GraphStore


@torch.no_grad()
def atom_embeddings_of(encoder: nn.Module, store: GraphStore, batch_size: int = 256, device: str = "cpu",
                       backend: str | None = None) -> torch.Tensor:
    """``encoder.embed`` of every atom of ``store``, in store order, float32 on ``device``: the one pass
    both a distilled model's teacher cache and an input-mode model's inputs come from."""
    encoder.eval()
    backend = backend or for_device(device)
    out = [encoder.embed(collate(store, np.arange(start, min(start + batch_size, len(store))),
                                 backend=backend).to(device)).float()
           for start in range(0, len(store), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, 0, device=device)


class StudentWithTeacher(nn.Module, TrainingHooks):
    """What every wrapper of a ``student`` and a frozen teacher shares (the teacher kept as
    ``self.teacher = [module]``, outside ``parameters()`` and the state dict): the student's own
    penalty, a ``to`` that moves the teacher too, a ``train`` that leaves the teacher in eval mode."""

    @property
    def teacher_model(self) -> nn.Module:
        return self.teacher[0]

    def regularization(self) -> torch.Tensor | None:
        """The student's own penalty, if it has one."""
        fn = getattr(self.student, "regularization", None)
        return fn() if fn is not None else None

    def to(self, *args, **kwargs):
        self.teacher_model.to(*args, **kwargs)
        return super().to(*args, **kwargs)

    def train(self, mode: bool = True):
        super().train(mode)
        self.teacher_model.eval()  # the teacher never leaves eval mode
        return self


class TeacherInputModel(StudentWithTeacher):
    """``student`` (built with ``extra_atom_inputs = teacher.embedding_dim``) fed by a frozen ``teacher``.

    ``forward(g)``, ``embed(g)`` and ``forward_with_embeddings(g)`` are the student's, with the
    teacher's atom embeddings put into ``g.ndata`` first. ``teacher_source``: what the teacher
    is (release name or folder), recorded when the model is saved.
    """

    def __init__(self, student: nn.Module, teacher: nn.Module, teacher_source: str = "",
                 mean: list[float] | None = None, std: list[float] | None = None) -> None:
        super().__init__()
        self.student = student
        self.teacher = [teacher.eval()]  # a list keeps it out of parameters() and state_dict()
        for p in teacher.parameters():
            p.requires_grad_(False)
        self.teacher_source = teacher_source
        self.cache: torch.Tensor | None = None  # the teacher's embedding of every atom of a store (prepare)
        self.input_mean = None if mean is None else torch.tensor(mean, dtype=torch.float32)
        self.input_std = None if std is None else torch.tensor(std, dtype=torch.float32)
        for name in ("config", "registry_name", "needs_vectors", "embedding_dim"):
            if hasattr(student, name):
                object.__setattr__(self, name, getattr(student, name))

    @property
    def out(self) -> nn.Module:
        """The student's output layer (what the uncertainty models read the features of)."""
        return self.student.out

    @torch.no_grad()
    def prepare(self, store: GraphStore, cache: bool = True, device: str = "cpu", backend: str | None = None,
                **_: object) -> None:
        """Compute the teacher's embedding of every atom of ``store`` once (training reads them)."""
        if not cache:
            return
        self.cache = atom_embeddings_of(self.teacher_model.to(device), store, device=device, backend=backend)
        self.input_mean = self.cache.mean(0).cpu()
        self.input_std = self.cache.std(0).clamp_min(1e-3).cpu()

    def _feed(self, g) -> None:
        if self.cache is not None and "store_index" in g.ndata:
            rows = self.cache.index_select(0, g.ndata["store_index"].to(self.cache.device)).to(g.device)
        else:
            with torch.no_grad(), torch.autocast(g.device.type, enabled=False):
                rows = self.teacher_model.embed(g).float()
        if self.input_mean is not None:
            rows = (rows - self.input_mean.to(rows.device)) / self.input_std.to(rows.device)
        g.ndata[EXTRA_INPUTS] = rows

    def input_scaling(self) -> dict:
        """The standardisation of the teacher's inputs, as saved with the model (``{}`` before prepare)."""
        if self.input_mean is None:
            return {}
        return {"mean": self.input_mean.tolist(), "std": self.input_std.tolist()}

    def forward(self, g) -> torch.Tensor:
        self._feed(g)
        return self.student(g)

    def embed(self, g) -> torch.Tensor:
        self._feed(g)
        return self.student.embed(g)

    def forward_with_embeddings(self, g) -> tuple[torch.Tensor, torch.Tensor]:
        self._feed(g)
        return self.student.forward_with_embeddings(g)

    def set_output_bound(self, bound: nn.Module | None) -> None:
        self.student.set_output_bound(bound)

    @property
    def output_bound(self) -> nn.Module | None:
        return self.student.output_bound

