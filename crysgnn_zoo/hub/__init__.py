"""Released weights: checkpoint format, model cards, resolution (path -> weights package -> cache -> URL), loading."""
from crysgnn_zoo.hub.card import ModelCard
from crysgnn_zoo.hub.checkpoint import Predictor, load_checkpoint, save_checkpoint
from crysgnn_zoo.hub.resolve import WeightsNotFoundError, WeightsVerificationError, load_released, resolve_weights

__all__ = ["ModelCard", "Predictor", "WeightsNotFoundError", "WeightsVerificationError", "load_checkpoint",
           "load_released", "resolve_weights", "save_checkpoint"]
