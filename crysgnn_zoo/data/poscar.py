"""POSCAR checks before ASE's reader: what is missing, said in the file's own terms.

ASE's reader, given a VASP 4 file (no line of element symbols), takes the elements from the
comment line (a guess), and on a truncated file fails with numpy's internal messages. Here
both are a :class:`~crysgnn_zoo.data.errors.StructureError` naming the line.
"""
from __future__ import annotations

from crysgnn_zoo.data.errors import StructureError


def _numbers(line: str, n: int) -> bool:
    parts = line.split()
    if len(parts) < n:
        return False
    try:
        [float(p) for p in parts[:n]]
    except ValueError:
        return False
    return True


def _counts(line: str) -> list[int] | None:
    try:
        return [int(p) for p in line.split()]
    except ValueError:
        return None


def check_poscar_text(text: str, where: str) -> None:
    """Raise a :class:`StructureError` naming the line for a POSCAR that lacks a part.

    Checked: the scale (line 2), three lattice vectors (lines 3-5), a line of element symbols
    (VASP 5; a VASP 4 file without one is refused, never guessed from the comment), the counts,
    the coordinate mode and one coordinate line per atom.
    """
    lines = text.splitlines()
    if len(lines) < 2 or not _numbers(lines[1], 1):
        raise StructureError(where, "malformed POSCAR: line 2 must hold the scale factor")
    for k in (2, 3, 4):
        if len(lines) <= k or not _numbers(lines[k], 3):
            raise StructureError(where, f"malformed POSCAR: line {k + 1} must hold a lattice vector (3 numbers); "
                                        "the file is truncated or the lattice is incomplete")
    if len(lines) <= 5 or _counts(lines[5]) is not None:
        raise StructureError(where, "POSCAR without element symbols (VASP 4 format: line 6 holds the atom counts); "
                                    "add a line with the element symbols above the counts")
    counts = _counts(lines[6]) if len(lines) > 6 else None
    symbols = lines[5].split()
    if not counts or len(counts) != len(symbols):
        raise StructureError(where, f"malformed POSCAR: line 7 must give one atom count for each of the "
                                    f"{len(symbols)} element symbols on line 6 ({' '.join(symbols)})")
    mode = 7 + (len(lines) > 7 and lines[7].strip()[:1].lower() == "s")
    if len(lines) <= mode or lines[mode].strip()[:1].lower() not in ("d", "c", "k"):
        raise StructureError(where, f"malformed POSCAR: line {mode + 1} must say Direct or Cartesian")
    coords = [line for line in lines[mode + 1 : mode + 1 + sum(counts)] if _numbers(line, 3)]
    if len(coords) < sum(counts):
        raise StructureError(where, f"truncated POSCAR: line 7 declares {sum(counts)} atoms but "
                                    f"{len(coords)} coordinate lines follow line {mode + 1}")
