"""The alpha a student distils with when the user names none.

Each student may carry its own alpha in its registry entry (``register_model(...,
distill_alpha=...)``), chosen on validation in the dev protocol (docs/benchmarks.md); a student
without one gets :data:`~crysgnn_zoo.config.DEFAULT_ALPHA` (the paper's 0.5). A
:class:`~crysgnn_zoo.config.DistillConfig` with ``alpha=None`` means "the student's alpha"; it is
resolved here before a run records its config, so saved runs always name a number.
"""
from __future__ import annotations

from crysgnn_zoo.config import DEFAULT_ALPHA, DistillConfig
from crysgnn_zoo.nets.registry import list_models, model_entry


def student_alpha(name: str | None) -> float:
    """The alpha student ``name`` distils with by default (a name not registered: the paper's 0.5)."""
    if name is None or name not in list_models():
        return DEFAULT_ALPHA
    alpha = model_entry(name).distill_alpha
    return DEFAULT_ALPHA if alpha is None else alpha


def for_student(config: DistillConfig, name: str | None) -> DistillConfig:
    """``config`` with ``alpha=None`` replaced by student ``name``'s alpha (unchanged otherwise)."""
    return config if config.alpha is not None else config.replace(alpha=student_alpha(name))


def alpha_text(models: list[str]) -> str:
    """The students' own alphas in a few words: ``0.5`` when they agree, else ``0.5 (crysxpp 0.25)``."""
    alphas = {m: student_alpha(m) for m in models}
    if len(set(alphas.values())) <= 1:
        return str(next(iter(alphas.values()), DEFAULT_ALPHA))
    others = ", ".join(f"{m} {a}" for m, a in alphas.items() if a != DEFAULT_ALPHA)
    return f"{DEFAULT_ALPHA} ({others})"
