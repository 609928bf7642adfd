"""Frozen, validated configuration dataclasses with a JSON round-trip.

Each dataclass rejects unknown keys on ``from_dict`` (a typo fails loudly) and
checks its values in ``__post_init__``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Literal, TypeVar

T = TypeVar("T", bound="JsonConfig")


class JsonConfig:
    """Mixin: ``to_dict``/``from_dict``/``to_json`` and a stable content hash."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(
                f"unknown {cls.__name__} field(s) {unknown}; valid fields: {sorted(names)}"
            )
        return cls(**data)

    def replace(self: T, **changes: Any) -> T:
        names = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(
                f"unknown {type(self).__name__} field(s) {unknown}; valid fields: {sorted(names)}"
            )
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def fingerprint(self) -> str:
        """Short SHA-256 of the JSON form: equal configs give equal keys."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class GraphConfig(JsonConfig):
    """How a crystal becomes a graph (CGCNN defaults).

    Attributes:
        cutoff: neighbour search radius in Angstrom.
        max_neighbors: keep at most this many nearest neighbours per atom
            (``None`` keeps every neighbour within the cutoff).
        isolated: what to do with an atom that has no neighbour within the
            cutoff. ``"nearest"`` connects it to its nearest atoms, found by
            doubling the radius until at least one appears (at most
            ``max_isolated_radius``) and keeping up to ``max_neighbors`` of
            those; ``"error"`` raises :class:`~crysgnn_zoo.data.errors.IsolatedAtomError`.
        max_isolated_radius: largest radius (Angstrom) tried for ``"nearest"``.
    """

    cutoff: float = 8.0
    max_neighbors: int | None = 12
    isolated: Literal["nearest", "error"] = "nearest"
    max_isolated_radius: float = 32.0

    def __post_init__(self) -> None:
        if not self.cutoff > 0:
            raise ValueError(f"cutoff must be > 0 Angstrom, got {self.cutoff}")
        if self.max_neighbors is not None and self.max_neighbors < 1:
            raise ValueError(f"max_neighbors must be >= 1 or None, got {self.max_neighbors}")
        if self.isolated not in ("nearest", "error"):
            raise ValueError(f"isolated must be 'nearest' or 'error', got {self.isolated!r}")
        if self.max_isolated_radius < self.cutoff:
            raise ValueError("max_isolated_radius must be >= cutoff")
