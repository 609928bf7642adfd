"""Pre-training loop, single-process or data-parallel under ``torchrun``.

It shares its pieces with the student trainer: the process group and gradient averaging
(:mod:`crysgnn_zoo.train.distributed`), the batching (:class:`~crysgnn_zoo.graphs.loader.GraphLoader`:
each process trains on its own equal share of every epoch's permutation, so replicas stay
identical) and the resume format
(:mod:`crysgnn_zoo.train.resume`). Rank 0 evaluates, checkpoints and writes the teacher.
"""
from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from crysgnn_zoo.backend import check_device, for_device
from crysgnn_zoo.config import GraphConfig, PretrainConfig
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.hub.checkpoint import save_checkpoint
from crysgnn_zoo.nets.crysgnn import CrysGNN, CrysGNNConfig
from crysgnn_zoo.progress import bar as progress_bar
from crysgnn_zoo.pretrain.objectives import PretrainHeads, pretrain_losses
from crysgnn_zoo.smoke import SMOKE_EPOCHS, SMOKE_STEPS, smoke
from crysgnn_zoo.train.distributed import World, barrier, init_distributed
from crysgnn_zoo.train.lock import RunLock
from crysgnn_zoo.train.memory import HeapTrimmer, apply_heap_policy
from crysgnn_zoo.train.optim import gradient_step, make_optimizer, make_scheduler
from crysgnn_zoo.train.resume import load_resume_state, restore, save_resume_state

log = logging.getLogger(__name__)


if TYPE_CHECKING:
    from dgl import DGLGraph


class PretrainModel(nn.Module):
    """Encoder + pre-training heads behind one ``forward``."""

    def __init__(self, encoder: CrysGNN, heads: PretrainHeads, config: PretrainConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.heads = heads
        self.config = config

    def forward(self, g: DGLGraph, spacegroup: torch.Tensor, crystal_system: torch.Tensor,
                generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        return pretrain_losses(self.encoder, self.heads, g, spacegroup, crystal_system, self.config, generator)


@dataclass
class PretrainResult:
    epochs: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    graphs_seen: int = 0
    world_size: int = 1
    checkpoint: str | None = None

    @property
    def graphs_per_second(self) -> float:
        return self.graphs_seen / self.seconds if self.seconds else float("nan")


def _labels(store: GraphStore, batch: np.ndarray, device) -> tuple[torch.Tensor, torch.Tensor]:
    sg = torch.from_numpy(store.targets["spacegroup"][batch].astype(np.int64)).to(device)
    cs = torch.from_numpy(store.targets["crystal_system"][batch].astype(np.int64)).to(device)
    return sg, cs


@torch.no_grad()
def evaluate_pretraining(model: PretrainModel, store: GraphStore, index: np.ndarray, batch_size: int = 256,
                         device: str = "cpu", seed: int = 0) -> dict[str, float]:
    """Mean of every objective (and connectivity accuracy) over ``index``."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    sums: dict[str, float] = {}
    n = 0
    for start in range(0, len(index), batch_size):
        batch = index[start : start + batch_size]
        g = collate(store, batch, backend=for_device(device)).to(device)
        out = model(g, *_labels(store, batch, device), generator=gen)
        for k, v in out.items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(batch)
        n += len(batch)
    model.train()
    return {k: v / max(n, 1) for k, v in sums.items()}


def pretrain(
    store: GraphStore,
    out_dir: str | Path,
    config: PretrainConfig | None = None,
    model_config: CrysGNNConfig | None = None,
    graph_config: GraphConfig | None = None,
    *,
    device: str = "cpu",
    progress: bool = True,
    resume: bool = False,
    max_steps: int | None = None,
    val_fraction: float = 0.02,
    save_replicas: bool = False,
    card: dict | None = None,
    heap: str = "trim",
) -> PretrainResult:
    """Pre-train a CrysGNN encoder on ``store`` (needs ``spacegroup`` and
    ``crystal_system`` targets, as written by curation).

    Writes to ``out_dir``: ``last.pt`` (resume state), ``history.json`` and
    ``teacher/`` (the encoder as a checkpoint folder with its card). With
    ``save_replicas`` every rank also writes ``replica-<rank>.pt`` (its final
    weights), to verify that data-parallel replicas agree. Rank 0 holds the
    folder's :class:`~crysgnn_zoo.train.lock.RunLock` for the run.

    ``heap``: ``trim`` (default, as the student trainer) hands freed pages back to the OS every
    5 s (:class:`~crysgnn_zoo.train.memory.HeapTrimmer`); ``retain`` keeps freed memory mapped for
    reuse, process-wide (:func:`~crysgnn_zoo.train.memory.retain_freed_memory`). An all-pairs
    step of 128 crystals allocates blocks above glibc's mmap threshold, and with glibc's
    defaults about half the CPU time went to the kernel zeroing fresh pages: 25 steps of the
    crysgnn-v2 run took 19.6-20.9 s retained against 23.9-25.2 s with glibc's defaults, peak
    resident 2.3-2.4 against 2.0-2.1 GiB (/usr/bin/time maximum RSS). Same results either way.

    Raises:
        RunLockedError: another process is running in ``out_dir``.
    """
    check_device(device)
    if smoke():  # crysgnn_zoo.smoke: a few steps of one epoch
        config, max_steps = config.replace(epochs=SMOKE_EPOCHS) if config else PretrainConfig(epochs=SMOKE_EPOCHS), \
            min(max_steps or SMOKE_STEPS, SMOKE_STEPS)
    here, device = init_distributed(device)
    with RunLock(out_dir) if here.main else contextlib.nullcontext():
        return _pretrain(store, Path(out_dir), config or PretrainConfig(), model_config or CrysGNNConfig(),
                         graph_config or GraphConfig(), here=here, device=device, progress=progress and here.main,
                         resume=resume, max_steps=max_steps, val_fraction=val_fraction,
                         save_replicas=save_replicas, card=card, heap=heap)


def _build(config: PretrainConfig, model_config: CrysGNNConfig, device: str):
    """``(model, optimiser, scheduler)``: a CrysGNN encoder with its pre-training heads, seeded."""
    torch.manual_seed(config.seed)
    encoder = CrysGNN(model_config)
    encoder.registry_name = "crysgnn"
    heads = PretrainHeads(encoder.embedding_dim, encoder.atom_features.dim,
                          pair_classes=config.max_bonds + 1 if config.connectivity == "all_pairs" else 0)
    model = PretrainModel(encoder, heads, config).to(device)
    opt = make_optimizer(model.parameters(), "adam", config.lr, config.weight_decay)
    return model, opt, make_scheduler(opt, "cosine", config.epochs)


def _pretrain(store, out: Path, config: PretrainConfig, model_config: CrysGNNConfig, graph_config: GraphConfig, *,
              here: World, device, progress, resume, max_steps, val_fraction, save_replicas, card,
              heap) -> PretrainResult:
    out.mkdir(parents=True, exist_ok=True)
    trimmer = HeapTrimmer(apply_heap_policy(heap))
    model, opt, sched = _build(config, model_config, device)
    val_index, train_index = pretrain_split(len(store), val_fraction, config)
    result = PretrainResult(world_size=here.size)
    start_epoch, cycle_start = 0, 0
    if resume and (out / "last.pt").exists():
        state = load_resume_state(out / "last.pt", device)
        start_epoch = restore(state, model, opt, sched)
        sched, cycle_start = _continued_schedule(opt, sched, config, start_epoch, int(state.get("cycle_start", 0)))
        result.epochs = state["epochs"]
        result.steps, result.graphs_seen, result.seconds = state["steps"], state["graphs_seen"], state["seconds"]
    gen = torch.Generator().manual_seed(config.seed * 1000 + here.rank)
    loader = GraphLoader(store, train_index, None, config.batch_size, shuffle=True, seed=config.seed,
                         backend=for_device(device))
    loader.set_shard(here.rank, here.size)
    for epoch in range(start_epoch, config.epochs):
        lr = opt.param_groups[0]["lr"]
        record = _epoch(model, opt, loader, epoch, config, here, device, gen, result, max_steps, progress, trimmer)
        record["lr"] = lr
        sched.step()
        if here.main and len(val_index):
            record["val"] = evaluate_pretraining(model, store, val_index, device=device, seed=config.seed)
        result.epochs.append(record)
        if here.main:
            log.info("pretrain epoch %d: %s", epoch, record)
            save_resume_state(out / "last.pt", epoch, model, opt, sched, epochs=result.epochs, steps=result.steps,
                              graphs_seen=result.graphs_seen, seconds=result.seconds, cycle_start=cycle_start)
        if max_steps is not None and result.steps >= max_steps:
            break
    if save_replicas:
        torch.save(model.state_dict(), out / f"replica-{here.rank}.pt")
    if here.main:
        _write_teacher(out, model, config, store, train_index, val_index, graph_config, result, card)
    barrier(here)
    return result


def pretrain_split(n: int, val_fraction: float, config: PretrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(val_index, train_index)``, sorted: the held-out crystals are drawn from the whole pool
    with ``config.seed``, then ``config.pool_fraction`` of the rest is kept for training (a second
    draw from the same generator), so every pool fraction shares one held-out set."""
    rng = np.random.default_rng(config.seed)
    perm = rng.permutation(n)
    n_val = int(round(val_fraction * n))
    val_index, train_index = perm[:n_val], perm[n_val:]
    if config.pool_fraction < 1:
        keep = max(1, int(round(config.pool_fraction * len(train_index))))
        train_index = rng.permutation(train_index)[:keep]
    return np.sort(val_index), np.sort(train_index)


def _continued_schedule(opt: torch.optim.Optimizer, sched, config: PretrainConfig, start_epoch: int,
                        cycle_start: int) -> tuple:
    """``(scheduler, cycle_start)`` to continue a resumed run with.

    The saved cosine cycle (epochs ``cycle_start`` to ``cycle_start + T_max``) goes on while
    ``config.epochs`` ends inside it. A run resumed with more epochs than its cycle covers
    (pre-training extended after it finished) starts a new cosine cycle at ``config.lr`` over
    the remaining epochs: a warm restart, as in SGDR, since the finished cycle left the
    learning rate at zero. The cycle's first epoch is saved with the resume state, so a
    later resume inside it does not restart again.
    """
    if start_epoch >= config.epochs or config.epochs <= cycle_start + int(sched.T_max):
        return sched, cycle_start
    for group in opt.param_groups:
        group["lr"] = group["initial_lr"] = config.lr
    log.info("pre-training extended to %d epochs: new cosine cycle from lr %g at epoch %d",
             config.epochs, config.lr, start_epoch)
    return make_scheduler(opt, "cosine", config.epochs - start_epoch), start_epoch


def _epoch(model, opt, loader: GraphLoader, epoch, config, here: World, device, gen, result: PretrainResult,
           max_steps, progress, trimmer: HeapTrimmer) -> dict:
    """One pass over this process's shard of ``loader`` (the student trainer's batching: the
    same permutation of epoch ``epoch`` in every process, equal shares); returns the epoch's record."""
    loader.set_epoch(epoch)
    t0 = time.perf_counter()
    sums: dict[str, float] = {}
    seen, done = 0, 0
    bar = progress_bar(loader, desc=f"pretrain epoch {epoch}", disable=not progress)
    for step, (g, _, batch) in enumerate(bar):
        if max_steps is not None and result.steps >= max_steps:
            break
        losses = model(g.to(device), *_labels(loader.store, batch, device), generator=gen)
        gradient_step(model, losses["total"], opt, here, config.max_grad_norm)
        result.steps += 1
        done += 1
        trimmer.step()
        seen += len(batch) * here.size
        for k, v in losses.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
        if step % 10 == 0:
            bar.set_postfix(loss=f"{float(losses['total'].detach()):.3f}")
    seconds = time.perf_counter() - t0
    result.seconds += seconds
    result.graphs_seen += seen
    return {"epoch": epoch, "seconds": seconds, "graphs_per_s": seen / seconds if seconds else None,
            "train": {k: v / max(done, 1) for k, v in sums.items()}}


def _write_teacher(out: Path, model: PretrainModel, config: PretrainConfig, store, train_index, val_index,
                   graph_config: GraphConfig, result: PretrainResult, card: dict | None) -> None:
    """history.json and teacher/ (the encoder as a checkpoint folder with its model card: ``card``'s
    name and command, its other keys (curated data sources, counts) under ``data``)."""
    (out / "history.json").write_text(json.dumps(result.epochs, indent=1))
    given = dict(card or {})
    teacher_card = {
        "name": given.pop("name", "crysgnn"),
        "command": given.pop("command", ""),
        "data": {"crystals": len(store), "train_crystals": len(train_index), "val_crystals": len(val_index),
                 **given},
        "training": {"pretrain_config": config.to_dict(), "epochs": len(result.epochs), "steps": result.steps,
                     "graphs_seen": result.graphs_seen, "wall_seconds": result.seconds,
                     "graphs_per_second": result.graphs_per_second, "world_size": result.world_size},
        "metrics": {"final_validation_losses": result.epochs[-1].get("val") if result.epochs else None},
        "extra": {"loss_curve": [{"epoch": e["epoch"], "train_total": e["train"].get("total"), "val": e.get("val")}
                                 for e in result.epochs]},
    }
    result.checkpoint = str(save_checkpoint(out / "teacher", model.encoder, graph_config=graph_config,
                                            target=None, card=teacher_card))
