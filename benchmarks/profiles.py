"""Benchmark profiles (data sizes and budget); each student's optimiser comes from
:mod:`crysgnn_zoo.train.recipes`."""
from __future__ import annotations

from dataclasses import dataclass

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.train.recipes import recipe


@dataclass(frozen=True)
class Profile:
    """How much data and training one benchmark run gets.

    ``split``: train/val/test as fractions (sum 1) or counts; counts larger
    than the data set are scaled down in proportion (and the table says so).
    ``max_train`` caps the training set (val/test keep their sizes).
    """

    name: str
    split: tuple[float, float, float]
    epochs: int
    batch_size: int = 64
    max_train: int | None = None
    max_val: int | None = None
    max_test: int | None = None
    patience: int | None = None
    description: str = ""


MP_PAPER_SPLIT = (60000, 5000, 4239)  # MP 2018.6.1 as in the ALIGNN and CrysGNN papers

PROFILES = {
    "paper": Profile(
        "paper", (0.8, 0.1, 0.1), epochs=300, patience=None,
        description="the papers' protocol: MP 60000/5000/4239 (scaled to the file's size), "
                    "JARVIS and other sets 80/10/10, 300 epochs (ALIGNN's budget), batch 64",
    ),
    "quick": Profile(
        "quick", (0.8, 0.1, 0.1), epochs=10, max_train=1000, max_val=250, max_test=500,
        description="sub-sampled: at most 1000 train / 250 val / 500 test crystals, 10 epochs, batch 64",
    ),
}

def train_config(profile: Profile, model: str, seed: int, epochs: int | None = None) -> TrainConfig:
    """The trainer settings for ``model`` under ``profile`` (``epochs`` overrides the profile's)."""
    return TrainConfig(epochs=epochs or profile.epochs, batch_size=profile.batch_size,
                       patience=profile.patience, seed=seed, **recipe(model))
