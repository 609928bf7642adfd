"""Batched DGL graphs straight from a :class:`GraphStore`.

One call builds a single DGL graph for a whole mini-batch from the
concatenated arrays (no per-crystal DGL objects, no ``dgl.batch``), and sets
the batch sizes so readouts (``dgl.mean_nodes``) work per crystal.

Node data: ``atomic_number`` (int64) and ``store_index`` (int64, the atom's
row in the store, for per-atom lookups such as cached teacher embeddings). Edge data: ``distance`` (float32,
Angstrom) and, with ``with_vectors=True``, ``vector`` (float32, neighbour minus
centre, Angstrom) for models that use bond directions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from crysgnn_zoo._dgl import dgl
from crysgnn_zoo.graphs.store import GraphStore, _ranges

if TYPE_CHECKING:
    from dgl import DGLGraph


def collate(store: GraphStore, index: np.ndarray | list[int], with_vectors: bool = False) -> DGLGraph:
    """Batched DGL graph of the crystals at ``index`` (in that order)."""
    index = np.asarray(index, dtype=np.int64)
    n_atoms = store.n_atoms[index]
    n_edges = store.n_edges[index]
    nodes = _ranges(store.node_ptr[index], n_atoms)
    edges = _ranges(store.edge_ptr[index], n_edges)
    shift = np.repeat(np.cumsum(n_atoms) - n_atoms, n_edges)
    src = store.src[edges].astype(np.int64) + shift
    dst = store.dst[edges].astype(np.int64) + shift
    g = dgl.graph((torch.from_numpy(src), torch.from_numpy(dst)), num_nodes=int(n_atoms.sum()))
    g.set_batch_num_nodes(torch.from_numpy(n_atoms))
    g.set_batch_num_edges(torch.from_numpy(n_edges))
    g.ndata["atomic_number"] = torch.from_numpy(store.atomic_numbers[nodes].astype(np.int64))
    g.ndata["store_index"] = torch.from_numpy(nodes)
    g.edata["distance"] = torch.from_numpy(store.distances[edges])
    if with_vectors:
        pos = store.positions[nodes]
        lattice = np.repeat(store.lattices[index], n_edges, axis=0)  # (E, 3, 3)
        offset = np.einsum("ek,ekj->ej", store.images[edges].astype(np.float32), lattice)
        vec = pos[src] + offset - pos[dst]
        g.edata["vector"] = torch.from_numpy(vec.astype(np.float32))
    return g
