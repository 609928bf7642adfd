"""Data parallelism for every training loop, under ``torchrun`` (one process per core or GPU).

Each process trains on its own shard of every epoch's batches and the gradients are averaged
across processes before each optimiser step, so all replicas stay identical; only rank 0
writes files. Without ``torchrun`` (``WORLD_SIZE`` unset or 1) everything here is a no-op.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class World:
    """This process's place: ``rank`` of ``size`` processes."""

    rank: int = 0
    size: int = 1

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        """The process that writes files and shows progress."""
        return self.rank == 0


def world() -> World:
    """The process group ``torchrun`` describes in the environment (``RANK``, ``WORLD_SIZE``)."""
    return World(int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")))


def init_distributed(device: str) -> tuple[World, str]:
    """Join the process group (gloo on CPU, nccl on CUDA) when running under ``torchrun``;
    returns the world and this process's device (``cuda:<LOCAL_RANK>`` on GPUs)."""
    here = world()
    if not here.distributed:
        return here, device
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    if device.startswith("cuda"):
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return here, device


def average_gradients(model: torch.nn.Module, here: World) -> None:
    """All-reduce every gradient to the mean over processes (one flat buffer per call)."""
    if not here.distributed:
        return
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:  # a parameter unused in this step still takes part, with a zero gradient
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    grads = [p.grad for p in params]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    torch.distributed.all_reduce(flat)
    flat /= here.size
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def barrier(here: World) -> None:
    if here.distributed:
        torch.distributed.barrier()


def broadcast_buffers(model: torch.nn.Module, here: World) -> None:
    """Copy rank 0's buffers (BatchNorm statistics) to every process, so that evaluation,
    early stopping and the saved weights agree on all of them."""
    if here.distributed:
        for buffer in model.buffers():
            torch.distributed.broadcast(buffer, 0)
