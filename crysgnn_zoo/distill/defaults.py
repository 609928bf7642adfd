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


def alphas_text(alphas: dict[str, float]) -> float | str:
    """Students' alphas in a few words: the number when they agree, else the most common one
    with the others named, ``0.5 (crysxpp 0.25)``."""
    values = list(alphas.values())
    if len(set(values)) <= 1:
        return values[0] if values else DEFAULT_ALPHA
    common = max(sorted(set(values)), key=values.count)
    others = ", ".join(f"{m} {a}" for m, a in sorted(alphas.items()) if a != common)
    return f"{common} ({others})"


def alpha_text(models: list[str]) -> float | str:
    """:func:`alphas_text` of the students' own alphas."""
    return alphas_text({m: student_alpha(m) for m in models})
