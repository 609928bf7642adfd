"""Errors and the skip report for structure sources.

Every error names where the problem is (file, row or id) and what is wrong.
Whole-file problems (missing file, missing column) raise; a bad row inside a
large set is skipped and recorded in a :class:`SkipReport`, so nothing already
computed is lost.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crysgnn_zoo.data.tables import write_rows
from crysgnn_zoo.errors import (  # noqa: F401 - the data errors, importable from here too
    CrystalDataError,
    StructureError,
    UnknownElementError,
    DisorderError,
    OverlappingAtomsError,
    DegenerateCellError,
    TargetError,
    MissingColumnError,
    SourceNotFoundError,
    DuplicateIdError,
    UnsafePathError,
    NoUsableDataError,
)


@dataclass(frozen=True)
class Skipped:
    """One entry left out of a set, with why."""

    where: str
    reason: str
    kind: str = "structure"


@dataclass
class SkipReport:
    """Entries skipped while reading or building a set."""

    items: list[Skipped] = field(default_factory=list)

    def add(self, error: CrystalDataError, kind: str | None = None) -> None:
        if kind is None:
            kind = "target" if isinstance(error, TargetError) else "structure"
        self.items.append(Skipped(error.where, error.reason, kind))

    def extend(self, other: "SkipReport") -> None:
        self.items.extend(other.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def summary(self, limit: int = 5) -> str:
        if not self.items:
            return "nothing skipped"
        lines = [f"{len(self.items)} skipped:"]
        lines += [f"  {s.where}: {s.reason}" for s in self.items[:limit]]
        if len(self.items) > limit:
            lines.append(f"  ... and {len(self.items) - limit} more")
        return "\n".join(lines)

    def to_csv(self, path: str | Path) -> None:
        """``where, kind, reason`` per skipped entry (cells a spreadsheet never runs; written whole)."""
        write_rows(path, ["where", "kind", "reason"], ([s.where, s.kind, s.reason] for s in self.items))

    def to_list(self) -> list[dict]:
        return [{"where": s.where, "reason": s.reason, "kind": s.kind} for s in self.items]

    @classmethod
    def from_list(cls, rows: list[dict]) -> "SkipReport":
        return cls([Skipped(**r) for r in rows])
