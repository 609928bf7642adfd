"""Released weights: model cards, resolution (path -> weights package -> cache -> URL), loading."""
from crysgnn_zoo.hub.card import ModelCard
from crysgnn_zoo.hub.resolve import WeightsNotFoundError, WeightsVerificationError, load_teacher, resolve_weights

__all__ = ["ModelCard", "WeightsNotFoundError", "WeightsVerificationError", "load_teacher", "resolve_weights"]
