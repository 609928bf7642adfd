"""Geometry checks every structure passes before it becomes a graph.

Run on the structure actually built (lattice + fractional coordinates), so they
hold for every reader (CIF, POSCAR, JARVIS records, arrays) whatever the reader
did on the way (symmetry expansion, merging, wrapping).

Policies:
- **Degenerate cell**: a lattice vector shorter than :data:`MIN_LATTICE_LENGTH`
  or a cell volume below :data:`MIN_CELL_VOLUME` is a :class:`DegenerateCellError`
  that names the lengths, angles and volume.
- **Overlapping atoms**: two atoms, or an atom and a periodic image of any atom
  (itself included), closer than :data:`MIN_ATOM_DISTANCE` are an
  :class:`OverlappingAtomsError` naming both atoms and their distance. No real
  crystal has atoms that close (the shortest bond, H-H in H2, is 0.74 Angstrom);
  such sites are duplicated, or a disordered site written as two atoms.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from crysgnn_zoo.data.errors import DegenerateCellError, OverlappingAtomsError

MIN_ATOM_DISTANCE = 0.5  # Angstrom
MIN_LATTICE_LENGTH = 1e-3  # Angstrom
MIN_CELL_VOLUME = 1e-3  # Angstrom^3
_CHUNK = 1 << 20  # atom-image pairs held at once by the overlap search (~25 MB of float64)


def cell_parameters(lattice: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Lengths a, b, c (Angstrom), angles alpha, beta, gamma (degrees) and volume (Angstrom^3)."""
    lengths = np.linalg.norm(lattice, axis=1)
    angles = []
    for i, j in ((1, 2), (0, 2), (0, 1)):
        denom = lengths[i] * lengths[j]
        cos = float(lattice[i] @ lattice[j] / denom) if denom > 0 else 1.0
        angles.append(math.degrees(math.acos(max(-1.0, min(1.0, cos)))))
    return lengths, np.asarray(angles), abs(float(np.linalg.det(lattice)))


def describe_cell(lengths: Sequence[float], angles: Sequence[float], volume: float) -> str:
    """``a = 4 Angstrom, ..., gamma = 90 deg, volume 64 Angstrom^3``."""
    parts = [f"{n} = {v:.4g} Angstrom" for n, v in zip("abc", lengths)]
    parts += [f"{n} = {v:.4g} deg" for n, v in zip(("alpha", "beta", "gamma"), angles)]
    return ", ".join(parts) + f"; volume {volume:.3g} Angstrom^3"


def check_cell(lengths: Sequence[float], angles: Sequence[float], volume: float, where: str) -> None:
    """Raise :class:`DegenerateCellError` saying which edge is zero or that the edges are coplanar."""
    short = [n for n, v in zip("abc", lengths) if not v >= MIN_LATTICE_LENGTH]
    if not (np.isfinite(lengths).all() and np.isfinite(angles).all() and np.isfinite(volume)):
        what = "cell parameters are not finite numbers"
    elif short:
        what = f"lattice vector(s) {', '.join(short)} have zero length"
    elif not volume >= MIN_CELL_VOLUME:
        what = "the three lattice vectors are coplanar"
    else:
        return
    raise DegenerateCellError(where, f"degenerate cell: {what} ({describe_cell(lengths, angles, volume)})")


def check_lattice(lattice: np.ndarray, where: str) -> None:
    """:func:`check_cell` on a (3, 3) lattice, rows as vectors in Angstrom."""
    check_cell(*cell_parameters(np.asarray(lattice, dtype=np.float64)), where)


def _image_grid(lattice: np.ndarray, radius: float) -> np.ndarray:
    """Integer lattice translations that can bring an atom within ``radius`` of another
    (fractional coordinates wrapped into [0, 1), so differences lie in (-1, 1))."""
    volume = abs(float(np.linalg.det(lattice)))
    reps = []
    for k in range(3):
        height = volume / np.linalg.norm(np.cross(lattice[(k + 1) % 3], lattice[(k + 2) % 3]))
        reps.append(1 + int(radius / height))
    axes = [np.arange(-r, r + 1) for r in reps]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)


def closest_pair(lattice: np.ndarray, frac_coords: np.ndarray, radius: float) -> tuple[int, int, float] | None:
    """The closest (i, j, distance) with ``i <= j`` under periodic images, if any is
    closer than ``radius`` Angstrom (``i == j``: an atom and its own image); else ``None``."""
    lattice = np.asarray(lattice, dtype=np.float64)
    frac = np.asarray(frac_coords, dtype=np.float64)
    cart = (frac - np.floor(frac)) @ lattice
    grid = _image_grid(lattice, radius)
    shifts = grid @ lattice
    home = int(np.flatnonzero(np.all(grid == 0, axis=1))[0])
    n = len(cart)
    if n > TREE_ABOVE:
        return _closest_pair_tree(cart, shifts, home, radius)
    rows_per_chunk = max(1, _CHUNK // (n * len(shifts)))
    best: tuple[int, int, float] | None = None
    for start in range(0, n, rows_per_chunk):
        centres = np.arange(start, min(n, start + rows_per_chunk))
        diff = cart[None, :, None, :] + shifts[None, None, :, :] - cart[centres, None, None, :]
        d2 = np.einsum("cnmk,cnmk->cnm", diff, diff)  # (C, N, M) squared distances
        d2[np.arange(len(centres)), centres, home] = np.inf  # an atom with itself
        c, j, m = np.unravel_index(np.argmin(d2), d2.shape)
        dist = math.sqrt(float(d2[c, j, m]))
        if dist < radius and (best is None or dist < best[2]):
            i = int(centres[c])
            best = (min(i, int(j)), max(i, int(j)), dist)
    return best


#: Above this many atoms :func:`closest_pair` searches a k-d tree of the atoms' images (time
#: ~N log N) instead of comparing every pair (time ~N^2: 22 minutes for 30,000 atoms).
TREE_ABOVE = 256


def _closest_pair_tree(cart: np.ndarray, shifts: np.ndarray, home: int, radius: float) -> tuple[int, int, float] | None:
    """:func:`closest_pair` through a k-d tree of every atom in every image of ``shifts``."""
    from scipy.spatial import cKDTree

    n = len(cart)
    points = (shifts[:, None, :] + cart[None, :, :]).reshape(-1, 3)  # index m * n + j: atom j in image m
    dist, idx = cKDTree(points).query(cart, k=2, distance_upper_bound=radius)
    own = home * n + np.arange(n)
    dist = np.where(idx == own[:, None], np.inf, dist)  # an atom with itself
    i, col = np.unravel_index(np.argmin(dist), dist.shape)
    if not np.isfinite(dist[i, col]):
        return None
    j = int(idx[i, col]) % n
    return min(int(i), j), max(int(i), j), float(dist[i, col])


def check_overlaps(lattice: np.ndarray, frac_coords: np.ndarray, symbols: list[str], where: str,
                   min_distance: float = MIN_ATOM_DISTANCE) -> None:
    """Raise :class:`OverlappingAtomsError` if any two atoms (or images) are closer than ``min_distance``."""
    pair = closest_pair(lattice, frac_coords, min_distance)
    if pair is None:
        return
    i, j, dist = pair
    if i == j:
        what = f"atom {i} ({symbols[i]}) is {dist:.2f} Angstrom from its own periodic image"
    else:
        what = f"atoms {i} ({symbols[i]}) and {j} ({symbols[j]}) are {dist:.2f} Angstrom apart"
    raise OverlappingAtomsError(
        where, f"{what}, closer than {min_distance} Angstrom: overlapping or duplicated sites "
               "(a disordered site written as two atoms?)"
    )
