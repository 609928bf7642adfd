"""The distillation objectives: how far a student's atom embeddings are from the teacher's.

    loss = (1 - alpha) * task(student(g), y) + alpha * weight * D(P(h_student), h_teacher)

``D`` is the ``spread`` objective (the default; :func:`embedding_loss` in the units of
:func:`teacher_scale`) or ``normalized``, the reference implementation's MSE between
L2-normalised atom embeddings averaged per crystal (:func:`normalized_embedding_loss`).

Why a scale: raw teacher embeddings can be large against a task loss on standardised
targets, so the raw MSE would swamp the task. Dividing each dimension by its own spread
(``per_dim``) amplifies dimensions the teacher barely varies; one overall spread (``global``,
the default) does not. The measurements behind both choices are in ``docs/benchmarks.md``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from crysgnn_zoo.config import EMBEDDING_SCALES
from crysgnn_zoo.errors import ConfigError


def embedding_loss(
    student_embeddings: torch.Tensor, teacher_embeddings: torch.Tensor, scale: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean squared difference of two (n_atoms, d) embedding matrices, each dimension divided by ``scale``."""
    if scale is None:
        return F.mse_loss(student_embeddings, teacher_embeddings)
    return F.mse_loss(student_embeddings / scale, teacher_embeddings / scale)


SCALES = EMBEDDING_SCALES


def normalized_embedding_loss(
    student_embeddings: torch.Tensor, teacher_embeddings: torch.Tensor, atoms_per_crystal: torch.Tensor
) -> torch.Tensor:
    """MSE between L2-normalised student and teacher atom embeddings (n_atoms, d), averaged
    over the atoms of each crystal (``atoms_per_crystal``: (n_crystals,) counts in batch order),
    then over crystals. Zero when each student embedding is a positive multiple of the teacher's."""
    per_atom = (F.normalize(student_embeddings, dim=1) - F.normalize(teacher_embeddings, dim=1)).pow(2).mean(dim=1)
    counts = atoms_per_crystal.to(per_atom.device)
    crystal = torch.repeat_interleave(torch.arange(len(counts), device=per_atom.device), counts)
    sums = torch.zeros(len(counts), dtype=per_atom.dtype, device=per_atom.device).index_add_(0, crystal, per_atom)
    return (sums / counts.clamp_min(1)).mean()


def teacher_scale(embeddings: torch.Tensor, kind: str = "global", floor: float = 1e-3) -> torch.Tensor | None:
    """The spread the embedding MSE is measured in, from ``(n_atoms, d)`` teacher embeddings.

    ``per_dim``: each dimension's standard deviation (the loss of predicting the
    teacher's mean embedding is then 1 in every dimension); ``global``: one
    number, the root of the mean per-dimension variance (keeps the teacher's
    geometry, does not amplify dimensions it barely varies); ``none``: raw MSE.
    """
    if kind not in SCALES:
        raise ConfigError(f"embedding scale must be one of {SCALES}, got {kind!r}")
    if kind == "none":
        return None
    if kind == "per_dim":
        return embeddings.std(dim=0).clamp_min(floor)
    return embeddings.var(dim=0).mean().sqrt().clamp_min(floor).reshape(1)
