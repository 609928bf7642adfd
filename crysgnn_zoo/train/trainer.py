"""Supervised training loop: fit, evaluate, predict, checkpoint and resume.

The loss is pluggable: ``loss_fn(model, g, y_norm) -> (loss, predictions)``.
The default is the task loss named in :class:`TrainConfig`; distillation
supplies one that adds an embedding term.
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch
from crysgnn_zoo.backend import for_device
from crysgnn_zoo.progress import bar as progress_bar

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.data.errors import NoUsableDataError
from crysgnn_zoo.errors import BoundCollapsedError, ConfigError
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.nets.bounds import Probability, SoftplusBound, resolve_output_bound
from crysgnn_zoo.nets.hooks import hooks_of
from crysgnn_zoo.nets.layers import set_compiled_kernels
from crysgnn_zoo.nets.losses import TASK_LOSSES, resolve_task_loss
from crysgnn_zoo.nets.normalizer import Normalizer
from crysgnn_zoo.ranges import TargetRange
from crysgnn_zoo.train.batchnorm import refresh_batchnorm
from crysgnn_zoo.train.distributed import broadcast_buffers, init_distributed
from crysgnn_zoo.train.lock import RunLock
from crysgnn_zoo.train.memory import HeapTrimmer, bound_dnnl_caches
from crysgnn_zoo.train.metrics import CONSTANT_SPREAD, classification_metrics, prediction_spread, regression_metrics
from crysgnn_zoo.train.optim import gradient_step, make_optimizer, make_scheduler
from crysgnn_zoo.train.resume import load_resume_state, restore, save_resume_state

log = logging.getLogger(__name__)

LossFn = Callable[[torch.nn.Module, object, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]

if TYPE_CHECKING:
    from dgl import DGLGraph


def task_loss(kind: str) -> LossFn:
    """The plain supervised loss on normalised targets."""
    crit = TASK_LOSSES[kind]

    def loss_fn(model, g: DGLGraph, y):
        pred = model(g)
        return crit(pred.float(), y), pred

    return loss_fn


def target_normalizer(config: TrainConfig, train_targets: np.ndarray) -> Normalizer:
    """The normaliser a run trains in: the training targets' mean and std when ``config.normalize``
    (regression), else the identity (classification: 0/1 labels as they are)."""
    if config.normalize and config.task == "regression":
        return Normalizer.fit(train_targets)
    return Normalizer()


#: An ``auto`` softplus bound whose validation predictions stay constant over this many first epochs
#: has collapsed (Trainer._stop_if_collapsed).
COLLAPSE_EPOCHS = 2


@dataclass
class History:
    """Per-epoch records: ``train_loss``, ``val_mae`` (target units), ``seconds``, ``lr``; for a
    distilled model also ``train_task_loss`` and ``train_embedding_loss`` (each unweighted)."""

    epochs: list[dict] = field(default_factory=list)
    best_epoch: int = -1
    best_val_mae: float = math.inf
    stopped_early: bool = False
    #: whether the kept epoch counts as learned: validation R2 > 0 under ``select="mae_r2"``; always under ``mae``.
    best_learned: bool = False

    @property
    def seconds_per_epoch(self) -> float:
        secs = [e["seconds"] for e in self.epochs]
        return float(np.mean(secs)) if secs else float("nan")

    def to_dict(self) -> dict:
        return {
            "epochs": self.epochs,
            "best_epoch": self.best_epoch,
            "best_val_mae": self.best_val_mae,
            "stopped_early": self.stopped_early,
            "best_learned": self.best_learned,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        return cls(**data)


class Trainer:
    """Trains ``model`` on normalised targets with early stopping on validation MAE.

    Args:
        model: any :class:`~crysgnn_zoo.nets.base.AtomEncoderModel`.
        config: optimisation settings.
        out_dir: where ``last.pt`` goes after every epoch (the full state for resume, the best
            epoch's weights included); ``None`` keeps everything in memory.
        device: torch device string (``"cpu"``, ``"cuda"``).
        loss_fn: overrides the task loss (see module docstring).
        progress: show tqdm bars.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        config: TrainConfig | None = None,
        out_dir: str | Path | None = None,
        device: str = "cpu",
        loss_fn: LossFn | None = None,
        progress: bool = True,
        heap_trim_interval: float | None = 5.0,
        target_range: TargetRange | None = None,
    ) -> None:
        """``heap_trim_interval``: hand freed heap pages back to the OS after a
        training step when this many seconds have passed since the last time, and
        after every epoch's training (:mod:`crysgnn_zoo.train.memory`; ``None``: never).
        It changes memory, not results. ``target_range``: the target's physical range, which
        ``TrainConfig.output_bound="softplus"`` builds into the model's output."""
        self.config = config or TrainConfig()
        self.target_range = target_range
        self.output_bound = "clip"  # resolved from config.output_bound when fit starts (_bound_output)
        if self.config.precision == "bf16" and not hooks_of(model).supports_bf16:
            raise ConfigError(
                f"TrainConfig(precision='bf16') is supported for ALIGNN only; {type(model).__name__} "
                "uses DGL message-passing kernels that take float32 on CPU"
            )
        if self.config.precision == "bf16":
            bound_dnnl_caches()  # before this process's first bf16 product: varying batch shapes fill 1,024-entry caches
        if self.config.compile:
            if not set_compiled_kernels(model, True):
                raise ConfigError(
                    f"TrainConfig(compile=True) is supported for ALIGNN only; {type(model).__name__} "
                    "has no layer with a compiled path"
                )
        self.world, device = init_distributed(device)
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.run_dir = Path(out_dir) if out_dir else None  # every process reads (resume) ...
        self.out_dir = self.run_dir if self.world.main else None  # ... rank 0 writes
        self.hooks = hooks_of(self.model)  # what else the trainer may call (nets/hooks.py)
        self._given_loss_fn = loss_fn
        #: the task loss trained with: ``TrainConfig.loss``, ``auto`` resolved when fit starts (_resolve_loss)
        self.loss = self.config.task_loss
        self.loss_fn = loss_fn  # the configured task loss is set when fit resolves it
        self.progress = progress and self.world.main
        self.heap_trimmer = HeapTrimmer(heap_trim_interval)
        self.normalizer = Normalizer()
        self.history = History()
        self._best_state: dict | None = None

    def _hooked_loss(self, default: LossFn) -> LossFn:
        """The model's own :meth:`~crysgnn_zoo.nets.hooks.TrainingHooks.training_loss` where it
        gives one (a distilled model's), else ``default``."""
        def loss_fn(model, g, y):
            own = self.hooks.training_loss(g, y)
            return own if own is not None else default(model, g, y)

        return loss_fn

    # ----------------------------------------------------------------- setup
    def _optimizer(self) -> torch.optim.Optimizer:
        c = self.config
        return make_optimizer(self.model.parameters(), c.optimizer, c.lr, c.weight_decay)

    def _scheduler(self, opt, steps_per_epoch: int):
        c = self.config
        return make_scheduler(opt, c.scheduler, c.epochs, steps_per_epoch, c.lr)

    def autocast(self):
        """The forward-pass precision context of ``TrainConfig.precision``."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.precision == "bf16")

    def _on_backend(self, *loaders: GraphLoader) -> None:
        """A loader that names no backend builds the graphs this trainer's device and
        ``TrainConfig.backend`` call for (torch on a GPU: DGL's kernels are CPU-only)."""
        for loader in loaders:
            if getattr(loader, "backend", "unset") is None:
                loader.backend = for_device(self.device, self.config.backend)

    def _to(self, g, y):
        if self.device.type != "cpu":
            g = g.to(self.device)
        return g, (None if y is None else y.to(self.device))

    # ----------------------------------------------------------------- fit
    def fit(self, train: GraphLoader, val: GraphLoader, resume: bool = False) -> History:
        """Train until ``epochs`` or early stopping; the best weights are loaded at the end.

        With ``resume=True`` and a ``last.pt`` in ``out_dir``, training
        continues from the epoch after the saved one with the same optimiser,
        scheduler, normaliser and history. ``out_dir`` is locked for the run
        (:class:`~crysgnn_zoo.train.lock.RunLock`). Under ``torchrun`` each process trains
        on its shard of ``train`` with gradients averaged across processes
        (:mod:`crysgnn_zoo.train.distributed`); rank 0 writes the files.

        Raises:
            NoUsableDataError: no training or no validation crystals.
            RunLockedError: another process is running in ``out_dir``.
        """
        for part, loader in (("training", train), ("validation", val)):
            if len(loader.index) == 0:
                raise NoUsableDataError(f"{part} set", "no crystals to train on" if part == "training"
                                        else "no crystals to select epochs on")
        self._on_backend(train, val)
        with RunLock(self.out_dir) if self.out_dir else contextlib.nullcontext():
            return self._fit(train, val, resume)

    def _fit(self, train: GraphLoader, val: GraphLoader, resume: bool) -> History:
        c = self.config
        opt = self._optimizer()
        sched = self._scheduler(opt, len(train))
        start_epoch, bad_epochs = 0, 0
        self.normalizer = target_normalizer(self.config, train.targets[train.index])
        state_path = self._resume_path(resume)
        if state_path is not None and state_path.exists():
            state = load_resume_state(state_path, self.device)
            start_epoch = restore(state, self.model, opt, sched)
            self.normalizer = Normalizer(**state["normalizer"])
            self.history = History.from_dict(state["history"])
            self._best_state = state.get("best_model")
            bad_epochs = state["bad_epochs"]
            log.info("resumed from %s at epoch %d", state_path, start_epoch)
        train_targets = train.targets[train.index] if train.targets is not None else np.zeros(0)
        self._resolve_loss(train_targets)
        self._bound_output(train_targets)
        train.set_shard(self.world.rank, self.world.size)
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)

        self.hooks.plan(len(train.index), c.epochs)  # all training crystals, over every process
        frozen: list = []
        bar = progress_bar(range(start_epoch, c.epochs), desc="epochs", disable=not self.progress,
                   initial=start_epoch, total=c.epochs)
        for epoch in bar:
            if self.history.stopped_early:
                break
            t0 = time.perf_counter()
            train.set_epoch(epoch)
            frozen = self._freeze_for(epoch, frozen)
            self.hooks.set_progress(epoch / c.epochs)  # e.g. a distilled model's alpha schedule
            train_loss = self._train_epoch(train, opt, sched if c.scheduler == "onecycle" else None)
            if sched is not None and c.scheduler != "onecycle":
                sched.step()
            self.refresh_batchnorm(train)
            val_metrics = self.evaluate(val)
            val_mae = val_metrics["mae"]
            seconds = time.perf_counter() - t0
            record = {"epoch": epoch, "train_loss": train_loss, "val_mae": val_mae,
                      "val_r2": val_metrics["r2"], "seconds": seconds, "lr": opt.param_groups[0]["lr"],
                      **{f"train_{name}_loss": value for name, value in self._epoch_terms.items()}}
            self.history.epochs.append(record)
            self._stop_if_collapsed(epoch, val, record)
            learned = self._learned(val_metrics)
            if self._better(val_mae, learned):
                self.history.best_val_mae, self.history.best_epoch = val_mae, epoch
                self.history.best_learned = learned
                self._best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
                bad_epochs = 0
            else:
                bad_epochs += 1
            if c.patience is not None and bad_epochs >= c.patience:
                self.history.stopped_early = True
            bar.set_postfix(loss=f"{train_loss:.4f}", val_mae=f"{val_mae:.4f}", val_r2=f"{val_metrics['r2']:.3f}")
            if self.out_dir is not None:
                save_resume_state(self.out_dir / "last.pt", epoch, self.model, opt, sched,
                                  normalizer=self.normalizer.to_dict(), history=self.history.to_dict(),
                                  best_model=self._best_state, bad_epochs=bad_epochs,
                                  train_config=self.config.to_dict())
        frozen = self._freeze_for(c.epochs, frozen)
        if self._best_state is not None:
            self.model.load_state_dict(self._best_state)
        if self.out_dir:
            (self.out_dir / "history.json").write_text(json.dumps(self.history.to_dict(), indent=1))
        return self.history

    def _stop_if_collapsed(self, epoch: int, val: GraphLoader, record: dict) -> None:
        """Raise :class:`BoundCollapsedError` when an ``auto`` softplus bound kept the validation
        predictions constant (spread under ``CONSTANT_SPREAD`` of the targets') in each of the first
        :data:`COLLAPSE_EPOCHS` epochs: a network in the bound's flat corner has no gradient to leave
        it (mp_ehull: identical to 4 digits over all 10 quick epochs), so the caller trains again with
        ``clip`` now instead of after every epoch (:func:`crysgnn_zoo.train.run.train_model`)."""
        if self.config.output_bound != "auto" or self.output_bound != "softplus" or epoch >= COLLAPSE_EPOCHS:
            return
        spread = prediction_spread(val.targets[val.index], self.predict(val)[:, 0])  # 2 extra passes at most
        if not np.isfinite(spread):
            return
        record["val_spread"] = spread
        spreads = [e.get("val_spread", 1.0) for e in self.history.epochs[:COLLAPSE_EPOCHS]]
        if len(spreads) == COLLAPSE_EPOCHS and max(spreads) < CONSTANT_SPREAD:
            raise BoundCollapsedError(f"the softplus output bound collapsed: validation predictions constant over "
                                      f"the first {COLLAPSE_EPOCHS} epochs (spread {max(spreads):.4f} of the targets')")

    def _learned(self, val_metrics: dict) -> bool:
        """Whether an epoch counts as having learned something: always under ``select="mae"``;
        under ``mae_r2`` when its validation R2 is above 0 (or undefined: a constant target)."""
        r2 = val_metrics.get("r2", float("nan"))
        return self.config.select == "mae" or not math.isfinite(r2) or r2 > 0

    def _better(self, val_mae: float, learned: bool) -> bool:
        """Whether this epoch replaces the kept one: a learned epoch beats any that is not; among
        equals, the lower validation MAE wins."""
        if learned != self.history.best_learned and self.history.best_epoch >= 0:
            return learned
        return val_mae < self.history.best_val_mae

    def _freeze_for(self, epoch: int, frozen: list) -> list:
        """The encoder frozen while ``epoch < freeze_encoder_epochs``, trainable again after."""
        if epoch < self.config.freeze_encoder_epochs and not frozen:
            return freeze_encoder(self.model)
        if epoch >= self.config.freeze_encoder_epochs and frozen:
            for p in frozen:
                p.requires_grad_(True)
            return []
        return frozen

    def _train_epoch(self, loader: GraphLoader, opt, batch_sched) -> float:
        self.model.train()
        total, count = 0.0, 0
        self._epoch_terms: dict[str, float] = {}
        for g, y, _ in progress_bar(loader, desc="batches", leave=False, disable=not self.progress):
            g, y = self._to(g, y)
            with self.autocast():
                loss, _ = self.loss_fn(self.model, g, self.normalizer.norm(y))
            penalty = self.hooks.regularization()
            if penalty is not None:  # e.g. CrysXPP's L1 on its feature selector
                loss = loss + penalty
            gradient_step(self.model, loss, opt, self.world, self.config.grad_clip)
            if batch_sched is not None:
                batch_sched.step()
            total += float(loss.detach()) * len(y)
            count += len(y)
            for name, value in self.hooks.loss_terms.items():  # e.g. DistilledModel's two terms
                self._epoch_terms[name] = self._epoch_terms.get(name, 0.0) + float(value) * len(y)
            del g, loss
            self.heap_trimmer.step()
        self.heap_trimmer.force()
        self._epoch_terms = {name: value / max(count, 1) for name, value in self._epoch_terms.items()}
        return total / max(count, 1)

    def refresh_batchnorm(self, train: GraphLoader) -> int:
        """Re-estimate BatchNorm statistics on up to ``bn_refresh_batches`` training batches."""
        def forward(g: DGLGraph):
            with self.autocast():
                return self.model(self._to(g, None)[0])

        refreshed = refresh_batchnorm(self.model, train, self.config.bn_refresh_batches, forward=forward)
        broadcast_buffers(self.model, self.world)
        return refreshed

    def _resolve_loss(self, train_targets: np.ndarray) -> None:
        """Resolve ``TrainConfig.loss`` (``auto`` by the share of ``train_targets`` on a bound of the
        target's range) into :attr:`loss`, for the trainer and for a model that computes its own."""
        self.loss = resolve_task_loss(self.config.task_loss, self.target_range, train_targets)
        if self.config.task_loss == "auto":
            log.info("loss: %s (TrainConfig.loss='auto')", self.loss)
        self.hooks.set_task_loss(self.loss)
        self.loss_fn = self._given_loss_fn or self._hooked_loss(task_loss(self.loss))

    def _bound_output(self, train_targets: np.ndarray) -> None:
        """Resolve ``output_bound`` (:attr:`output_bound`: ``auto`` by the share of
        ``train_targets`` on a bound) and, for ``softplus`` with a target range, give the model
        its smooth bound in the units of the (now fitted) normaliser."""
        if self.config.task == "classification":
            self.output_bound = "probability"
            self.hooks.set_output_bound(Probability())
            return
        self.output_bound = resolve_output_bound(self.config.output_bound, self.target_range, train_targets)
        if self.output_bound != "softplus":
            return
        self.hooks.set_output_bound(SoftplusBound.for_range(self.target_range, self.normalizer))

    def _resume_path(self, resume: bool) -> Path | None:
        """``last.pt`` to resume from, read by every process (``None``: a fresh start)."""
        return self.run_dir / "last.pt" if resume and self.run_dir is not None else None

    # ----------------------------------------------------------------- inference
    @torch.no_grad()
    def predict(self, loader: GraphLoader) -> np.ndarray:
        """Predictions in target units, in the loader's order: ``(n, n_targets)``."""
        self.model.eval()
        self._on_backend(loader)
        out = []
        for g, _, _ in loader:
            g, _ = self._to(g, None)
            with self.autocast():
                pred = self.model(g)
            out.append(self.normalizer.denorm(pred.float()).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 1))

    def evaluate(self, loader: GraphLoader) -> dict[str, float]:
        """MAE, RMSE, R^2 (target units) on ``loader``'s crystals; for classification those of the
        probability, with ROC-AUC and accuracy."""
        pred = self.predict(loader)[:, 0]
        if self.config.task == "classification":
            return classification_metrics(loader.targets[loader.index], pred)
        return regression_metrics(loader.targets[loader.index], pred)


def freeze_encoder(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """Stop gradients of every trainable parameter outside the model's readout
    (``readout_prefixes``; a distilled model's student's); returns those parameters, to be
    given back with ``requires_grad_(True)``. Parameters frozen before stay as they were.

    Raises:
        ConfigError: freezing would leave nothing to train (no parameter matches the readout).
    """
    student = getattr(model, "student", model)
    prefixes = getattr(student, "readout_prefixes", ("head.", "out."))
    params = list(student.named_parameters())
    if not any(n.startswith(prefixes) and p.requires_grad for n, p in params):
        raise ConfigError(f"{type(student).__name__} has no readout parameters ({', '.join(prefixes)}) "
                          "to train while the encoder is frozen (TrainConfig.freeze_encoder_epochs)")
    frozen = [p for n, p in params if p.requires_grad and not n.startswith(prefixes)]
    for p in frozen:
        p.requires_grad_(False)
    return frozen
