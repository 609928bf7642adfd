"""The operations of :mod:`crysgnn_zoo.backend.ops` as plain torch index and scatter operations.

Sums are ``index_add_`` over the edge index (or the node-to-crystal index); softmaxes subtract
each segment's maximum (``scatter_reduce`` amax, outside the gradient: a softmax does not
change with the shift) before exponentiating. Any device torch runs on.
"""
from __future__ import annotations

import torch

from crysgnn_zoo.backend.batch import GraphBatch


def _segment_sum(x: torch.Tensor, segment: torch.Tensor, n: int) -> torch.Tensor:
    return x.new_zeros((n, *x.shape[1:])).index_add_(0, segment, x)


def _segment_softmax(x: torch.Tensor, segment: torch.Tensor, n: int) -> torch.Tensor:
    with torch.no_grad():
        index = segment.view(-1, *([1] * (x.dim() - 1))).expand_as(x)
        top = x.new_full((n, *x.shape[1:]), float("-inf")).scatter_reduce_(0, index, x, "amax")
    ex = torch.exp(x - top.index_select(0, segment))
    return ex / _segment_sum(ex, segment, n).index_select(0, segment)


def u_add_v(g: GraphBatch, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    src, dst = g.edges()
    return u.index_select(0, src) + v.index_select(0, dst)


def sum_at_dst(g: GraphBatch, m: torch.Tensor) -> torch.Tensor:
    return _segment_sum(m, g.edges()[1], g.num_nodes())


def u_mul_e_sum(g: GraphBatch, u: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    src, dst = g.edges()
    return _segment_sum(u.index_select(0, src) * w, dst, g.num_nodes())


def edge_softmax(g: GraphBatch, logits: torch.Tensor) -> torch.Tensor:
    return _segment_softmax(logits, g.edges()[1], g.num_nodes())


def sum_nodes(g: GraphBatch, x: torch.Tensor) -> torch.Tensor:
    return _segment_sum(x, g.node_graph(), g.batch_size)


def mean_nodes(g: GraphBatch, x: torch.Tensor) -> torch.Tensor:
    count = g.batch_num_nodes().clamp(min=1).to(x.dtype)
    return sum_nodes(g, x) / count.view(-1, *([1] * (x.dim() - 1)))


def softmax_nodes(g: GraphBatch, x: torch.Tensor) -> torch.Tensor:
    return _segment_softmax(x, g.node_graph(), g.batch_size)


def broadcast_nodes(g: GraphBatch, rows: torch.Tensor) -> torch.Tensor:
    return rows.index_select(0, g.node_graph())


def line_graph(g: GraphBatch) -> GraphBatch:
    """Nodes: ``g``'s edges; an edge ``e1 -> e2`` wherever ``dst[e1] == src[e2]`` and ``e1 != e2``
    (backtracking kept; an edge from an atom to its own periodic image gets no loop onto itself,
    as in DGL's ``line_graph``).

    For every ``e2`` the edges ending at its source atom are listed (edges sorted by their
    centre once), so the cost is linear in the line graph's size.
    """
    src, dst = g.edges()
    n = g.num_nodes()
    by_centre = torch.argsort(dst, stable=True)
    incoming = torch.bincount(dst, minlength=n)
    start = torch.cumsum(incoming, 0) - incoming
    per_edge = incoming.index_select(0, src)  # line-graph edges ending at each e2
    total = int(per_edge.sum())
    second = torch.arange(src.shape[0], device=src.device).repeat_interleave(per_edge, output_size=total)
    offset = torch.arange(total, device=src.device) - (torch.cumsum(per_edge, 0) - per_edge).repeat_interleave(
        per_edge, output_size=total)
    first = by_centre.index_select(0, start.index_select(0, src.index_select(0, second)) + offset)
    keep = first != second
    return GraphBatch(first[keep], second[keep], int(src.shape[0]))


def make_graph(src, dst, num_nodes: int, batch_num_nodes, batch_num_edges, ndata: dict, edata: dict) -> GraphBatch:
    return GraphBatch(src, dst, num_nodes, batch_num_nodes, batch_num_edges, ndata, edata)
