"""The graph operations every network uses, dispatched on the batch's backend.

Edges run ``src -> dst`` (neighbour -> centre). Shapes: ``N`` atoms, ``E`` edges, ``B``
crystals; trailing feature dimensions pass through unchanged.

- :func:`u_add_v` ``(N, ...), (N, ...) -> (E, ...)``: ``u[src] + v[dst]``.
- :func:`sum_at_dst` ``(E, ...) -> (N, ...)``: the sum over each node's incoming edges.
- :func:`u_mul_e_sum` ``(N, ...), (E, ...) -> (N, ...)``: ``sum_{e -> i} u[src_e] * w_e``.
- :func:`edge_softmax` ``(E, ...) -> (E, ...)``: softmax over each node's incoming edges.
- :func:`mean_nodes`, :func:`sum_nodes` ``(N, ...) -> (B, ...)``: per-crystal readouts.
- :func:`softmax_nodes` ``(N, ...) -> (N, ...)``: softmax over each crystal's atoms.
- :func:`broadcast_nodes` ``(B, ...) -> (N, ...)``: each crystal's row to its atoms.
- :func:`line_graph`: the graph whose nodes are ``g``'s edges, with an edge ``e1 -> e2`` for
  every ``e1 = (u -> v)``, ``e2 = (v -> w)`` (backtracking ``w = u`` included), as ALIGNN uses it.
- :func:`make_graph`: a batched graph of the given backend from edge and batch arrays.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from crysgnn_zoo.backend import BACKENDS, graph_backend

_LOADED: dict[str, ModuleType] = {}


def implementation(name: str) -> ModuleType:
    """The module implementing the operations for backend ``name`` (imported on first use)."""
    if name not in _LOADED:
        _LOADED[name] = importlib.import_module(BACKENDS[name])
    return _LOADED[name]


def _impl(g: Any) -> ModuleType:
    return implementation(graph_backend(g))


def u_add_v(g, u, v):
    return _impl(g).u_add_v(g, u, v)


def sum_at_dst(g, m):
    return _impl(g).sum_at_dst(g, m)


def u_mul_e_sum(g, u, w):
    return _impl(g).u_mul_e_sum(g, u, w)


def edge_softmax(g, logits):
    return _impl(g).edge_softmax(g, logits)


def mean_nodes(g, x):
    return _impl(g).mean_nodes(g, x)


def sum_nodes(g, x):
    return _impl(g).sum_nodes(g, x)


def softmax_nodes(g, x):
    return _impl(g).softmax_nodes(g, x)


def broadcast_nodes(g, rows):
    return _impl(g).broadcast_nodes(g, rows)


def line_graph(g):
    return _impl(g).line_graph(g)


def make_graph(backend: str, src, dst, num_nodes: int, batch_num_nodes, batch_num_edges, ndata: dict, edata: dict):
    """A batched graph of ``backend`` (``"dgl"`` or ``"torch"``); arguments as
    :class:`~crysgnn_zoo.backend.batch.GraphBatch`'s."""
    return implementation(backend).make_graph(src, dst, num_nodes, batch_num_nodes, batch_num_edges, ndata, edata)
