"""Training: loader, trainer, metrics, checkpoints, and the end-to-end run."""
from crysgnn_zoo.train.checkpoint import Predictor, load_checkpoint, save_checkpoint
from crysgnn_zoo.train.loader import GraphLoader
from crysgnn_zoo.train.trainer import History, Trainer

__all__ = ["GraphLoader", "History", "Predictor", "Trainer", "load_checkpoint", "save_checkpoint"]
