"""Training: the trainer, metrics, run locks, and the end-to-end run."""
from __future__ import annotations

from crysgnn_zoo._lazy import lazy_exports

_EXPORTS = {
    "History": "trainer",
    "Trainer": "trainer",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["History", "Trainer"]
