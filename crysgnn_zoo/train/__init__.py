"""Training: the trainer, metrics, run locks, and the end-to-end run."""
from crysgnn_zoo.train.trainer import History, Trainer

__all__ = ["History", "Trainer"]
