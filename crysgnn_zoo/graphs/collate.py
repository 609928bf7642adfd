"""Batched graphs straight from a :class:`GraphStore`, for either message-passing backend.

One call builds a single graph for a whole mini-batch from the concatenated
arrays (no per-crystal graph objects, no ``dgl.batch``), and sets the batch
sizes so readouts work per crystal: a DGLGraph for the ``dgl`` backend, a
:class:`~crysgnn_zoo.backend.batch.GraphBatch` for ``torch``, with the same
data (:mod:`crysgnn_zoo.backend`).

Node data: ``atomic_number`` (int64) and ``store_index`` (int64, the atom's
row in the store, for per-atom lookups such as cached teacher embeddings). Edge data: ``distance`` (float32,
Angstrom) and, with ``with_vectors=True``, ``vector`` (float32, neighbour minus
centre, Angstrom) for models that use bond directions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from crysgnn_zoo.backend import for_device
from crysgnn_zoo.backend.ops import make_graph
from crysgnn_zoo.graphs.store import GraphStore, _ranges

if TYPE_CHECKING:
    from dgl import DGLGraph

    from crysgnn_zoo.backend.batch import GraphBatch


def collate(store: GraphStore, index: np.ndarray | list[int], with_vectors: bool = False,
            backend: str | None = None) -> DGLGraph | GraphBatch:
    """Batched graph of the crystals at ``index`` (in that order), on the CPU.

    ``backend``: ``"dgl"`` or ``"torch"``; ``None``: the CPU's backend under
    ``CRYSGNN_ZOO_BACKEND`` (:func:`crysgnn_zoo.backend.for_device`)."""
    index = np.asarray(index, dtype=np.int64)
    n_atoms = store.n_atoms[index]
    n_edges = store.n_edges[index]
    nodes = _ranges(store.node_ptr[index], n_atoms)
    edges = _ranges(store.edge_ptr[index], n_edges)
    shift = np.repeat(np.cumsum(n_atoms) - n_atoms, n_edges)
    src = store.src[edges].astype(np.int64) + shift
    dst = store.dst[edges].astype(np.int64) + shift
    ndata = {"atomic_number": torch.from_numpy(store.atomic_numbers[nodes].astype(np.int64)),
             "store_index": torch.from_numpy(nodes)}
    edata = {"distance": torch.from_numpy(store.distances[edges])}
    if with_vectors:
        pos = store.positions[nodes]
        lattice = np.repeat(store.lattices[index], n_edges, axis=0)  # (E, 3, 3)
        offset = np.einsum("ek,ekj->ej", store.images[edges].astype(np.float32), lattice)
        vec = pos[src] + offset - pos[dst]
        edata["vector"] = torch.from_numpy(vec.astype(np.float32))
    return make_graph(backend or for_device("cpu"), torch.from_numpy(src), torch.from_numpy(dst), int(n_atoms.sum()),
                      torch.from_numpy(n_atoms.astype(np.int64)), torch.from_numpy(n_edges.astype(np.int64)), ndata, edata)
