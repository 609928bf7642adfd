"""One supervised run end to end: source -> graphs -> split -> train -> test -> checkpoint.

The CLI's ``train``, the README's demo and the benchmarks all call
:func:`train_model`, so they share one code path.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from crysgnn_zoo.config import HEAP_POLICIES, DistillConfig, GraphConfig, TrainConfig
from crysgnn_zoo.data.errors import NoUsableDataError, Skipped, SkipReport
from crysgnn_zoo.data.sources import Source, open_source
from crysgnn_zoo.data.splits import Split, random_split, subsample
from crysgnn_zoo.errors import ConfigError, UnknownNameError
from crysgnn_zoo.factory import get_model, with_teacher
from crysgnn_zoo.graphs.build import BuildResult, build_entries, build_store, is_cached
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.hub.checkpoint import save_checkpoint
from crysgnn_zoo.train.finetune import init_model
from crysgnn_zoo.train.lock import RunLock
from crysgnn_zoo.train.memory import retain_freed_memory
from crysgnn_zoo.train.metrics import mean_predictor_mae, regression_metrics
from crysgnn_zoo.train.trainer import Trainer

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a run measured; every figure names its data, split and budget."""

    dataset: str
    target: str
    unit: str
    model: str
    split_seed: int
    split_hash: str
    split_sizes: tuple[int, int, int]
    test: dict[str, float]
    mean_predictor_mae: float
    epochs_run: int
    best_epoch: int
    seconds_per_epoch: float
    train_seconds: float
    graph_seconds: float
    graphs_from_cache: bool
    n_skipped: int
    checkpoint: str | None = None
    extra: dict = field(default_factory=dict)
    n_isolated: int = 0
    graphs: str = ""

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def summary(self) -> str:
        """Two lines: the graph build (``graphs``) and the test metrics with their data and budget."""
        u = f" {self.unit}" if self.unit else ""
        return (
            (f"{self.graphs}\n" if self.graphs else "") +
            f"{self.model} on {self.dataset}/{self.target}, split seed {self.split_seed} "
            f"(hash {self.split_hash}, {'/'.join(map(str, self.split_sizes))}): "
            f"test MAE {self.test['mae']:.4f}{u} (mean predictor {self.mean_predictor_mae:.4f}{u}), "
            f"RMSE {self.test['rmse']:.4f}, R2 {self.test['r2']:.3f}; "
            f"{self.epochs_run} epochs (best {self.best_epoch}), "
            f"{self.seconds_per_epoch:.1f} s/epoch, {self.train_seconds:.0f} s training"
        )


def select_target(store: GraphStore, target: str, source_name: str) -> tuple[GraphStore, SkipReport]:
    """Keep crystals whose ``target`` is a finite number; report the others."""
    values = store.target(target)
    ok = np.isfinite(values)
    report = SkipReport([
        Skipped(f"{source_name} id {i}", f"target {target!r} is missing or NaN", "target")
        for i in store.ids[~ok]
    ])
    return (store if ok.all() else store.subset(np.nonzero(ok)[0])), report


def usable_data(
    source: Source, built: BuildResult, target: str, max_samples: int | None, seed: int
) -> tuple[GraphStore, SkipReport]:
    """The crystals of ``built`` with a finite ``target`` (then ``max_samples`` of them, seeded).

    Raises:
        NoUsableDataError: none is left; the message counts what was skipped and shows why.
    """
    store, target_skips = select_target(built.store, target, source.name)
    store = store.subset(subsample(len(store), max_samples, seed))
    if len(store) == 0:
        skipped = SkipReport(built.skipped.items + target_skips.items)
        raise NoUsableDataError(
            source.name,
            f"no usable crystals for target {target!r}: {len(built.store) + len(built.skipped)} entries read, "
            f"{len(built.skipped)} skipped as unreadable, {len(target_skips)} without a value for {target!r}"
            + (f"; {skipped.summary(3)}" if len(skipped) else ""),
        )
    return store, target_skips


def build_drawn(
    source: Source, config: GraphConfig, target: str, k: int, seed: int, workers: int | None, progress: bool
) -> tuple[BuildResult, SkipReport]:
    """Graphs for ``k`` entries drawn (seeded) among those with a finite ``target``, read without
    parsing; the same crystals :func:`usable_data` draws from a full build when every entry is readable.

    Raises:
        NoUsableDataError: no drawn entry could be built.
    """
    t0 = time.perf_counter()
    entries = list(source.entries())
    usable = [e for e in entries if np.isfinite(e.targets.get(target, np.nan))]
    target_skips = SkipReport([Skipped(e.where, f"target {target!r} is missing or NaN", "target")
                               for e in entries if not np.isfinite(e.targets.get(target, np.nan))])
    drawn = [usable[i] for i in subsample(len(usable), k, seed)]
    store, skipped, n_isolated = build_entries(drawn, config, sorted(source.targets), workers or os.cpu_count() or 1,
                                               progress, total=len(drawn), desc=f"{source.name} ({len(drawn)} drawn)")
    built = BuildResult(store, skipped, time.perf_counter() - t0, False, n_isolated, None, config.cutoff)
    if len(store) == 0:
        raise NoUsableDataError(source.name, f"no usable crystals for target {target!r}: {len(entries)} entries, "
                                             f"{len(drawn)} drawn, {len(skipped)} of them unreadable; "
                                             f"{SkipReport(skipped.items + target_skips.items).summary(3)}")
    return built, target_skips


def checked_split(store: GraphStore, sizes, seed: int, source: str, target: str) -> Split:
    """:func:`random_split` that refuses an empty train, validation or test part.

    Raises:
        NoUsableDataError: too few crystals for the split asked for.
    """
    split = random_split(store.ids, sizes, seed)
    empty = [part for part, n in zip(("train", "validation", "test"), split.sizes) if n == 0]
    if empty:
        raise NoUsableDataError(
            source, f"only {len(store)} usable crystal(s) for target {target!r}: the split "
                    f"{list(sizes)} leaves the {' and '.join(empty)} part empty"
        )
    return split


def train_model(
    data: str | Path | Source,
    target: str,
    model: str | None = None,
    *,
    model_overrides: dict | None = None,
    graph_config: GraphConfig | None = None,
    train_config: TrainConfig | None = None,
    max_samples: int | None = None,
    split_sizes: tuple[float, float, float] = (0.8, 0.1, 0.1),
    split_seed: int = 0,
    out_dir: str | Path | None = None,
    device: str = "cpu",
    workers: int | None = None,
    resume: bool = False,
    progress: bool = True,
    distill: bool | DistillConfig = False,
    teacher: str | Path = "crysgnn-v1",
    alpha: float = 0.5,
    embedding_scale: str = "global",
    cache_teacher: bool = True,
    heap: str = "trim",
    init: str | Path | None = None,
) -> RunResult:
    """Train ``model`` on ``target`` of ``data`` and test it.

    Args:
        data: dataset name, path or :class:`Source` (see :func:`open_source`).
        target: target column (``formation_energy_per_atom``).
        model: registry name (default ``cgcnn``; with ``init``, the donor's architecture).
        max_samples: draw this many crystals first (seeded by ``split_seed``).
        split_sizes: fractions or counts for train/val/test.
        out_dir: run folder: split.json, trainer state, checkpoint/, result.json.
        resume: continue an interrupted run in ``out_dir``.
        init: start from released weights (a name) or a checkpoint folder: the donor's architecture,
            config and weights, with a new output layer when ``target`` differs from the donor's
            (:mod:`crysgnn_zoo.train.finetune`).
        distill: train with CrysGNN distillation: a :class:`~crysgnn_zoo.config.DistillConfig`, or
            ``True`` for one made of ``teacher``, ``alpha`` and ``embedding_scale``; with
            ``cache_teacher`` the teacher's atom embeddings are computed once up front;
            ``embedding_scale``: the unit of the embedding MSE (``global``, ``per_dim``, ``none``).
        heap: what happens to freed memory (:mod:`crysgnn_zoo.train.memory`): ``trim`` hands
            it back to the OS every few seconds (smallest resident size); ``retain`` keeps it
            for reuse (:func:`~crysgnn_zoo.train.memory.retain_freed_memory`: faster steps
            with large tensors, e.g. ALIGNN, more resident memory; process-wide). Results
            are the same either way.

    Raises:
        NoUsableDataError: nothing usable for ``target``, or too few crystals for the split
            (before any training; nothing is written to ``out_dir``).
        RunLockedError: another process is running in ``out_dir``.
    """
    if heap not in HEAP_POLICIES:
        raise ConfigError(f"heap must be one of {HEAP_POLICIES}, got {heap!r}")
    if distill is True:
        distill = DistillConfig(teacher=str(teacher), alpha=alpha, embedding_scale=embedding_scale)
    out = Path(out_dir) if out_dir else None
    with RunLock(out) if out else contextlib.nullcontext():
        return _train_model(
            data, target, model, model_overrides=model_overrides, graph_config=graph_config,
            train_config=train_config, max_samples=max_samples, split_sizes=split_sizes, split_seed=split_seed,
            out=out, device=device, workers=workers, resume=resume, progress=progress, distill=distill or None,
            cache_teacher=cache_teacher, heap=heap,
            init=init,
        )


def _train_model(
    data, target, model, *, model_overrides, graph_config, train_config, max_samples, split_sizes, split_seed,
    out, device, workers, resume, progress, distill, cache_teacher, heap, init,
) -> RunResult:
    train_config = train_config or TrainConfig()
    torch.manual_seed(train_config.seed)  # the new output layer of a start from weights, reproducibly
    started = init_model(init, target, model, model_overrides) if init is not None else None
    if started is not None and graph_config is not None and graph_config != started[2].graph_config:
        raise ConfigError(f"--init {init}: the weights were trained on graphs built with "
                          f"{started[2].graph_config}, this run asks for {graph_config}")
    graph_config = graph_config or (started[2].graph_config if started else GraphConfig())
    source = data if isinstance(data, Source) else open_source(data)
    if target not in source.targets:
        raise UnknownNameError(
            f"{source.name} has no target {target!r}; available: {sorted(source.targets)}"
        )
    if max_samples is None or is_cached(source, graph_config):
        built = build_store(source, graph_config, workers=workers, progress=progress)
        store, target_skips = usable_data(source, built, target, max_samples, split_seed)
    else:  # only the drawn crystals get graphs
        built, target_skips = build_drawn(source, graph_config, target, max_samples, split_seed, workers, progress)
        store = built.store
    if out and resume and (out / "split.json").exists():
        split = Split.load(out / "split.json", store.ids)
    else:
        split = checked_split(store, split_sizes, split_seed, source.name, target)
    if out:
        split.save(out / "split.json")
    y = store.target(target)

    torch.manual_seed(train_config.seed)
    init_report = None
    if started is not None:
        model, student, init_report = started
        net = with_teacher(student, distill) if distill else student
    else:
        model = model or "cgcnn"
        net = get_model(model, distill=distill or False,
                        **(model_overrides or {}))
    teacher_seconds = 0.0
    if distill:
        net.set_task_loss(train_config.loss)
        teacher_graph = getattr(net.teacher_model, "graph_config", None)
        if teacher_graph is not None and teacher_graph != graph_config:
            raise ConfigError(
                f"the teacher was trained on graphs built with {teacher_graph}, this run uses {graph_config}; "
                "per-atom distillation needs the same graph settings"
            )
    if distill:
        t_cache = time.perf_counter()
        net.prepare(store, cache=cache_teacher, device=device)
        teacher_seconds = time.perf_counter() - t_cache
    vec = getattr(net, "needs_vectors", False)
    bs = train_config.batch_size
    train_loader = GraphLoader(store, split.train, y, bs, shuffle=True, seed=train_config.seed, with_vectors=vec)
    val_loader = GraphLoader(store, split.val, y, 256, with_vectors=vec)
    test_loader = GraphLoader(store, split.test, y, 256, with_vectors=vec)

    if heap == "retain" and not retain_freed_memory():
        heap = "trim"  # not glibc: nothing to change
    trim = {"heap_trim_interval": None} if heap == "retain" else {}  # retain: trimming would undo it
    trainer = Trainer(net, train_config, out_dir=out, device=device, progress=progress, **trim)
    t0 = time.perf_counter()
    history = trainer.fit(train_loader, val_loader, resume=resume)
    train_seconds = time.perf_counter() - t0
    test_metrics = trainer.evaluate(test_loader)

    result = RunResult(
        dataset=source.name,
        target=target,
        unit=source.unit(target),
        model=model,
        split_seed=split_seed,
        split_hash=split.hash,
        split_sizes=split.sizes,
        test=test_metrics,
        mean_predictor_mae=mean_predictor_mae(y[split.train], y[split.test]),
        epochs_run=len(history.epochs),
        best_epoch=history.best_epoch,
        seconds_per_epoch=history.seconds_per_epoch,
        train_seconds=train_seconds,
        graph_seconds=built.seconds,
        graphs_from_cache=built.from_cache,
        n_skipped=len(built.skipped) + len(target_skips),
        n_isolated=built.n_isolated,
        graphs=built.summary(),
        extra={"train_config": train_config.to_dict(), "graph_config": graph_config.to_dict(),
               "distill": {**distill.to_dict(), "cached": cache_teacher,
                           "teacher_cache_seconds": teacher_seconds} if distill else None,
               "max_samples": max_samples, "heap": heap,
               "init": init_report.to_dict() if init_report else None, "val": regression_metrics(y[split.val], trainer.predict(val_loader)[:, 0])},
    )
    if out:
        card = {"result": result.to_dict(), "history": history.to_dict(),
                "elements": store.elements(split.train)}
        student = net.student if distill else net
        result.checkpoint = str(save_checkpoint(
            out / "checkpoint", student, graph_config=graph_config, target=target,
            unit=source.unit(target), normalizer=trainer.normalizer, card=card,
        ))
        (out / "result.json").write_text(json.dumps(result.to_dict(), indent=2))
        skipped = SkipReport(built.skipped.items + target_skips.items)
        if len(skipped):
            skipped.to_csv(out / "skipped.csv")
    return result
