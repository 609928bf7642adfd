"""Building blocks shared by the architectures."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from crysgnn_zoo.graphs.features import AtomFeaturizer, default_featurizer


class GaussianExpansion(nn.Module):
    """Distances (Angstrom) -> Gaussian basis: ``exp(-(d - mu_k)^2 / width^2)``.

    CGCNN: centres from ``start`` to ``stop`` every ``step`` Angstrom, width = step.
    ``(E,) -> (E, n_centres)``.
    """

    def __init__(self, start: float = 0.0, stop: float = 8.0, step: float = 0.2) -> None:
        super().__init__()
        n = int(round((stop - start) / step)) + 1
        self.register_buffer("centres", torch.linspace(start, stop, n))
        self.width = step

    @property
    def dim(self) -> int:
        return int(self.centres.numel())

    def forward(self, distance: torch.Tensor) -> torch.Tensor:
        return torch.exp(-((distance.unsqueeze(-1) - self.centres) ** 2) / self.width**2)


class AtomFeatures(nn.Module):
    """Atomic numbers -> fixed element features (a non-trainable table).

    ``(N,) int64 -> (N, featurizer.dim)``; the table travels with the
    model's state dict, so a checkpoint needs no separate featuriser file.
    """

    def __init__(self, featurizer: AtomFeaturizer | None = None) -> None:
        super().__init__()
        featurizer = featurizer or default_featurizer()
        self.version = featurizer.version
        self.register_buffer("table", torch.from_numpy(featurizer.table.copy()))

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def forward(self, atomic_number: torch.Tensor) -> torch.Tensor:
        return self.table[atomic_number]


def softplus_head(width: int, hidden_dim: int, n_hidden: int) -> tuple[nn.Sequential, int]:
    """``n_hidden`` x (Linear -> Softplus) layers after pooling (CGCNN-style) and their output width."""
    layers: list[nn.Module] = []
    for _ in range(n_hidden):
        layers += [nn.Linear(width, hidden_dim), nn.Softplus()]
        width = hidden_dim
    return nn.Sequential(*layers), width


class MLPLayer(nn.Module):
    """Linear -> LayerNorm -> SiLU: ``(n, d_in) -> (n, d_out)``."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_in, d_out), nn.LayerNorm(d_out), nn.SiLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _GatedSum(torch.autograd.Function):
    """``out_i = sum_{e: dst_e = i} v[src_e] * s_e`` without keeping the ``(E, d)`` messages.

    Backward recomputes what it needs from ``v`` and ``s`` (saved anyway by
    the layers around it), so autograd stores no edge-sized intermediate.
    Sums accumulate in float32 whatever the input precision.
    """

    @staticmethod
    def forward(ctx, v, s, src, dst, n_nodes: int):
        ctx.save_for_backward(v, s, src, dst)
        msg = v.index_select(0, src).float().mul_(s)
        return torch.zeros(n_nodes, v.shape[1], dtype=torch.float32, device=v.device).index_add_(0, dst, msg)

    @staticmethod
    def backward(ctx, grad_out):
        v, s, src, dst = ctx.saved_tensors
        g_edge = grad_out.index_select(0, dst)
        grad_s = (g_edge * v.index_select(0, src)).to(s.dtype) if ctx.needs_input_grad[1] else None
        grad_v = None
        if ctx.needs_input_grad[0]:
            grad_v = torch.zeros(v.shape, dtype=torch.float32, device=v.device).index_add_(0, src, g_edge.mul_(s))
            grad_v = grad_v.to(v.dtype)
        return grad_v, grad_s, None, None, None


def _use_torch_kernels(x: torch.Tensor) -> bool:
    """DGL 1.1's CPU kernels take float32/float64 only; reduced precision goes through torch ops."""
    return x.dtype in (torch.bfloat16, torch.float16) or torch.is_autocast_enabled(x.device.type)


class EdgeGatedGraphConv(nn.Module):
    """Residual edge-gated graph convolution (Bresson & Laurent's gated GCN, as used by ALIGNN).

    For edge ``j -> i``: ``m_ij = A x_i + B x_j + C e_ij`` and ``s_ij = sigmoid(m_ij)``;
    ``x_i <- x_i + SiLU(BN(U x_i + sum_j s_ij * V x_j / (sum_j s_ij + eps)))``;
    ``e_ij <- e_ij + SiLU(BN(m_ij))``. Shapes: ``(N, d), (E, d) -> (N, d), (E, d)``.
    With ``update_edges=False`` (a last layer, whose edge output nobody reads)
    the edges are returned unchanged.

    In float32 the message passing runs on DGL's fused kernels; under autocast
    (``TrainConfig.precision="bf16"``) it runs on torch index ops with float32
    sums, since DGL's CPU kernels have no bfloat16 version.
    """

    def __init__(self, dim: int, update_edges: bool = True) -> None:
        super().__init__()
        self.gate_dst = nn.Linear(dim, dim)
        self.gate_src = nn.Linear(dim, dim)
        self.gate_edge = nn.Linear(dim, dim)
        self.self_update = nn.Linear(dim, dim)
        self.neighbor_update = nn.Linear(dim, dim)
        self.bn_nodes = nn.BatchNorm1d(dim)
        self.bn_edges = nn.BatchNorm1d(dim) if update_edges else None

    def forward(self, g, x: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if _use_torch_kernels(e):
            m, agg = self._gate_and_aggregate_torch(g, x, e)
        else:
            m, agg = self._gate_and_aggregate_dgl(g, x, e)
        x_new = F.silu(self.bn_nodes(self.self_update(x) + agg))
        if self.bn_edges is None:
            return x + x_new, e
        return x + x_new, e + F.silu(self.bn_edges(m))

    def _gate_and_aggregate_dgl(self, g, x, e):
        from crysgnn_zoo._dgl import dglfn

        with g.local_scope():
            g.ndata["gd"] = self.gate_dst(x)
            g.ndata["gs"] = self.gate_src(x)
            g.apply_edges(dglfn.u_add_v("gs", "gd", "m"))
            m = g.edata["m"] + self.gate_edge(e)
            g.edata["s"] = torch.sigmoid(m)
            g.ndata["v"] = self.neighbor_update(x)
            g.update_all(dglfn.u_mul_e("v", "s", "msg"), dglfn.sum("msg", "num"))
            g.update_all(dglfn.copy_e("s", "msg"), dglfn.sum("msg", "den"))
            return m, g.ndata["num"] / (g.ndata["den"] + 1e-6)

    def _gate_and_aggregate_torch(self, g, x, e):
        src, dst = g.edges()
        n = x.shape[0]
        m = self.gate_edge(e) + self.gate_src(x).index_select(0, src) + self.gate_dst(x).index_select(0, dst)
        s = torch.sigmoid(m)
        num = _GatedSum.apply(self.neighbor_update(x), s, src, dst, n)
        den = torch.zeros(n, s.shape[1], dtype=torch.float32, device=s.device).index_add_(0, dst, s.float())
        return m, num / (den + 1e-6)
