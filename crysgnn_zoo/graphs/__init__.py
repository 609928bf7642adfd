"""Atoms -> neighbour lists -> cached graph stores -> batched DGL graphs."""
from crysgnn_zoo.graphs.build import BuildResult, build_store
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.features import AtomFeaturizer, default_featurizer
from crysgnn_zoo.graphs.neighbors import NeighborList, find_neighbors
from crysgnn_zoo.graphs.store import GraphStore

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
