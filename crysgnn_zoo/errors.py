"""The package's error hierarchy, in one place: every error a user can cause or fix derives
from :class:`CrysgnnZooError`, so the command line prints each as one line (``-v`` for the
traceback) and callers can catch them all at once (``from crysgnn_zoo.errors import ...``, or
``crysgnn_zoo.DisorderError``).

Each subclass also derives from the built-in type it refines (``ValueError``,
``FileNotFoundError``, ``RuntimeError``), so ``except ValueError`` keeps working. The modules
that raise them (``data.errors``, ``hub.checkpoint``, ``hub.resolve``, ``download``) import
them from here, and their old import paths keep working.
"""
from __future__ import annotations


class CrysgnnZooError(Exception):
    """Root of every named error of crysgnn-zoo."""


class ConfigError(CrysgnnZooError, ValueError):
    """A configuration value is out of range or not one of the allowed choices."""


class RunLockedError(CrysgnnZooError, RuntimeError):
    """An output folder is in use by another running process."""


class RunExistsError(CrysgnnZooError, FileExistsError):
    """An output path already holds something the user has (a finished run, an input file)."""


class UnknownNameError(CrysgnnZooError, KeyError):
    """A registry or table has no entry of that name; the message lists the choices."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class MissingExtraError(CrysgnnZooError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


# ----------------------------------------------------------------------------- data


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


class IsolatedAtomsError(StructureError):
    """An atom has no neighbour within the cutoff and ``GraphConfig(isolated="error")`` says to fail
    (``where`` is ``<structure>`` when raised by the neighbour search; the graph builder names the entry)."""


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


# ----------------------------------------------------------------------------- weights and downloads


class BoundCollapsedError(CrysgnnZooError, RuntimeError):
    """An output bound chosen by ``TrainConfig.output_bound="auto"`` (softplus) collapsed early in
    training: every validation prediction sits in its flat corner, where gradients vanish.
    ``reason`` says what was seen; the message adds what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"{reason}; train with output_bound='clip'")
        self.reason = reason


class CheckpointError(CrysgnnZooError, ValueError):
    """A checkpoint folder is incomplete, unreadable, or was written by an incompatible version."""


class WeightsVerificationError(CrysgnnZooError, ValueError):
    """``weights.pt`` cannot be verified (no card, no hash) or does not match its recorded SHA-256."""


class WeightsNotFoundError(CrysgnnZooError, FileNotFoundError):
    """No copy of the weights could be found or fetched; the message says how to get one."""


class DownloadError(CrysgnnZooError, RuntimeError):
    """A download failed or its SHA-256 did not match."""


class ChecksumMismatchError(DownloadError):
    """The downloaded bytes do not have the expected SHA-256 (they were discarded)."""


class StorageError(CrysgnnZooError, OSError):
    """A file or folder the package must write cannot be written: full disk, read-only place, a file
    where a folder belongs. The message names the path and what to do."""
