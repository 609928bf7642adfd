"""One supervised run end to end: source -> graphs -> split -> train -> test -> checkpoint.

The CLI's ``train``, the README's demo and the benchmarks all call
:func:`train_model`, so they share one code path.
"""
from __future__ import annotations

import contextlib
import json
import logging
import platform
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from crysgnn_zoo._version import __version__
from crysgnn_zoo.backend import check_device, for_device
from crysgnn_zoo.config import GraphConfig, RunConfig
from crysgnn_zoo.data.errors import SkipReport
from crysgnn_zoo.data.sources import Source, open_source
from crysgnn_zoo.data.splits import Split
from crysgnn_zoo.distill.defaults import for_student
from crysgnn_zoo.distill.schedules import teacher_off_reason
from crysgnn_zoo.distill.teachers import teacher_card, warn_unseen
from crysgnn_zoo.download import sha256_of
from crysgnn_zoo.errors import BoundCollapsedError, ConfigError, RunExistsError, UnknownNameError
from crysgnn_zoo.factory import get_model, with_teacher
from crysgnn_zoo.graphs.select import checked_split, excluded_ids, labelled_graphs
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.hub.calibrate import calibrate_checkpoint
from crysgnn_zoo.hub.checkpoint import save_checkpoint
from crysgnn_zoo.ranges import TargetRange
from crysgnn_zoo.smoke import SMOKE_CRYSTALS, SMOKE_ENV, SMOKE_EPOCHS, smoke
from crysgnn_zoo.train.distributed import barrier, init_distributed, world
from crysgnn_zoo.train.finetune import init_model
from crysgnn_zoo.train.lock import RunLock
from crysgnn_zoo.train.memory import apply_heap_policy
from crysgnn_zoo.train.metrics import learned_check, mean_predictor_mae, regression_metrics
from crysgnn_zoo.train.trainer import Trainer, target_normalizer

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
    environment: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def summary(self) -> str:
        """The graph build (``graphs``), the test metrics with their data and budget, and, where they
        apply, the distillation and the target's range (epochs counted from 1)."""
        u = f" {self.unit}" if self.unit else ""
        lines = [self.graphs] if self.graphs else []
        lines.append(
            f"{self.model} on {self.dataset}/{self.target}, split seed {self.split_seed} "
            f"(hash {self.split_hash}, {'/'.join(map(str, self.split_sizes))}): "
            f"test MAE {self.test['mae']:.4f}{u} (mean predictor {self.mean_predictor_mae:.4f}{u}), "
            f"RMSE {self.test['rmse']:.4f}{u}, R2 {self.test['r2']:.3f}; "
            f"{self.epochs_run} epochs (best: epoch {self.best_epoch + 1}), "
            f"{self.seconds_per_epoch:.1f} s/epoch, {self.train_seconds:.0f} s training"
            + ("" if self.unit else "; the data named no unit for this target"))
        distill = self.extra.get("distill")
        if distill:
            lines.append(f"distilled from {distill['teacher']} ({distill['objective']}, alpha {distill['alpha']:g}, "
                         f"schedule {distill.get('alpha_schedule') or 'constant'}{_span_words(distill)})")
        unc = self.extra.get("uncertainty")
        if unc:
            t = unc["test"]
            lines.append(f"uncertainty ({unc['method']}, calibrated on validation): test crystals inside the 68 % / "
                         f"95 % intervals {100 * t['coverage_68']:.0f} % / {100 * t['coverage_95']:.0f} %, "
                         f"Spearman(|error|, std) {t['spearman']:.2f}")
        if self.extra.get("output_bound_fallback"):
            lines.append(f"output bound: {self.extra['output_bound_fallback']}; trained again with clip")
        if self.extra.get("not_learned"):
            lines.append(f"WARNING: the model learned nothing usable: {self.extra['not_learned']}")
        if self.extra.get("distill_off"):
            lines.append(f"distillation off: {self.extra['distill_off']['reason']}")
        in_range = self.extra.get("test_in_range")
        if in_range:
            rng = TargetRange.from_json(self.extra["range"])
            lines.append(f"predictions kept in {rng}{u} ({self.extra['output_bound']}): "
                         f"{in_range['n_clipped']} of {self.split_sizes[2]} test predictions clipped, "
                         f"test MAE as predicted {in_range['mae']:.4f}{u}")
        return "\n".join(lines)


def train_model(
    data: RunConfig | str | Path | Source,
    target: str | None = None,
    model: str | None = None,
    *,
    out_dir: str | Path | None = None,
    device: str = "cpu",
    workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    **fields: Any,
) -> RunResult:
    """Train a model on a target of a data set and test it.

    ``data`` is a :class:`~crysgnn_zoo.config.RunConfig`, or a data set name, path or
    :class:`Source` with ``target``, ``model`` and any other RunConfig field as a keyword
    (``train_config=TrainConfig(epochs=100)``, ``distill=True``, ``max_samples=5000``,
    ``init="cgcnn-mp37k-formation-energy"``, ...); keywords also override a given RunConfig.
    The other arguments say where and how the run executes, not what it computes.

    Args:
        out_dir: run folder: run.json (the RunConfig), split.json, trainer state, checkpoint/,
            result.json, skipped.csv.
        device: torch device (``cpu``, ``cuda``).
        workers: graph-building processes (default: all cores).
        resume: continue an interrupted run in ``out_dir``.
        overwrite: replace a run already in ``out_dir`` (without it, or ``resume``, a folder that
            holds a run is refused: nothing the user has is overwritten).
        progress: progress bars.

    Raises:
        ConfigError: an unknown field or a bad value (the message lists the valid ones).
        NoUsableDataError: nothing usable for the target, or too few crystals for the split
            (before any training; nothing is written to ``out_dir``).
        RunLockedError: another process is running in ``out_dir``.
        RunExistsError: ``out_dir`` is a file, or holds a run and neither ``resume`` nor ``overwrite`` is set.
    """
    check_device(device)
    source = data if isinstance(data, Source) else None
    if isinstance(data, RunConfig):
        config = data.replace(**{k: v for k, v in (("target", target), ("model", model)) if v is not None}, **fields)
    else:
        config = RunConfig(data=source.name if source else str(data), target=target or "", model=model)
        config = config.replace(**fields)
    if not config.target:
        raise ConfigError("train_model: no target given")
    config = smoke_sized(config)
    out = Path(out_dir) if out_dir else None
    if out is not None:
        check_run_folder(out, resume=resume, overwrite=overwrite)
    here, device = init_distributed(device)  # under torchrun: one process per shard, rank 0 writes
    with RunLock(out) if out and here.main else contextlib.nullcontext():
        return _train_model(config, source, out, device=device, workers=workers, resume=resume,
                            progress=progress and here.main)


def smoke_sized(config: RunConfig) -> RunConfig:
    """``config`` shrunk under smoke mode (:mod:`crysgnn_zoo.smoke`): 1 epoch, at most 64 crystals
    split 80/10/10; unchanged otherwise."""
    if not smoke():
        return config
    log.warning("%s is set: 1 epoch on at most %d crystals (results meaningless)", SMOKE_ENV, SMOKE_CRYSTALS)
    n = min(config.max_samples or SMOKE_CRYSTALS, SMOKE_CRYSTALS)
    return config.replace(max_samples=n, split_sizes=(0.8, 0.1, 0.1),
                          train_config=config.train_config.replace(epochs=SMOKE_EPOCHS))


def check_run_folder(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse an ``out_dir`` that is a file, or that holds a run (finished: ``result.json``;
    interrupted: ``split.json``) unless ``resume`` or ``overwrite`` says what to do with it.
    With ``overwrite`` the old ``result.json`` goes first, so a failed rerun leaves no stale result.

    Raises:
        RunExistsError: as above, naming the folder and the options.
    """
    if out.exists() and not out.is_dir():
        raise RunExistsError(f"{out}: is a file, not a run folder; give a folder path for the run")
    finished, started = (out / "result.json").exists(), (out / "split.json").exists()
    if overwrite:
        (out / "result.json").unlink(missing_ok=True)
    elif finished and not resume:
        raise RunExistsError(f"{out}: holds a finished run (result.json); pass --overwrite (overwrite=True) to "
                             "replace it, or another --out")
    elif started and not resume:
        raise RunExistsError(f"{out}: holds an interrupted run (split.json); pass --resume (resume=True) to "
                             "continue it, --overwrite (overwrite=True) to start again, or another --out")


def _train_model(config: RunConfig, source: Source | None, out: Path | None, *, device: str,
                 workers: int | None, resume: bool, progress: bool) -> RunResult:
    torch.manual_seed(config.train_config.seed)  # the new output layer of a start from weights, reproducibly
    started = init_model(config.init, config.target, config.model, config.model_overrides) \
        if config.init is not None else None
    if config.distill is not None:  # alpha=None: the student's own, recorded as a number
        student = started[0] if started is not None else (config.model or "cgcnn")
        config = config.replace(distill=for_student(config.distill, student))
    graph_config = _graph_config(config, started)
    source = source or open_source(config.data)
    if config.target not in source.targets:
        raise UnknownNameError(f"{source.name} has no target {config.target!r}; available: {sorted(source.targets)}")
    here = world()
    if not here.main:
        barrier(here)  # rank 0 builds (and caches) the graphs first, the others then read them
    built, store, target_skips = labelled_graphs(source, graph_config, config.target, config.max_samples,
                                                 config.split_seed, workers, progress, excluded_ids(config.exclude))
    if here.main:
        barrier(here)
    if out and resume and (out / "split.json").exists():
        split = Split.load(out / "split.json", store.ids)
    else:
        split = checked_split(store, config.split_sizes, config.split_seed, source.name, config.target)
    if out and here.main:
        split.save(out / "split.json")
        (out / "run.json").write_text(json.dumps(config.to_dict(), indent=2, default=str))
    y = store.target(config.target)
    tc = config.train_config
    if tc.task == "classification":  # the label: above the threshold or not
        y = (y > tc.threshold).astype(np.float32)
    config, distill_off = _size_rule(config, split)
    target_range = run_range(config, source) if tc.task == "regression" else None
    requested = config.train_config  # recorded as asked; a fallback to clip is recorded beside it
    unseen = warn_unseen(teacher_card(config.distill.teacher), store, split.train) if config.distill else {}
    fallback = out / FALLBACK_FILE if out else None
    if fallback is not None and resume and fallback.exists():  # the interrupted run was already the clip refit
        config = _clip_config(config)
    try:
        fitted = _train_net(config, started, graph_config, store, split, y, out, device, resume, progress,
                            target_range)
        reason = _collapsed(fitted, config, y, split)
    except BoundCollapsedError as exc:  # found in the first epochs: no use training the rest
        reason = exc.reason
    if reason:
        log.warning("%s; trained again with output_bound='clip' (TrainConfig.output_bound='auto' falls back)", reason)
        if fallback is not None:
            fallback.write_text(json.dumps({"reason": reason}))
        config = _clip_config(config)
        started = init_model(config.init, config.target, config.model, config.model_overrides) \
            if config.init is not None else None
        fitted = _train_net(config, started, graph_config, store, split, y, out, device, False, progress, target_range)
    model, net, init_report, teacher_record, trainer, history, train_seconds, loaders = fitted
    if fallback is not None and fallback.exists():
        reason = json.loads(fallback.read_text())["reason"]
    heap = "retain" if trainer.heap_trimmer.interval is None else "trim"
    result = RunResult(
        dataset=source.name, target=config.target, unit=run_unit(config, source), model=model,
        split_seed=config.split_seed, split_hash=split.hash, split_sizes=split.sizes,
        test=trainer.evaluate(loaders["test"]), mean_predictor_mae=mean_predictor_mae(y[split.train], y[split.test]),
        epochs_run=len(history.epochs), best_epoch=history.best_epoch, seconds_per_epoch=history.seconds_per_epoch,
        train_seconds=train_seconds, graph_seconds=built.seconds, graphs_from_cache=built.from_cache,
        n_skipped=len(built.skipped) + len(target_skips), n_isolated=built.n_isolated,
        graphs=built.summary() + _skips_words(target_skips, config),
        environment=run_environment(device, for_device(device, config.train_config.backend)),
        extra={"train_config": requested.to_dict(), "graph_config": graph_config.to_dict(),
               "distill": {**config.distill.to_dict(), "cached": config.cache_teacher, **teacher_record, **unseen,
                           "teacher_epochs": round(getattr(net, "span", 1.0) * config.train_config.epochs, 3)}
               if config.distill else None, **distill_off,
               "max_samples": config.max_samples, "heap": heap, "loss": trainer.loss,
               **({"output_bound_fallback": reason} if reason else {}),
               "init": init_report.to_dict() if init_report else None,
               "pretrained_start": getattr(net.student if config.distill else net, "pretrained_start", None),
               **learned_check(y[split.val], trainer.predict(loaders["val"])[:, 0]),
               **in_range_metrics(trainer, loaders, y, split, target_range)},
    )
    if out and here.main:
        _save(out, result, net, trainer, history, store, split, graph_config, source, config,
              SkipReport(built.skipped.items + target_skips.items), target_range)
    return result


#: A run folder's record that the softplus bound collapsed and the run trained again with clip.
FALLBACK_FILE = "bound_fallback.json"


def _clip_config(config: RunConfig) -> RunConfig:
    return config.replace(train_config=config.train_config.replace(output_bound="clip"))


def _train_net(config: RunConfig, started, graph_config: GraphConfig, store: GraphStore, split: Split, y: np.ndarray,
               out, device: str, resume: bool, progress: bool, target_range: TargetRange | None) -> tuple:
    """Build (or start) the network and train it: ``(model name, net, init report, teacher record,
    trainer, history, training seconds, loaders)``."""
    model, net, init_report = _network(config, started, graph_config)
    teacher_record = _prepare_teacher(net, config, store, device, y, split)
    trainer, history, seconds, loaders = _fit(net, config, store, split, y, out, device, resume, progress,
                                              target_range)
    return model, net, init_report, teacher_record, trainer, history, seconds, loaders


def _collapsed(fitted: tuple, config: RunConfig, y: np.ndarray, split: Split) -> str:
    """Why a run whose ``auto`` bound resolved to softplus learned nothing (validation R2 <= 0 or
    constant predictions: the outputs sank into the bound's flat corner), else ``""``."""
    trainer, loaders = fitted[4], fitted[7]
    if config.train_config.output_bound != "auto" or trainer.output_bound != "softplus":
        return ""
    check = learned_check(y[split.val], trainer.predict(loaders["val"])[:, 0], warn=False)  # the caller says what it does
    return f"the softplus output bound collapsed ({check['not_learned']})" if "not_learned" in check else ""


def _skips_words(target_skips: SkipReport, config: RunConfig) -> str:
    """The summary's words for the rows left out before the split: no value, or excluded."""
    excluded = sum(s.kind == "excluded" for s in target_skips.items)
    missing = len(target_skips) - excluded
    words = [f"{missing} row(s) without a numeric {config.target!r} left out"] if missing else []
    words += [f"{excluded} crystal(s) of {config.exclude} excluded"] if excluded else []
    return f"; {', '.join(words)} (listed in skipped.csv)" if words else ""


def _size_rule(config: RunConfig, split: Split) -> tuple[RunConfig, dict]:
    """``config`` without distillation when the size rule turns the teacher off for this many
    training crystals, with ``{"distill_off": {..., "reason"}}`` for the record; else ``(config, {})``."""
    if config.distill is None:
        return config, {}
    reason = teacher_off_reason(config.distill.max_train_crystals, split.sizes[0])
    if reason is None:
        return config, {}
    return config.replace(distill=None), {"distill_off": {**config.distill.to_dict(), "reason": reason}}


def _span_words(distill: dict) -> str:
    """How the size rule set the schedule's span, for the run summary ('' for runs before the rule)."""
    cap, epochs = distill.get("teacher_crystals"), distill.get("teacher_epochs")
    if cap is None or epochs is None:
        return ""
    return f" over the first {epochs:g} epochs: size rule, at most {cap:,} training crystals seen"


def run_unit(config: RunConfig, source: Source) -> str:
    """The unit of the run's predictions: the target's, or for classification the probability's."""
    tc = config.train_config
    if tc.task == "classification":
        return f"probability of {config.target} > {tc.threshold:g} {source.unit(config.target)}".rstrip()
    return source.unit(config.target)


def run_range(config: RunConfig, source: Source) -> TargetRange | None:
    """The target's physical range: the run's own (``RunConfig.target_range``), else the data set card's."""
    if config.target_range is not None:
        return TargetRange.from_json(config.target_range, "RunConfig.target_range")
    return source.range(config.target)


def in_range_metrics(trainer: Trainer, loaders: dict, y: np.ndarray, split: Split,
                     target_range: TargetRange | None) -> dict:
    """For a target with a range: its range, and validation and test metrics of the predictions as
    ``predict`` returns them (clipped to the range), with how many were clipped; else ``{}``.
    (The run's own ``val``/``test`` metrics, which choose the epoch, are of the unclipped output.)"""
    if target_range is None:
        return {}
    out: dict = {"range": target_range.to_json(), "output_bound": trainer.output_bound}
    for part, index in (("val", split.val), ("test", split.test)):
        values, clipped = target_range.clip(trainer.predict(loaders[part])[:, 0])
        out[f"{part}_in_range"] = {**regression_metrics(y[index], values), "n_clipped": int(clipped.sum())}
    return out


def _graph_config(config: RunConfig, started) -> GraphConfig:
    """The run's graph settings; a start from weights keeps the donor's (a different ask is an error)."""
    if started is None:
        return config.graph_config
    donor = started[2].graph_config
    if config.graph_config != GraphConfig() and config.graph_config != donor:
        raise ConfigError(f"--init {config.init}: the weights were trained on graphs built with "
                          f"{donor}, this run asks for {config.graph_config}")
    return donor


def _network(config: RunConfig, started, graph_config: GraphConfig):
    """``(registry name, model to train, init report)``: fresh, or started from weights;
    wrapped with its teacher when the run distils."""
    torch.manual_seed(config.train_config.seed)
    if started is not None:
        model, student, init_report = started
        net = with_teacher(student, config.distill) if config.distill else student
    else:
        model, init_report = config.model or "cgcnn", None
        net = get_model(model, distill=config.distill or False, pretrained=config.pretrained,
                        **config.model_overrides)
    if config.distill:  # the trainer sets the task loss (TrainingHooks.set_task_loss) once it is resolved
        teacher_graph = getattr(net.teacher_model, "graph_config", None)
        if teacher_graph is not None and teacher_graph != graph_config:
            raise ConfigError(
                f"the teacher was trained on graphs built with {teacher_graph}, this run uses {graph_config}; "
                "per-atom distillation needs the same graph settings"
            )
    return model, net, init_report


def _version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def run_environment(device: str, backend: str | None = None) -> dict[str, Any]:
    """Versions, device and CPU threads a run's numbers depend on.

    Training is deterministic for a given environment, but summation order changes with the
    thread count, and some students amplify that: GATGNN's perov_5 quick test MAE moves by
    ~9 % between one and two threads (``docs/benchmarks.md``), so paired runs must match here.
    """
    return {"crysgnn_zoo": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "dgl": _version("dgl"), "backend": backend or for_device(device), "device": str(device),
            "threads": torch.get_num_threads(), "processes": world().size}


def _teacher_input(net, config: RunConfig) -> dict | None:
    """What a model fed by its teacher (the ``input`` mode) records of it: source and weights hash."""
    if not (config.distill and config.distill.mode == "input"):
        return None
    from crysgnn_zoo.hub.resolve import resolve_weights

    folder = resolve_weights(config.distill.teacher)
    return {"source": str(config.distill.teacher), "sha256": sha256_of(folder / "weights.pt"), **net.input_scaling()}


def _prepare_teacher(net, config: RunConfig, store: GraphStore, device: str, y: np.ndarray, split: Split) -> dict:
    """The teacher's part of the run record: ``teacher_cache_seconds`` (computing or reading its
    embeddings and soft targets); ``{}`` for a vanilla run."""
    if not config.distill:
        return {}
    tc = config.train_config
    t0 = time.perf_counter()
    normalizer = target_normalizer(tc, y[split.train])  # the trainer's own
    net.prepare(store, cache=config.cache_teacher, device=device, backend=for_device(device, tc.backend),
                targets=y, train=split.train, normalizer=normalizer, seed=tc.seed)
    return {"teacher_cache_seconds": time.perf_counter() - t0}


def _fit(net, config: RunConfig, store: GraphStore, split: Split, y: np.ndarray, out, device, resume, progress,
         target_range: TargetRange | None = None):
    """Train ``net``; returns ``(trainer, history, seconds, loaders)``."""
    tc = config.train_config
    kw = {"with_vectors": getattr(net, "needs_vectors", False), "backend": for_device(device, tc.backend)}
    loaders = {"train": GraphLoader(store, split.train, y, tc.batch_size, shuffle=True, seed=tc.seed, **kw),
               "val": GraphLoader(store, split.val, y, 256, **kw),
               "test": GraphLoader(store, split.test, y, 256, **kw)}
    trainer = Trainer(net, tc, out_dir=out, device=device, progress=progress,
                      heap_trim_interval=apply_heap_policy(config.heap), target_range=target_range)
    t0 = time.perf_counter()
    history = trainer.fit(loaders["train"], loaders["val"], resume=resume)
    return trainer, history, time.perf_counter() - t0, loaders


def _command() -> str:
    """The command line of this process when it is the CLI, else the API call that trains."""
    script = Path(sys.argv[0])
    if script.name == "crysgnn-zoo" or (script.name == "__main__.py" and script.parent.name == "crysgnn_zoo"):
        return shlex.join(["crysgnn-zoo", *sys.argv[1:]])
    return "crysgnn_zoo.train_model(RunConfig(...)) (the card's training.run_config)"


def _save(out: Path, result: RunResult, net, trainer: Trainer, history, store: GraphStore, split: Split,
          graph_config: GraphConfig, source: Source, config: RunConfig, skipped: SkipReport,
          target_range: TargetRange | None = None) -> None:
    """checkpoint/ (student weights and their model card), result.json, skipped.csv."""
    r = result.to_dict()
    card = {"name": out.name, "elements": store.elements(split.train),
            "data": {k: r[k] for k in ("dataset", "target", "unit", "split_seed", "split_hash", "split_sizes",
                                       "n_skipped")},
            "training": {"run_config": config.to_dict(), "epochs_run": r["epochs_run"], "best_epoch": r["best_epoch"],
                         "seconds_per_epoch": r["seconds_per_epoch"], "history": history.to_dict(),
                         **{k: r["extra"][k] for k in ("train_config", "distill", "distill_off") if k in r["extra"]}},
            "metrics": {"unit": r["unit"], "test": r["test"], "validation": r["extra"].get("val"),
                        "mean_predictor_mae": r["mean_predictor_mae"]},
            "command": _command()}
    student = net.student if config.distill else net
    result.checkpoint = str(save_checkpoint(
        out / "checkpoint", student, graph_config=graph_config, target=config.target,
        unit=run_unit(config, source), normalizer=trainer.normalizer, card=card,
        target_range=target_range, output_bound=trainer.output_bound, teacher_input=_teacher_input(net, config),
    ))
    if config.train_config.task == "regression":  # a probability needs no std: it is its own uncertainty
        unc = calibrate_checkpoint(out / "checkpoint", store, split)  # std and in_domain for predict
        result.extra["uncertainty"] = {k: unc[k] for k in ("method", "validation", "test")}
    (out / "result.json").write_text(json.dumps(result.to_dict(), indent=2))
    if len(skipped):
        skipped.to_csv(out / "skipped.csv")
