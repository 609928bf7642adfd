"""What a student distils with when the user leaves a setting open.

:class:`~crysgnn_zoo.config.DistillConfig` fields ``alpha`` and ``alpha_schedule`` default to
``None``: "the student's own". Each student may name its own in its registry entry
(``register_model(..., distill={"alpha": 0.25, "alpha_schedule": "half_decay"})``), chosen on
validation in the dev protocol (docs/benchmarks.md); a field it names nothing for gets the package default
(:data:`~crysgnn_zoo.config.DEFAULT_ALPHA`, :data:`~crysgnn_zoo.config.DEFAULT_ALPHA_SCHEDULE`).
They are resolved here before a run records its config, so saved runs always name values.
"""
from __future__ import annotations

from typing import Any

from crysgnn_zoo.config import DEFAULT_ALPHA, DEFAULT_ALPHA_SCHEDULE, DistillConfig
from crysgnn_zoo.distill.schedules import alpha_words
from crysgnn_zoo.nets.registry import list_models, model_entry

#: The fields a student may set for itself, with the package default of each.
STUDENT_FIELDS: dict[str, Any] = {"alpha": DEFAULT_ALPHA, "alpha_schedule": DEFAULT_ALPHA_SCHEDULE}


def student_setting(name: str | None, field: str) -> Any:
    """Student ``name``'s own value of DistillConfig ``field`` (a name not registered, or one
    that names nothing for it: the package default)."""
    own = model_entry(name).distill if name is not None and name in list_models() else {}
    return own.get(field, STUDENT_FIELDS[field])


def for_student(config: DistillConfig, name: str | None) -> DistillConfig:
    """``config`` with every field left ``None`` replaced by student ``name``'s own value."""
    open_fields = {f: student_setting(name, f) for f in STUDENT_FIELDS if getattr(config, f) is None}
    return config.replace(**open_fields) if open_fields else config


def settings_text(settings: dict[str, tuple[float, str]]) -> str:
    """Students' ``(alpha, alpha_schedule)`` in words: ``alpha 0.5 decaying linearly to 0`` when they
    agree, else the most common one (the package default on a tie) with the others named after it."""
    default = alpha_words(DEFAULT_ALPHA, DEFAULT_ALPHA_SCHEDULE)
    words = {m: alpha_words(a, s) for m, (a, s) in settings.items()}
    values = list(words.values())
    if len(set(values)) <= 1:
        return values[0] if values else default
    most = max(values.count(v) for v in values)
    common = sorted({v for v in values if values.count(v) == most}, key=lambda v: (v != default, v))[0]
    others = "; ".join(f"{m}: {w}" for m, w in sorted(words.items()) if w != common)
    return f"{common} ({others})"
