"""Atoms -> neighbour lists -> cached graph stores -> batched DGL graphs."""
from __future__ import annotations

from crysgnn_zoo._lazy import lazy_exports

_EXPORTS = {
    "BuildResult": "build",
    "build_store": "build",
    "collate": "collate",
    "AtomFeaturizer": "features",
    "default_featurizer": "features",
    "NeighborList": "neighbors",
    "find_neighbors": "neighbors",
    "GraphStore": "store",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "AtomFeaturizer",
    "BuildResult",
    "GraphStore",
    "NeighborList",
    "build_store",
    "collate",
    "default_featurizer",
    "find_neighbors",
]
