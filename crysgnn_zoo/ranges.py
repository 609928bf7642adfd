"""The physical range of a target's values.

Band gaps, elastic moduli, energies above the hull and magnetisations are never negative; a
Poisson ratio lies in [-1, 0.5]. A data set card declares it per target (``"range": [min, max]``,
``null`` for no bound); a user's own folder or CSV can give one (``RunConfig.target_range``).
Predictions are kept inside it (:meth:`TargetRange.clip`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from crysgnn_zoo.errors import ConfigError


@dataclass(frozen=True)
class TargetRange:
    """``[lower, upper]`` in the target's unit; ``None`` for a side without bound."""

    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        for side in (self.lower, self.upper):
            if side is not None and (isinstance(side, bool) or not isinstance(side, (int, float))
                                     or not math.isfinite(side)):
                raise ConfigError(f"a target range takes finite numbers or null, got {side!r}")
        if self.lower is not None and self.upper is not None and not self.lower < self.upper:
            raise ConfigError(f"a target range needs min < max, got [{self.lower}, {self.upper}]")

    def share_at_bound(self, values: np.ndarray) -> float:
        """The share of ``values`` (target units) lying on or beyond a bound: metals for a band gap
        (0 eV), crystals on the hull for an energy above hull (0 eV/atom)."""
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            return 0.0
        at = np.zeros(values.shape, dtype=bool)
        if self.lower is not None:
            at |= values <= self.lower
        if self.upper is not None:
            at |= values >= self.upper
        return float(at.mean())

    @classmethod
    def from_json(cls, value: Any, where: str = "range") -> "TargetRange | None":
        """``[min, max]`` (``null`` sides allowed) -> a range; ``None`` or ``[null, null]`` -> ``None``.

        Raises:
            ConfigError: naming ``where``, for anything else.
        """
        if value is None:
            return None
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ConfigError(f"{where}: a range is [min, max] (null for no bound), got {value!r}")
        try:
            rng = cls(*(None if v is None else v for v in value))
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        return rng if rng.bounded else None

    def to_json(self) -> list[float | None]:
        return [self.lower, self.upper]

    @property
    def bounded(self) -> bool:
        return self.lower is not None or self.upper is not None

    def clip(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(values moved into the range, mask of the values that were outside)``; NaN stays NaN."""
        values = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            below = values < self.lower if self.lower is not None else np.zeros(values.shape, bool)
            above = values > self.upper if self.upper is not None else np.zeros(values.shape, bool)
        lo = -np.inf if self.lower is None else self.lower
        hi = np.inf if self.upper is None else self.upper
        return np.clip(values, lo, hi), below | above

    def __str__(self) -> str:
        lo = "(-inf" if self.lower is None else f"[{self.lower:g}"
        hi = "inf)" if self.upper is None else f"{self.upper:g}]"
        return f"{lo}, {hi}"


def parse_range(text: str) -> tuple[float | None, float | None]:
    """``"MIN:MAX"`` from the command line, a side left empty for no bound (``0:``, ``-1:0.5``)."""
    parts = text.split(":")
    if len(parts) != 2:
        raise ValueError(f"a range is MIN:MAX with an empty side for no bound (e.g. 0: or -1:0.5), got {text!r}")
    try:
        pair = tuple(float(p) if p.strip() else None for p in parts)
    except ValueError:
        raise ValueError(f"a range is MIN:MAX of numbers (e.g. 0: or -1:0.5), got {text!r}") from None
    TargetRange(*pair)  # checks min < max
    return pair  # type: ignore[return-value]
