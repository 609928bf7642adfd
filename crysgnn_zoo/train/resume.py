"""The one resume format of every training loop (student training and teacher pre-training).

``last.pt`` is a dict written atomically after every epoch::

    {"format": 1, "epoch": <last finished epoch>, "model": ..., "optimizer": ...,
     "scheduler": ... or None, **extras}

where the extras are the loop's own bookkeeping (the student trainer: normaliser, history,
best weights, epochs without improvement; pre-training: per-epoch records, steps, graphs
seen, seconds). Files written before the ``format`` key existed load the same way.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from crysgnn_zoo.hub.checkpoint import CheckpointError

RESUME_FORMAT = 1


def save_resume_state(path: Path, epoch: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                      scheduler: Any | None = None, **extras: Any) -> None:
    """Write ``path`` (via a temporary file, so a crash never leaves half a state)."""
    state = {"format": RESUME_FORMAT, "epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict() if scheduler is not None else None, **extras}
    tmp = Path(path).with_suffix(".tmp")
    try:
        torch.save(state, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # a failed write (full disk) leaves no half file; the last state stays


def load_resume_state(path: Path, device: str | torch.device = "cpu") -> dict:
    """A loop's ``last.pt``, loaded with ``weights_only=True``.

    Raises:
        CheckpointError: the file is damaged or of a newer format; the message says how to
            start over.
    """
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a damaged file
        raise CheckpointError(
            f"{path}: the resume state cannot be read ({type(exc).__name__}); move it away to start "
            "this run over (the run's other files are kept)"
        ) from None
    if not isinstance(state, dict) or "model" not in state or state.get("format", 1) > RESUME_FORMAT:
        raise CheckpointError(f"{path}: not a resume state of this version; move it away to start this run over")
    return state


def restore(state: dict, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any | None = None) -> int:
    """Load model, optimiser and scheduler from ``state``; returns the epoch to continue at."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state.get("scheduler"):
        scheduler.load_state_dict(state["scheduler"])
    return int(state["epoch"]) + 1
