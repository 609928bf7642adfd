"""Pre-training loop, single-process or data-parallel (DDP under ``torchrun``).

Under ``torchrun`` (``WORLD_SIZE > 1``) each process joins a process group
(gloo on CPU, nccl on CUDA), wraps encoder + heads in
``DistributedDataParallel`` and trains on its own slice of every epoch's
permutation (equal slices, so all ranks take the same number of steps).
Gradients are averaged by DDP, so replicas stay identical. Rank 0 evaluates,
checkpoints and writes the teacher.
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
from torch import nn
from tqdm.auto import tqdm

from crysgnn_zoo.config import GraphConfig, PretrainConfig
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.hub.checkpoint import load_resume_state, save_checkpoint
from crysgnn_zoo.nets.crysgnn import CrysGNN, CrysGNNConfig
from crysgnn_zoo.pretrain.objectives import PretrainHeads, pretrain_losses
from crysgnn_zoo.train.lock import RunLock

log = logging.getLogger(__name__)


class PretrainModel(nn.Module):
    """Encoder + pre-training heads behind one ``forward`` (what DDP wraps)."""

    def __init__(self, encoder: CrysGNN, heads: PretrainHeads, config: PretrainConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.heads = heads
        self.config = config

    def forward(self, g, spacegroup, crystal_system, generator=None) -> dict[str, torch.Tensor]:
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


def _dist_info() -> tuple[bool, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return world > 1, int(os.environ.get("RANK", "0")), world


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
        g = collate(store, batch).to(device)
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
) -> PretrainResult:
    """Pre-train a CrysGNN encoder on ``store`` (needs ``spacegroup`` and
    ``crystal_system`` targets, as written by curation).

    Writes to ``out_dir``: ``last.pt`` (resume state), ``history.json`` and
    ``teacher/`` (the encoder as a checkpoint folder with its card). With
    ``save_replicas`` every rank also writes ``replica-<rank>.pt`` (its final
    weights), to verify that data-parallel replicas agree. Rank 0 holds the
    folder's :class:`~crysgnn_zoo.train.lock.RunLock` for the run.

    Raises:
        RunLockedError: another process is running in ``out_dir``.
    """
    with RunLock(out_dir) if _dist_info()[1] == 0 else contextlib.nullcontext():
        return _pretrain(store, out_dir, config, model_config, graph_config, device=device, progress=progress,
                         resume=resume, max_steps=max_steps, val_fraction=val_fraction,
                         save_replicas=save_replicas, card=card)


def _pretrain(store, out_dir, config, model_config, graph_config, *, device, progress, resume, max_steps,
              val_fraction, save_replicas, card) -> PretrainResult:
    config = config or PretrainConfig()
    model_config = model_config or CrysGNNConfig()
    graph_config = graph_config or GraphConfig()
    distributed, rank, world = _dist_info()
    if distributed and not torch.distributed.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        torch.distributed.init_process_group(backend)
    if device.startswith("cuda") and distributed:
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(config.seed)
    encoder = CrysGNN(model_config)
    encoder.registry_name = "crysgnn"
    heads = PretrainHeads(encoder.embedding_dim, encoder.atom_features.dim,
                          pair_classes=config.max_bonds + 1 if config.connectivity == "all_pairs" else 0)
    model = PretrainModel(encoder, heads, config).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.epochs)

    rng = np.random.default_rng(config.seed)
    perm = rng.permutation(len(store))
    n_val = int(round(val_fraction * len(store)))
    val_index, train_index = np.sort(perm[:n_val]), np.sort(perm[n_val:])

    result = PretrainResult(world_size=world)
    start_epoch = 0
    state_path = out / "last.pt"
    if resume and state_path.exists():
        state = load_resume_state(state_path, device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        result.epochs = state["epochs"]
        result.steps, result.graphs_seen, result.seconds = state["steps"], state["graphs_seen"], state["seconds"]
        start_epoch = state["epoch"] + 1
    wrapped = model
    if distributed:
        wrapped = nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)

    gen = torch.Generator().manual_seed(config.seed * 1000 + rank)
    per_rank = len(train_index) // world
    steps_per_epoch = (per_rank + config.batch_size - 1) // config.batch_size
    for epoch in range(start_epoch, config.epochs):
        order = train_index[np.random.default_rng(config.seed + epoch).permutation(len(train_index))]
        mine = order[rank * per_rank : (rank + 1) * per_rank]
        t0 = time.perf_counter()
        sums: dict[str, float] = {}
        seen, done = 0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"pretrain epoch {epoch}", disable=not progress or rank != 0)
        for step in bar:
            if max_steps is not None and result.steps >= max_steps:
                break
            batch = mine[step * config.batch_size : (step + 1) * config.batch_size]
            g = collate(store, batch).to(device)
            losses = wrapped(g, *_labels(store, batch, device), generator=gen)
            opt.zero_grad(set_to_none=True)
            losses["total"].backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            opt.step()
            result.steps += 1
            done += 1
            seen += len(batch) * world
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach())
            if step % 10 == 0:
                bar.set_postfix(loss=f"{float(losses['total'].detach()):.3f}")
        sched.step()
        seconds = time.perf_counter() - t0
        result.seconds += seconds
        result.graphs_seen += seen
        record = {"epoch": epoch, "seconds": seconds, "graphs_per_s": seen / seconds if seconds else None,
                  "train": {k: v / max(done, 1) for k, v in sums.items()}}
        if rank == 0 and len(val_index):
            record["val"] = evaluate_pretraining(model, store, val_index, device=device, seed=config.seed)
        result.epochs.append(record)
        if rank == 0:
            log.info("pretrain epoch %d: %s", epoch, record)
            torch.save({
                "epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(), "epochs": result.epochs, "steps": result.steps,
                "graphs_seen": result.graphs_seen, "seconds": result.seconds,
            }, state_path)
        if max_steps is not None and result.steps >= max_steps:
            break

    if save_replicas:
        torch.save(model.state_dict(), out / f"replica-{rank}.pt")
    if rank == 0:
        (out / "history.json").write_text(json.dumps(result.epochs, indent=1))
        teacher_card = {
            "name": (card or {}).get("name", "crysgnn"),
            "architecture": "crysgnn",
            "pretrain_config": config.to_dict(),
            "crystals": len(store),
            "train_crystals": len(train_index),
            "val_crystals": len(val_index),
            "epochs": len(result.epochs),
            "steps": result.steps,
            "graphs_seen": result.graphs_seen,
            "wall_seconds": result.seconds,
            "graphs_per_second": result.graphs_per_second,
            "world_size": world,
            "loss_curve": [{"epoch": e["epoch"], "train_total": e["train"].get("total"),
                            "val": e.get("val")} for e in result.epochs],
            **(card or {}),
        }
        result.checkpoint = str(save_checkpoint(out / "teacher", encoder, graph_config=graph_config,
                                                target=None, card=teacher_card))
    if distributed:
        torch.distributed.barrier()
    return result
