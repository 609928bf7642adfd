"""Pre-trained crysgnn-zoo weights, shipped as a pip-installable package.

Each released weight set is a folder next to this file (``<name>/``) holding a
checkpoint: ``config.json``, ``weights.pt`` and ``card.json``. crysgnn_zoo
looks here after an explicit path and before the user cache.
"""
from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"
ROOT = Path(__file__).resolve().parent


def available() -> list[str]:
    """Names of the weight sets this package carries."""
    return sorted(p.name for p in ROOT.iterdir() if (p / "config.json").exists())


def path_of(name: str) -> Path | None:
    """Folder of weight set ``name``, or None when this package lacks it."""
    folder = ROOT / name
    return folder if (folder / "config.json").exists() else None
