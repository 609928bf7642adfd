"""A set of crystal graphs held as a few concatenated arrays (CSR style).

Only what is expensive to recompute is stored: atomic numbers, wrapped
positions, lattices, and the neighbour edges (indices, distances, image
offsets). Atom features and Gaussian distance expansions are computed inside
the models from these, so a whole dataset costs a few dozen bytes per edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from crysgnn_zoo.errors import UnknownNameError
from crysgnn_zoo.graphs.neighbors import NeighborList


@dataclass
class GraphStore:
    """Graphs of many crystals.

    Attributes:
        ids: (G,) crystal ids (str).
        n_atoms, n_edges: (G,) int64 sizes.
        atomic_numbers: (sum N,) uint8.
        positions: (sum N, 3) float32 Cartesian, Angstrom, wrapped into the cell.
        lattices: (G, 3, 3) float32 lattice vectors as rows, Angstrom.
        src, dst: (sum E,) int32 atom indices local to their crystal
            (``src`` is the neighbour, ``dst`` the centre).
        distances: (sum E,) float32, Angstrom.
        images: (sum E, 3) int8 lattice translation of the neighbour.
        targets: name -> (G,) float64 (NaN where a crystal lacks it).
    """

    ids: np.ndarray
    n_atoms: np.ndarray
    n_edges: np.ndarray
    atomic_numbers: np.ndarray
    positions: np.ndarray
    lattices: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    distances: np.ndarray
    images: np.ndarray
    targets: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.node_ptr = np.concatenate([[0], np.cumsum(self.n_atoms)]).astype(np.int64)
        self.edge_ptr = np.concatenate([[0], np.cumsum(self.n_edges)]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        arrays = [getattr(self, k) for k in _ARRAYS] + list(self.targets.values())
        arrays += [self.node_ptr, self.edge_ptr]
        return int(sum(a.nbytes for a in arrays))

    def elements(self, index: np.ndarray | None = None) -> list[int]:
        """Sorted atomic numbers present in the crystals ``index`` (default all)."""
        if index is None:
            return sorted(int(z) for z in np.unique(self.atomic_numbers))
        parts = [self.atomic_numbers[self.node_ptr[k]:self.node_ptr[k + 1]] for k in np.asarray(index)]
        return sorted(int(z) for z in np.unique(np.concatenate(parts))) if parts else []

    def target(self, name: str) -> np.ndarray:
        if name not in self.targets:
            raise UnknownNameError(f"target {name!r} not in this set; available: {sorted(self.targets)}")
        return self.targets[name]

    # ------------------------------------------------------------------ build/combine
    @classmethod
    def from_graphs(
        cls,
        ids: list[str],
        atomic_numbers: list[np.ndarray],
        lattices: list[np.ndarray],
        neighbors: list[NeighborList],
        targets: dict[str, list[float]] | None = None,
    ) -> "GraphStore":
        if not ids:
            return cls.empty(list((targets or {}).keys()))
        return cls(
            ids=np.asarray(ids, dtype=str),
            n_atoms=np.asarray([len(z) for z in atomic_numbers], dtype=np.int64),
            n_edges=np.asarray([len(nl.src) for nl in neighbors], dtype=np.int64),
            atomic_numbers=np.concatenate(atomic_numbers).astype(np.uint8),
            positions=np.concatenate([nl.positions for nl in neighbors]).astype(np.float32),
            lattices=np.stack(lattices).astype(np.float32),
            src=np.concatenate([nl.src for nl in neighbors]).astype(np.int32),
            dst=np.concatenate([nl.dst for nl in neighbors]).astype(np.int32),
            distances=np.concatenate([nl.distance for nl in neighbors]).astype(np.float32),
            images=np.concatenate([nl.image for nl in neighbors]).astype(np.int8),
            targets={k: np.asarray(v, dtype=np.float64) for k, v in (targets or {}).items()},
        )

    @classmethod
    def empty(cls, target_names: list[str] = ()) -> "GraphStore":
        return cls(
            ids=np.zeros(0, dtype=str),
            n_atoms=np.zeros(0, np.int64),
            n_edges=np.zeros(0, np.int64),
            atomic_numbers=np.zeros(0, np.uint8),
            positions=np.zeros((0, 3), np.float32),
            lattices=np.zeros((0, 3, 3), np.float32),
            src=np.zeros(0, np.int32),
            dst=np.zeros(0, np.int32),
            distances=np.zeros(0, np.float32),
            images=np.zeros((0, 3), np.int8),
            targets={k: np.zeros(0) for k in target_names},
        )

    @classmethod
    def concat(cls, stores: list["GraphStore"]) -> "GraphStore":
        stores = [s for s in stores if len(s)] or stores[:1]
        if not stores:
            return cls.empty()
        names = sorted(set().union(*[s.targets for s in stores]))
        targets = {
            k: np.concatenate([s.targets.get(k, np.full(len(s), np.nan)) for s in stores])
            for k in names
        }
        kw = {k: np.concatenate([getattr(s, k) for s in stores]) for k in _ARRAYS}
        return cls(**kw, targets=targets)

    def subset(self, index: np.ndarray | list[int]) -> "GraphStore":
        """A new store with the crystals at ``index`` (in that order)."""
        index = np.asarray(index, dtype=np.int64)
        nodes = _ranges(self.node_ptr[index], self.n_atoms[index])
        edges = _ranges(self.edge_ptr[index], self.n_edges[index])
        return GraphStore(
            ids=self.ids[index],
            n_atoms=self.n_atoms[index],
            n_edges=self.n_edges[index],
            atomic_numbers=self.atomic_numbers[nodes],
            positions=self.positions[nodes],
            lattices=self.lattices[index],
            src=self.src[edges],
            dst=self.dst[edges],
            distances=self.distances[edges],
            images=self.images[edges],
            targets={k: v[index] for k, v in self.targets.items()},
        )

    # ------------------------------------------------------------------ disk
    def save(self, path: str | Path) -> None:
        """Write one ``.npz`` file (uncompressed: loading is a memcpy)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp.npz")
        arrays = {k: getattr(self, k) for k in _ARRAYS}
        arrays.update({f"target:{k}": v for k, v in self.targets.items()})
        np.savez(tmp, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> "GraphStore":
        with np.load(path, allow_pickle=False) as data:
            kw = {k: data[k] for k in _ARRAYS}
            targets = {k.split(":", 1)[1]: data[k] for k in data.files if k.startswith("target:")}
        return cls(**kw, targets=targets)


_ARRAYS = (
    "ids",
    "n_atoms",
    "n_edges",
    "atomic_numbers",
    "positions",
    "lattices",
    "src",
    "dst",
    "distances",
    "images",
)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each (s, l), without a Python loop."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)
