"""Student + frozen teacher (:class:`DistilledModel`) and the teacher-embedding cache.

``h`` are per-atom embeddings; ``P`` is a learned linear projection from the student's width
to the teacher's (identity-initialised when they match); the objectives live in
:mod:`crysgnn_zoo.distill.objectives`. Teacher and student see the same atoms in the same
order (both graphs come from one :class:`GraphStore`), so no matching step is needed. The
teacher is frozen, in eval mode, and runs without gradients; with a
:class:`TeacherEmbeddingCache` it does not run at all during training."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from crysgnn_zoo.backend import ops
from crysgnn_zoo.config import ALPHA_SCHEDULES, DISTILL_MODES, DISTILL_OBJECTIVES, DistillConfig
from crysgnn_zoo.distill.defaults import for_student
from crysgnn_zoo.distill.objectives import SCALES, embedding_loss, normalized_embedding_loss, teacher_scale
from crysgnn_zoo.distill.schedules import scheduled_alpha, teacher_span
from crysgnn_zoo.distill.soft_targets import soft_targets
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.nets.teacher_input import StudentWithTeacher, atom_embeddings_of
from crysgnn_zoo.nets.losses import TASK_LOSSES
from crysgnn_zoo.nets.normalizer import Normalizer

if TYPE_CHECKING:
    from dgl import DGLGraph


class TeacherEmbeddingCache:
    """The teacher's atom embeddings for every atom of a store, computed once.

    ``lookup(g)`` returns the rows for a batch built by
    :func:`crysgnn_zoo.graphs.collate` (it carries each atom's index in the
    store as ``ndata["store_index"]``).
    """

    def __init__(self, teacher: nn.Module, store: GraphStore, batch_size: int = 256, device: str = "cpu",
                 backend: str | None = None) -> None:
        teacher.eval()
        if hasattr(teacher, "embed_store"):  # a teacher that embeds whole stores (e.g. CHGNet)
            self.embeddings = teacher.embed_store(store, device=device).float().to(device)
            return
        self.embeddings = atom_embeddings_of(teacher, store, batch_size, device, backend)  # kept on the device

    def lookup(self, g: DGLGraph) -> torch.Tensor:
        rows = g.ndata["store_index"].to(self.embeddings.device)
        return self.embeddings.index_select(0, rows).to(g.device)


def _projection(d_s: int, d_t: int, learned: bool) -> nn.Module:
    """A linear map from the student's width to the teacher's, identity-initialised when they match
    (a student equal to the teacher then has zero loss); ``learned=False``: the identity itself."""
    if d_s != d_t and not learned:
        raise ConfigError(f"without a projection the student's embedding width ({d_s}) must equal the "
                          f"teacher's ({d_t})")
    if d_s == d_t and not learned:
        return nn.Identity()
    projection = nn.Linear(d_s, d_t)
    if d_s == d_t:
        with torch.no_grad():
            projection.weight.copy_(torch.eye(d_t))
            projection.bias.zero_()
    return projection


class DistilledModel(StudentWithTeacher):
    """A student trained with CrysGNN distillation; predicts exactly like the student.

    Args:
        student: any model with ``forward_with_embeddings(g)`` (see
            :class:`~crysgnn_zoo.nets.base.AtomEncoderModel`).
        teacher: the frozen encoder (``embed(g) -> (n_atoms, d_t)``).
        alpha: weight of the embedding term (paper: 0.5).
        task_loss: ``mse``, ``l1`` or ``huber``.
        scale: the unit of the embedding MSE (:func:`teacher_scale`): ``global``
            (default), ``per_dim`` or ``none``; measured on the training data by
            :meth:`prepare`.
        project_equal_widths: learn a linear projection even when student and
            teacher widths match (initialised to the identity); ``False`` uses
            the identity itself (and needs equal widths).
        objective: ``spread`` (the MSE in units of ``scale``) or ``normalized``
            (:func:`normalized_embedding_loss`).
        weight: multiplier on the embedding term.
        alpha_schedule: a name in :mod:`crysgnn_zoo.distill.schedules` (e.g. ``constant``, or
            ``linear_decay``: alpha times ``1 - progress``), where the trainer sets ``progress`` =
            epoch / epochs through :meth:`set_progress`.
        teacher_crystals: the size rule (:attr:`~crysgnn_zoo.config.DistillConfig.teacher_crystals`):
            :meth:`plan` compresses the schedule into the first ``teacher_crystals`` training
            crystals seen; ``None``: the schedule spans all of training.
        mode: the channels the teacher reaches the student through
            (:attr:`~crysgnn_zoo.config.DistillConfig.mode`): ``embedding``, ``crystal``,
            ``soft_targets`` or two joined by ``+``. ``soft_targets`` needs :meth:`prepare` with
            the targets and the training crystals.
    """

    def __init__(
        self, student: nn.Module, teacher: nn.Module, alpha: float = 0.5, task_loss: str = "mse",
        scale: str = "global", project_equal_widths: bool = True, objective: str = "spread", weight: float = 1.0,
        alpha_schedule: str = "constant", teacher_crystals: int | None = None, mode: str = "embedding",
    ) -> None:
        super().__init__()
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"alpha must be in [0, 1], got {alpha}")
        if objective not in DISTILL_OBJECTIVES:
            raise ConfigError(f"objective must be one of {DISTILL_OBJECTIVES}, got {objective!r}")
        if alpha_schedule not in ALPHA_SCHEDULES:
            raise ConfigError(f"alpha_schedule must be one of {ALPHA_SCHEDULES}, got {alpha_schedule!r}")
        if mode not in DISTILL_MODES:
            raise ConfigError(f"mode must be one of {DISTILL_MODES}, got {mode!r}")
        self.mode = mode
        self.channels = frozenset(mode.split("+"))
        self.student = student
        self.alpha = alpha
        self.alpha_schedule = alpha_schedule
        self.progress = 0.0  # fraction of training done (set_progress)
        self.teacher_crystals = teacher_crystals
        self.span = 1.0  # share of training the schedule runs over (plan)
        self.objective = objective
        self.weight = weight
        self.set_task_loss(task_loss)
        self.teacher = [teacher.eval()]  # a list keeps it out of parameters() and state_dict()
        for p in teacher.parameters():
            p.requires_grad_(False)
        d_s, d_t = student.embedding_dim, teacher.embedding_dim
        self.projection = _projection(d_s, d_t, project_equal_widths)
        if "crystal" in self.channels:  # its own map: a crystal's mean need not follow the atoms' one
            self.crystal_projection = _projection(d_s, d_t, project_equal_widths)
        self.soft: torch.Tensor | None = None  # per-crystal soft targets, normalised (prepare)
        self._node_ptr: torch.Tensor | None = None
        self.cache: TeacherEmbeddingCache | None = None
        if scale not in SCALES:
            raise ConfigError(f"scale must be one of {SCALES}, got {scale!r}")
        self.scale = scale
        self.register_buffer("embedding_scale", None)
        self._scale_ready = False  # set by prepare()/use_cache(), else from the first batch
        self.loss_terms: dict[str, torch.Tensor] = {}  # the last batch's unweighted task and embedding losses
        self.config = student.config
        self.registry_name = getattr(student, "registry_name", None)
        self.needs_vectors = getattr(student, "needs_vectors", False)
        self.embedding_dim = student.embedding_dim

    @classmethod
    def from_config(cls, student: nn.Module, teacher: nn.Module, config: DistillConfig,
                    task_loss: str = "mse") -> "DistilledModel":
        """The wrapper a :class:`~crysgnn_zoo.config.DistillConfig` describes (``teacher`` already loaded)."""
        config = for_student(config, getattr(student, "registry_name", None))
        return cls(student, teacher, alpha=config.alpha, task_loss=task_loss, scale=config.embedding_scale,
                   project_equal_widths=config.projection, objective=config.objective,
                   weight=config.embedding_weight, alpha_schedule=config.alpha_schedule,
                   teacher_crystals=config.teacher_crystals, mode=config.mode)

    def plan(self, n_train: int, epochs: int) -> float:  # type: ignore[override]
        """Apply the size rule for a training run over ``n_train`` crystals and ``epochs`` epochs
        (the trainer calls it before the first epoch); returns the share of training the alpha
        schedule now runs over (:func:`~crysgnn_zoo.distill.schedules.teacher_span`)."""
        self.span = teacher_span(self.teacher_crystals, n_train, epochs)
        return self.span

    def set_progress(self, fraction: float) -> None:
        """Tell the model how far training is (epoch / epochs, in [0, 1]); the trainer calls it
        at the start of every epoch."""
        self.progress = min(max(float(fraction), 0.0), 1.0)

    @property
    def current_alpha(self) -> float:
        """The weight of the embedding term now (``alpha`` under the constant schedule)."""
        return scheduled_alpha(self.alpha, self.alpha_schedule, self.progress, self.span)

    def set_task_loss(self, kind: str) -> None:
        """``mse``, ``l1`` or ``huber`` on normalised targets."""
        if kind not in TASK_LOSSES:
            raise ConfigError(f"task loss must be one of {sorted(TASK_LOSSES)}, got {kind!r}")
        self.task_loss = TASK_LOSSES[kind]

    def use_cache(self, store: GraphStore, device: str = "cpu", backend: str | None = None) -> None:
        """Pre-compute the teacher's embeddings of every atom in ``store`` (and their spread), kept on ``device``."""
        self.cache = TeacherEmbeddingCache(self.teacher_model.to(device), store, device=device, backend=backend)
        self._set_scale(self.cache.embeddings, device)

    def prepare(self, store: GraphStore, cache: bool = True, device: str = "cpu", backend: str | None = None,
                targets: np.ndarray | None = None, train: np.ndarray | None = None,
                normalizer: Normalizer | None = None, seed: int = 0) -> None:
        """Get ready to train on ``store``: measure the teacher's per-dimension spread
        and, with ``cache``, keep its embeddings of every atom so it never runs again.
        Without this call the spread is taken from the first training batch. The
        ``soft_targets`` channel also needs ``targets`` (per crystal of ``store``), the
        ``train`` crystals and the ``normalizer`` the trainer will use."""
        if cache:
            self.use_cache(store, device=device, backend=backend)
            embeddings = self.cache.embeddings
        else:
            embeddings = TeacherEmbeddingCache(self.teacher_model.to(device), store, device=device,
                                               backend=backend).embeddings
            self._set_scale(embeddings, device)
        if "soft_targets" in self.channels:
            if targets is None or train is None:
                raise ConfigError("the soft_targets mode needs the targets and training crystals (prepare)")
            soft = soft_targets(embeddings.float().cpu().numpy(), store.node_ptr, targets, train, seed)
            soft = (normalizer or Normalizer()).norm(soft)
            self.soft = torch.as_tensor(soft, dtype=torch.float32, device=device)
            self._node_ptr = torch.as_tensor(store.node_ptr, device=device)

    def _set_scale(self, embeddings: torch.Tensor, device: str | torch.device = "cpu") -> None:
        scale = teacher_scale(embeddings, self.scale)
        self.embedding_scale = None if scale is None else scale.to(device)
        self._scale_ready = True

    @property
    def supports_bf16(self) -> bool:
        return getattr(self.student, "supports_bf16", False)

    def forward(self, g: DGLGraph) -> torch.Tensor:
        return self.student(g)

    def set_output_bound(self, bound: nn.Module | None) -> None:
        """The student's output bound (see :meth:`AtomEncoderModel.set_output_bound`)."""
        self.student.set_output_bound(bound)

    def embed(self, g: DGLGraph) -> torch.Tensor:
        return self.student.embed(g)

    def teacher_embeddings(self, g: DGLGraph) -> torch.Tensor:
        if self.cache is not None:
            return self.cache.lookup(g)
        teacher = self.teacher_model
        teacher.eval()
        with torch.no_grad(), torch.autocast(g.device.type, enabled=False):  # the teacher runs in float32
            return teacher.embed(g)

    def training_loss(self, g: DGLGraph, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(total loss, predictions)`` for a batch with normalised targets ``y``."""
        pred, h = self.student.forward_with_embeddings(g)
        pred, h = pred.float(), h.float()  # losses in float32 under bf16 autocast
        task = self.task_loss(pred, y)
        alpha = self.current_alpha
        if alpha == 0.0:
            self.loss_terms = {"task": task.detach()}
            return task, pred
        terms = self._channel_losses(g, h, pred)
        self.loss_terms = {"task": task.detach(), **{k: v.detach() for k, v in terms.items()}}
        return (1.0 - alpha) * task + alpha * self.weight * sum(terms.values()), pred

    def _channel_losses(self, g, h: torch.Tensor, pred: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each channel's unweighted loss on the batch (see :attr:`mode`)."""
        out = {}
        if self.channels & {"embedding", "crystal"}:
            target = self.teacher_embeddings(g)
            if not self._scale_ready:
                self._set_scale(target.detach(), target.device)
            if "embedding" in self.channels and self.objective == "normalized":
                out["embedding"] = normalized_embedding_loss(self.projection(h), target, g.batch_num_nodes())
            elif "embedding" in self.channels:
                out["embedding"] = embedding_loss(self.projection(h), target, self.embedding_scale)
            if "crystal" in self.channels:
                out["crystal"] = embedding_loss(self.crystal_projection(ops.mean_nodes(g, h)),
                                                ops.mean_nodes(g, target.to(h.dtype)), self.embedding_scale)
        if "soft_targets" in self.channels:
            out["soft_targets"] = F.mse_loss(pred[:, 0], self._soft_of(g))
        return out

    def _soft_of(self, g) -> torch.Tensor:
        """The soft targets of ``g``'s crystals, found through each crystal's first atom's store row."""
        if self.soft is None:
            raise ConfigError("the soft_targets mode needs prepare(store, targets=..., train=...) before training")
        sizes = g.batch_num_nodes().to(self.soft.device)
        first = g.ndata["store_index"].to(self.soft.device).index_select(0, torch.cumsum(sizes, 0) - sizes)
        crystal = torch.searchsorted(self._node_ptr, first, right=True) - 1
        return self.soft.index_select(0, crystal)

