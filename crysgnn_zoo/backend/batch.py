"""A batch of crystal graphs as plain tensors: the torch backend's graph.

It offers the part of DGL's graph interface the package uses (``edges()``, ``num_nodes()``,
``num_edges()``, ``in_degrees()``, ``batch_size``, ``batch_num_nodes()``, ``batch_num_edges()``, ``ndata``,
``edata``, ``local_scope()``, ``to(device)``, ``device``), so code written for a batched
DGLGraph reads a :class:`GraphBatch` unchanged; the message passing itself goes through
:mod:`crysgnn_zoo.backend.ops`. Edges run from ``src`` (the neighbour) to ``dst`` (the centre).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch


class GraphBatch:
    """Nodes ``0..num_nodes-1`` and edges ``src[e] -> dst[e]`` of a batch of crystals.

    Args:
        src, dst: int64 ``(E,)`` edge endpoints.
        num_nodes: atoms in the batch.
        batch_num_nodes, batch_num_edges: int64 ``(B,)`` atoms and edges per crystal (default:
            one graph holding everything).
        ndata, edata: per-node ``(N, ...)`` and per-edge ``(E, ...)`` tensors by name.
    """

    backend = "torch"

    def __init__(self, src: torch.Tensor, dst: torch.Tensor, num_nodes: int,
                 batch_num_nodes: torch.Tensor | None = None, batch_num_edges: torch.Tensor | None = None,
                 ndata: dict[str, torch.Tensor] | None = None, edata: dict[str, torch.Tensor] | None = None) -> None:
        self._src, self._dst = src, dst
        self._num_nodes = int(num_nodes)
        device = src.device
        self._batch_num_nodes = (torch.tensor([self._num_nodes], device=device) if batch_num_nodes is None
                                 else batch_num_nodes.to(device=device, dtype=torch.int64))
        self._batch_num_edges = (torch.tensor([int(src.shape[0])], device=device) if batch_num_edges is None
                                 else batch_num_edges.to(device=device, dtype=torch.int64))
        self.ndata: dict[str, torch.Tensor] = dict(ndata or {})
        self.edata: dict[str, torch.Tensor] = dict(edata or {})
        self._node_graph: torch.Tensor | None = None

    def edges(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(src, dst)``, int64 ``(E,)`` each."""
        return self._src, self._dst

    def num_nodes(self) -> int:
        return self._num_nodes

    def num_edges(self) -> int:
        return int(self._src.shape[0])

    def in_degrees(self) -> torch.Tensor:
        """Incoming edges of every node, int64 ``(N,)``."""
        return torch.bincount(self._dst, minlength=self._num_nodes)

    @property
    def batch_size(self) -> int:
        return int(self._batch_num_nodes.shape[0])

    def batch_num_nodes(self) -> torch.Tensor:
        return self._batch_num_nodes

    def batch_num_edges(self) -> torch.Tensor:
        return self._batch_num_edges

    def node_graph(self) -> torch.Tensor:
        """The crystal (0..B-1) of every node, int64 ``(N,)`` (computed once)."""
        if self._node_graph is None:
            ids = torch.arange(self.batch_size, device=self._src.device)
            self._node_graph = ids.repeat_interleave(self._batch_num_nodes, output_size=self._num_nodes)
        return self._node_graph

    @property
    def device(self) -> torch.device:
        return self._src.device

    def to(self, device: str | torch.device, non_blocking: bool = False) -> GraphBatch:
        """A copy on ``device`` (the same object when it is there already)."""
        device = torch.device(device)
        if device == self.device:
            return self

        def move(t: torch.Tensor) -> torch.Tensor:
            return t.to(device, non_blocking=non_blocking)

        return GraphBatch(move(self._src), move(self._dst), self._num_nodes, move(self._batch_num_nodes),
                          move(self._batch_num_edges), {k: move(v) for k, v in self.ndata.items()},
                          {k: move(v) for k, v in self.edata.items()})

    @contextmanager
    def local_scope(self) -> Iterator[GraphBatch]:
        """Node and edge data set inside the ``with`` block are gone after it (as in DGL)."""
        ndata, edata = self.ndata, self.edata
        self.ndata, self.edata = dict(ndata), dict(edata)
        try:
            yield self
        finally:
            self.ndata, self.edata = ndata, edata

    def __repr__(self) -> str:
        return (f"GraphBatch(num_graphs={self.batch_size}, num_nodes={self._num_nodes}, "
                f"num_edges={self.num_edges()}, ndata={sorted(self.ndata)}, edata={sorted(self.edata)})")
