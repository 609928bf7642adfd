"""Errors and the skip report for structure sources.

Every error names where the problem is (file, row or id) and what is wrong.
Whole-file problems (missing file, missing column) raise; a bad row inside a
large set is skipped and recorded in a :class:`SkipReport`, so nothing already
computed is lost.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from crysgnn_zoo.errors import CrysgnnZooError


class CrystalDataError(CrysgnnZooError, ValueError):
    """Base class: ``where`` names the file/row/id, ``reason`` what is wrong."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class StructureError(CrystalDataError):
    """A structure cannot be read or is unusable (malformed, empty, unknown element)."""


class UnknownElementError(StructureError):
    """A structure holds an element outside the supported table (Z = 1..103)."""


class DisorderError(StructureError):
    """A site is partially occupied or shared by several species (a disordered
    structure); a graph needs one element per site, so it is refused, never guessed."""


class OverlappingAtomsError(StructureError):
    """Two atoms (or an atom and a periodic image) are closer than
    :data:`crysgnn_zoo.data.checks.MIN_ATOM_DISTANCE`: duplicated or overlapping sites."""


class DegenerateCellError(StructureError):
    """The cell has (near) zero volume: a zero-length or coplanar lattice vector."""


class TargetError(CrystalDataError):
    """A target value is missing, not a number, or NaN."""


class MissingColumnError(CrystalDataError):
    """A table lacks a column the caller asked for."""


class SourceNotFoundError(CrystalDataError):
    """A dataset name, file or folder cannot be found."""


class DuplicateIdError(CrystalDataError):
    """Two rows of one source carry the same id (which row a result belongs to would be a guess)."""


class UnsafePathError(CrystalDataError):
    """A source names a file outside its own folder (an absolute path, ``..``, a link out)."""


class NoUsableDataError(CrystalDataError):
    """A source gave no crystal that can be used (empty, every entry skipped,
    or no value for the target), or too few to split; raised before any training."""


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
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["where", "kind", "reason"])
            for s in self.items:
                writer.writerow([s.where, s.kind, s.reason])

    def to_list(self) -> list[dict]:
        return [{"where": s.where, "reason": s.reason, "kind": s.kind} for s in self.items]

    @classmethod
    def from_list(cls, rows: list[dict]) -> "SkipReport":
        return cls([Skipped(**r) for r in rows])
