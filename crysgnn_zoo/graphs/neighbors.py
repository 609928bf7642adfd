"""Periodic neighbour search, vectorised with NumPy.

For a cell with lattice rows ``a1, a2, a3`` and fractional coordinates wrapped
into [0, 1), every neighbour of atom ``i`` within ``cutoff`` lies in an image
cell ``S`` with ``|S_k| <= ceil(cutoff / h_k)``, where ``h_k`` is the distance
between the lattice planes spanned by the other two vectors. We enumerate
those images once, drop the ones farther than ``cutoff`` plus the cell's
diagonal, and compute all squared distances in one matrix product
(``|b + t|^2 = |b|^2 + 2 b.t + |t|^2``), then keep the nearest
``max_neighbors`` per atom. No Python loop runs over atoms or images.

Edge convention: an edge ``src -> dst`` means atom ``src`` (in image cell
``image``) is a neighbour of centre atom ``dst``; its Cartesian bond vector is
``pos[src] + image @ lattice - pos[dst]``. Messages flow from neighbours to
centres, so every centre has in-degree <= ``max_neighbors``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from crysgnn_zoo.errors import DegenerateCellError, IsolatedAtomsError, OverlappingAtomsError

_EPS = 1e-8  # Angstrom^2: a squared distance below this is an atom with itself


@dataclass
class NeighborList:
    """Directed neighbour edges of one crystal.

    Attributes:
        src: (E,) int32, index of the neighbour atom.
        dst: (E,) int32, index of the centre atom.
        distance: (E,) float64, Angstrom.
        image: (E, 3) int8, lattice translation of the neighbour's image.
        positions: (N, 3) float64 Cartesian positions after wrapping into the cell.
        n_isolated: atoms that had no neighbour within the cutoff (and were
            connected at a larger radius).
    """

    src: np.ndarray
    dst: np.ndarray
    distance: np.ndarray
    image: np.ndarray
    positions: np.ndarray
    n_isolated: int = 0


def bond_vectors(nl: "NeighborList", lattice: np.ndarray) -> np.ndarray:
    """(E, 3) Cartesian vectors from centre to neighbour image, Angstrom."""
    return nl.positions[nl.src] + nl.image @ np.asarray(lattice, dtype=np.float64) - nl.positions[nl.dst]


def same_neighbors(nl: "NeighborList", lattice: np.ndarray, centers: np.ndarray, neighbors: np.ndarray,
                   vectors: np.ndarray, atol: float = 1e-6) -> bool:
    """Whether ``nl`` holds exactly the (centre, neighbour, bond vector) triples given.

    Bond vectors, unlike image labels, do not depend on how each code wraps
    atoms that sit on a cell face, so this compares neighbour lists of
    different codes. Within one (centre, neighbour) pair, distinct images are
    at least a lattice vector apart, so vectors are matched one-to-one by
    nearest distance and must agree within ``atol`` Angstrom.
    """
    centers, neighbors = np.asarray(centers), np.asarray(neighbors)
    vectors = np.asarray(vectors, dtype=np.float64)
    ours = bond_vectors(nl, lattice)
    if len(ours) != len(vectors):
        return False
    key_ours = nl.dst.astype(np.int64) * (1 << 32) + nl.src
    key_theirs = centers.astype(np.int64) * (1 << 32) + neighbors
    order_o, order_t = np.argsort(key_ours, kind="stable"), np.argsort(key_theirs, kind="stable")
    if not np.array_equal(key_ours[order_o], key_theirs[order_t]):
        return False
    bounds = np.flatnonzero(np.diff(key_ours[order_o])) + 1
    for group_o, group_t in zip(np.split(order_o, bounds), np.split(order_t, bounds)):
        diff = np.linalg.norm(ours[group_o][:, None, :] - vectors[group_t][None, :, :], axis=-1)
        nearest = diff.argmin(axis=1)
        if len(set(nearest.tolist())) != len(group_o) or diff[np.arange(len(group_o)), nearest].max() > atol:
            return False
    return True


def wrap_fractional(frac: np.ndarray) -> np.ndarray:
    """Fractional coordinates mapped into [0, 1) (robust to -1e-17 style noise)."""
    wrapped = frac - np.floor(frac)
    wrapped[wrapped >= 1.0] -= 1.0
    return wrapped


def _image_shifts(lattice: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer image offsets (M, 3) and their Cartesian shifts (M, 3) that may
    hold a neighbour within ``cutoff`` of an atom in the home cell."""
    volume = abs(float(np.linalg.det(lattice)))
    if volume < 1e-6:
        raise DegenerateCellError("<structure>", "lattice is singular (cell volume ~ 0)")
    heights = [
        volume / np.linalg.norm(np.cross(lattice[(k + 1) % 3], lattice[(k + 2) % 3]))
        for k in range(3)
    ]
    reps = [int(math.ceil(cutoff / h)) for h in heights]
    axes = [np.arange(-r, r + 1) for r in reps]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    shifts = grid @ lattice
    # |b + t| >= |t| - |b| and |b| < |a1| + |a2| + |a3| for wrapped coordinates
    reach = cutoff + float(np.linalg.norm(lattice, axis=1).sum())
    keep = np.einsum("ij,ij->i", shifts, shifts) <= reach * reach
    return grid[keep], shifts[keep]


def find_neighbors(
    lattice: np.ndarray,
    frac_coords: np.ndarray,
    cutoff: float = 8.0,
    max_neighbors: int | None = 12,
    isolated: str = "nearest",
    max_isolated_radius: float = 32.0,
) -> NeighborList:
    """All periodic neighbours within ``cutoff`` (Angstrom), nearest first,
    capped at ``max_neighbors`` per centre atom.

    Args:
        lattice: (3, 3) lattice vectors as rows, Angstrom.
        frac_coords: (N, 3) fractional coordinates (any range; wrapped here).
        cutoff: search radius, Angstrom.
        max_neighbors: cap per centre atom; ``None`` keeps all within cutoff.
        isolated: ``"nearest"`` or ``"error"`` for atoms with no neighbour
            within the cutoff (see :class:`~crysgnn_zoo.config.GraphConfig`).
        max_isolated_radius: largest radius tried for isolated atoms, Angstrom.

    Returns:
        The :class:`NeighborList`; edges are grouped by centre atom in
        ascending order and sorted by distance within each centre.

    Raises:
        IsolatedAtomsError: with ``isolated="error"`` when an atom has no
            neighbour within the cutoff, or with ``"nearest"`` when none is found
            even at ``max_isolated_radius``.
    """
    lattice = np.asarray(lattice, dtype=np.float64).reshape(3, 3)
    frac = wrap_fractional(np.asarray(frac_coords, dtype=np.float64).reshape(-1, 3))
    cart = frac @ lattice
    n_atoms = len(cart)

    centers, nbrs, images, d2 = _neighbors_within(cart, lattice, cutoff, max_neighbors)

    lonely = np.setdiff1d(np.arange(n_atoms), centers)
    if len(lonely):
        if isolated == "error":
            raise IsolatedAtomsError(
                "<structure>",
                f"{len(lonely)} atom(s) (indices {lonely[:5].tolist()}) have no neighbour "
                f"within {cutoff} Angstrom"
            )
        extra = _nearest_for_isolated(cart, lattice, lonely, cutoff, max_neighbors, max_isolated_radius)
        parts = [(centers, nbrs, images, d2), *extra]
        centers, nbrs, images, d2 = (np.concatenate([p[k] for p in parts]) for k in range(4))
        order = np.lexsort((d2, centers))
        centers, nbrs, images, d2 = centers[order], nbrs[order], images[order], d2[order]

    return NeighborList(
        src=nbrs.astype(np.int32),
        dst=centers.astype(np.int32),
        distance=np.sqrt(d2),
        image=images.astype(np.int8),
        positions=cart,
        n_isolated=int(len(lonely)),
    )


def _nearest_for_isolated(cart: np.ndarray, lattice: np.ndarray, lonely: np.ndarray, cutoff: float,
                          max_neighbors: int | None, max_isolated_radius: float) -> list[tuple]:
    """Neighbour lists of the ``lonely`` atoms: the radius doubles from ``cutoff`` until each
    has at least one neighbour, up to ``max_isolated_radius`` (Angstrom)."""
    extra, radius, todo = [], cutoff, lonely
    while len(todo):
        if radius >= max_isolated_radius:
            raise IsolatedAtomsError(
                "<structure>",
                f"atom(s) {todo[:5].tolist()} have no neighbour within {max_isolated_radius} Angstrom"
            )
        radius = min(2.0 * radius, max_isolated_radius)
        found = _neighbors_within(cart, lattice, radius, max_neighbors, centers=todo)
        extra.append(found)
        todo = np.setdiff1d(todo, found[0])
    return extra


#: Largest centre x atom x image array the dense search builds (float64 entries; ~200 MB each).
#: Larger cells go through the k-d tree search, whose memory grows linearly with the atoms.
DENSE_LIMIT = 25_000_000


def _neighbors_within(
    cart: np.ndarray,
    lattice: np.ndarray,
    cutoff: float,
    max_neighbors: int | None,
    centers: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(centre, neighbour, image offset (E, 3), squared distance) for the atoms
    in ``centers`` (default all), sorted by centre then distance: the dense search for cells
    up to :data:`DENSE_LIMIT` entries, else the k-d tree search (same neighbours)."""
    grid, shifts = _image_shifts(lattice, cutoff)
    center_idx = np.arange(len(cart)) if centers is None else np.asarray(centers)
    if len(center_idx) * len(cart) * len(shifts) > DENSE_LIMIT:
        return _neighbors_tree(cart, grid, shifts, cutoff, max_neighbors, center_idx)
    return _neighbors_dense(cart, grid, shifts, cutoff, max_neighbors, center_idx)


def _neighbors_tree(cart: np.ndarray, grid: np.ndarray, shifts: np.ndarray, cutoff: float,
                    max_neighbors: int | None, center_idx: np.ndarray, chunk: int = 2048) -> tuple:
    """:func:`_neighbors_within` with a k-d tree over every atom in every image cell that can
    hold a neighbour (N x M points): memory linear in the atoms, time ~N log N. Centres go in
    chunks of ``chunk``; ties at the ``max_neighbors``-th distance are broken by the tree."""
    from scipy.spatial import cKDTree

    n_m = len(shifts)
    points = (cart[:, None, :] + shifts[None, :, :]).reshape(-1, 3)  # point j * M + m: atom j in image m
    tree = cKDTree(points)
    parts = [_tree_chunk(tree, cart, shifts, cart[center_idx[k:k + chunk]], cutoff, max_neighbors)
             for k in range(0, len(center_idx), chunk)]
    rows = np.concatenate([p[0] + k for p, k in zip(parts, range(0, len(center_idx), chunk))])
    cols = np.concatenate([p[1] for p in parts])
    d2 = np.concatenate([p[2] for p in parts])
    return center_idx[rows], cols // n_m, grid[cols % n_m], d2


def _tree_chunk(tree, cart: np.ndarray, shifts: np.ndarray, centres: np.ndarray, cutoff: float,
                max_neighbors: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, point, squared distance) of the neighbours of ``centres``, sorted by row, distance, point;
    squared distances computed as the dense search computes them (``|b|^2 + 2 b.t + |t|^2``)."""
    if max_neighbors is None:
        found = tree.query_ball_point(centres, r=cutoff)
        counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
        cols = np.concatenate([np.asarray(f, dtype=np.int64) for f in found]) if counts.sum() else np.zeros(0, int)
        rows = np.repeat(np.arange(len(centres)), counts)
    else:
        _, idx = tree.query(centres, k=max_neighbors + 2, distance_upper_bound=cutoff)
        rows, slot = np.nonzero(idx < tree.n)
        cols = idx[rows, slot].astype(np.int64)
    base = cart[cols // len(shifts)] - centres[rows]
    t = shifts[cols % len(shifts)]
    d2 = np.maximum(np.einsum("ek,ek->e", base, base) + 2.0 * np.einsum("ek,ek->e", base, t)
                    + np.einsum("ek,ek->e", t, t), 0.0)
    same = d2 < _EPS
    if not np.array_equal(np.bincount(rows[same], minlength=len(centres)), np.ones(len(centres), dtype=np.int64)):
        raise OverlappingAtomsError("<structure>", "two atoms overlap (distance < 1e-4 Angstrom)")
    keep = ~same & (d2 <= cutoff * cutoff)
    rows, cols, d2 = rows[keep], cols[keep], d2[keep]
    order = np.lexsort((cols, d2, rows))
    rows, cols, d2 = rows[order], cols[order], d2[order]
    if max_neighbors is not None:
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
        rows, cols, d2 = rows[rank < max_neighbors], cols[rank < max_neighbors], d2[rank < max_neighbors]
    return rows, cols, d2


def _neighbors_dense(cart: np.ndarray, grid: np.ndarray, shifts: np.ndarray, cutoff: float,
                     max_neighbors: int | None, center_idx: np.ndarray) -> tuple:
    """:func:`_neighbors_within` as one centre x atom x image distance array (memory ~C x N x M)."""
    n_c, n_a, n_m = len(center_idx), len(cart), len(shifts)
    base = cart[None, :, :] - cart[center_idx, None, :]  # (C, N, 3): pos_j - pos_i
    b2 = np.einsum("cnk,cnk->cn", base, base)  # (C, N)
    t2 = np.einsum("mk,mk->m", shifts, shifts)  # (M,)
    bt = base.reshape(-1, 3) @ shifts.T  # (C*N, M)
    d2 = (b2.reshape(-1, 1) + 2.0 * bt + t2[None, :]).reshape(n_c, n_a * n_m)
    np.maximum(d2, 0.0, out=d2)
    cut2 = cutoff * cutoff
    d2[d2 > cut2] = np.inf
    same = d2 < _EPS
    if int(same.sum()) != n_c:  # exactly one zero per centre: itself, home cell
        raise OverlappingAtomsError("<structure>", "two atoms overlap (distance < 1e-4 Angstrom)")
    d2[same] = np.inf
    width = n_a * n_m
    if max_neighbors is not None and max_neighbors < width:
        part = np.argpartition(d2, max_neighbors - 1, axis=1)[:, :max_neighbors]
        vals = np.take_along_axis(d2, part, axis=1)
    else:
        part = np.broadcast_to(np.arange(width), (n_c, width))
        vals = d2
    order = np.argsort(vals, axis=1, kind="stable")
    part = np.take_along_axis(part, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    rows, cols = np.nonzero(np.isfinite(vals))
    flat = part[rows, cols]
    return center_idx[rows], flat // n_m, grid[flat % n_m], vals[rows, cols]
