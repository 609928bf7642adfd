"""Alpha schedules: how the weight of the embedding term changes over training.

A schedule maps the fraction of training done (``progress`` = epoch / epochs, in [0, 1]) to a
factor on alpha; the registry below is the one place that defines them, and
:class:`~crysgnn_zoo.config.DistillConfig` lists their names. Each entry also says, in words,
what it does, for tables and logs (:func:`alpha_words`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from crysgnn_zoo.errors import ConfigError


@dataclass(frozen=True)
class AlphaSchedule:
    """``factor(progress)`` in [0, 1] multiplies alpha; ``words`` follow ``alpha 0.5``."""

    factor: Callable[[float], float]
    words: str


ALPHA_SCHEDULE_REGISTRY: dict[str, AlphaSchedule] = {
    "constant": AlphaSchedule(lambda p: 1.0, ""),
    "linear_decay": AlphaSchedule(lambda p: 1.0 - p, " decaying linearly to 0"),
    "half_decay": AlphaSchedule(lambda p: max(0.0, 1.0 - 2.0 * p), " decaying linearly to 0 at half the epochs"),
    "cosine_decay": AlphaSchedule(lambda p: 0.5 * (1.0 + math.cos(math.pi * p)), " decaying as a cosine to 0"),
}


def schedule(name: str) -> AlphaSchedule:
    """The registered schedule ``name``; a :class:`ConfigError` naming the known ones otherwise."""
    if name not in ALPHA_SCHEDULE_REGISTRY:
        raise ConfigError(f"alpha_schedule must be one of {sorted(ALPHA_SCHEDULE_REGISTRY)}, got {name!r}")
    return ALPHA_SCHEDULE_REGISTRY[name]


def scheduled_alpha(alpha: float, name: str, progress: float, span: float = 1.0) -> float:
    """alpha at ``progress`` (fraction of training done) under schedule ``name``, the schedule
    running over the first ``span`` of training (:func:`teacher_span`; 1: all of it) and staying
    at its end value after."""
    if not 0.0 < span <= 1.0:
        raise ConfigError(f"a schedule's span must be in (0, 1], got {span}")
    return alpha * schedule(name).factor(min(max(float(progress) / span, 0.0), 1.0))


def teacher_span(teacher_crystals: int | None, n_train: int, epochs: int) -> float:
    """The share of training the alpha schedule runs over under the size rule
    (:attr:`~crysgnn_zoo.config.DistillConfig.teacher_crystals`): ``teacher_crystals / (epochs *
    n_train)``, at most 1; 1 when ``teacher_crystals`` is ``None``."""
    if teacher_crystals is None or n_train < 1 or epochs < 1:
        return 1.0
    return min(1.0, teacher_crystals / (epochs * n_train))


def alpha_words(alpha: float, name: str = "constant") -> str:
    """``alpha 0.5`` or ``alpha 0.5 decaying linearly to 0``: how tables and logs name a resolved
    :class:`~crysgnn_zoo.config.DistillConfig`'s alpha and ``alpha_schedule``."""
    return f"alpha {alpha}" + schedule(name).words


def teacher_off_reason(max_train_crystals: int | None, n_train: int) -> str | None:
    """Why a run over ``n_train`` training crystals trains without its teacher under the size rule
    (:attr:`~crysgnn_zoo.config.DistillConfig.max_train_crystals`); ``None`` when it distils."""
    if max_train_crystals is None or n_train <= max_train_crystals:
        return None
    return (f"{n_train:,} training crystals > max_train_crystals {max_train_crystals:,} (size rule): "
            "trained without the teacher")
