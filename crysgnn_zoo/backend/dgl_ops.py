"""The operations of :mod:`crysgnn_zoo.backend.ops` on DGL's fused kernels (CPU).

The only module besides :mod:`crysgnn_zoo._dgl` that touches DGL; it is imported the first
time a DGL batch is built or used.
"""
from __future__ import annotations

import torch

from crysgnn_zoo._dgl import dgl


def u_add_v(g, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return dgl.ops.u_add_v(g, u, v)


def sum_at_dst(g, m: torch.Tensor) -> torch.Tensor:
    return dgl.ops.copy_e_sum(g, m)


def u_mul_e_sum(g, u: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return dgl.ops.u_mul_e_sum(g, u, w)


def edge_softmax(g, logits: torch.Tensor) -> torch.Tensor:
    return dgl.ops.edge_softmax(g, logits)


def _readout(g, x: torch.Tensor, fn) -> torch.Tensor:
    with g.local_scope():
        g.ndata["_x"] = x
        return fn(g, "_x")


def sum_nodes(g, x: torch.Tensor) -> torch.Tensor:
    return _readout(g, x, dgl.sum_nodes)


def mean_nodes(g, x: torch.Tensor) -> torch.Tensor:
    return _readout(g, x, dgl.mean_nodes)


def softmax_nodes(g, x: torch.Tensor) -> torch.Tensor:
    return _readout(g, x, dgl.softmax_nodes)


def broadcast_nodes(g, rows: torch.Tensor) -> torch.Tensor:
    return dgl.broadcast_nodes(g, rows)


def line_graph(g):
    return dgl.line_graph(g, backtracking=True)


def make_graph(src, dst, num_nodes: int, batch_num_nodes, batch_num_edges, ndata: dict, edata: dict):
    g = dgl.graph((src, dst), num_nodes=int(num_nodes))
    g.set_batch_num_nodes(batch_num_nodes)
    g.set_batch_num_edges(batch_num_edges)
    for key, value in ndata.items():
        g.ndata[key] = value
    for key, value in edata.items():
        g.edata[key] = value
    return g
