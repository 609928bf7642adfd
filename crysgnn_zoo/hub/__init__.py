"""Released weights: checkpoint format, model cards, resolution (path -> weights package -> cache -> URL), loading."""
from __future__ import annotations

from crysgnn_zoo._lazy import lazy_exports

_EXPORTS = {
    "ModelCard": "card",
    "Predictor": "checkpoint",
    "load_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint",
    "WeightsNotFoundError": "resolve",
    "WeightsVerificationError": "resolve",
    "load_released": "resolve",
    "resolve_weights": "resolve",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["ModelCard", "Predictor", "WeightsNotFoundError", "WeightsVerificationError", "load_checkpoint",
           "load_released", "resolve_weights", "save_checkpoint"]
