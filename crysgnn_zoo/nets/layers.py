"""Building blocks shared by the architectures."""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from crysgnn_zoo.backend import graph_backend, ops
from crysgnn_zoo.graphs.features import AtomFeaturizer, default_featurizer

if TYPE_CHECKING:
    from dgl import DGLGraph


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

    # Gaussians below exp(-40) ~ 4e-18 are set to exactly 0. Tiny non-zero values
    # are slow on x86 CPUs: exp() below about -87 gives float32 subnormals, and
    # even normal tails (the old floor, exp(-80) ~ 2e-35) times a gradient of
    # 1e-4 give subnormal products in the weight-gradient matmul, which made
    # CGCNN's training epochs ~5x slower on this machine's CPU.
    MIN_EXPONENT = -40.0

    def forward(self, distance: torch.Tensor) -> torch.Tensor:
        exponent = -((distance.unsqueeze(-1) - self.centres) ** 2) / self.width**2
        far = exponent < self.MIN_EXPONENT
        return torch.exp(exponent.clamp(min=self.MIN_EXPONENT)).masked_fill(far, 0.0)


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


def _sum_dtype(x: torch.Tensor) -> torch.dtype:
    """float32 for reduced-precision ``x`` (bf16, fp16), else ``x``'s own float type."""
    return torch.promote_types(x.dtype, torch.float32)


class _GatedSum(torch.autograd.Function):
    """``out_i = sum_{e: dst_e = i} v[src_e] * s_e`` without keeping the ``(E, d)`` messages.

    Backward recomputes what it needs from ``v`` and ``s`` (saved anyway by
    the layers around it), so autograd stores no edge-sized intermediate.
    Sums accumulate in float32 (float64 for float64 inputs).
    """

    @staticmethod
    def forward(ctx, v, s, src, dst, n_nodes: int):
        ctx.save_for_backward(v, s, src, dst)
        dtype = _sum_dtype(v)
        msg = v.index_select(0, src).to(dtype).mul_(s)
        return torch.zeros(n_nodes, v.shape[1], dtype=dtype, device=v.device).index_add_(0, dst, msg)

    @staticmethod
    def backward(ctx, grad_out):
        v, s, src, dst = ctx.saved_tensors
        g_edge = grad_out.index_select(0, dst)
        grad_s = (g_edge * v.index_select(0, src)).to(s.dtype) if ctx.needs_input_grad[1] else None
        grad_v = None
        if ctx.needs_input_grad[0]:
            grad_v = torch.zeros(v.shape, dtype=_sum_dtype(v), device=v.device).index_add_(0, src, g_edge.mul_(s))
            grad_v = grad_v.to(v.dtype)
        return grad_v, grad_s, None, None, None


def _use_torch_kernels(g, x: torch.Tensor) -> bool:
    """The torch path: on the torch backend, and under reduced precision on DGL's (DGL 1.1's CPU
    kernels take float32/float64 only)."""
    return (graph_backend(g) == "torch" or x.dtype in (torch.bfloat16, torch.float16)
            or torch.is_autocast_enabled(x.device.type))


def batch_norm_with_stats(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float):
    """Training-mode BatchNorm of ``(n, d)`` float32 ``h``; also returns the batch mean and biased variance."""
    mean = h.mean(0)
    var = (h - mean).square().mean(0)
    return (h - mean) * torch.rsqrt(var + eps) * weight + bias, mean, var


def _gated_messages(src, dst, x, e, lin):
    """Edge pre-activations ``m`` and node pre-activations ``h`` (float32) of the edge-gated convolution.

    ``lin`` holds (weight, bias) of gate_dst, gate_src, gate_edge,
    self_update, neighbor_update.
    """
    n = x.shape[0]
    m = (
        F.linear(e, lin[4], lin[5])
        + F.linear(x, lin[2], lin[3]).index_select(0, src)
        + F.linear(x, lin[0], lin[1]).index_select(0, dst)
    ).float()
    s = torch.sigmoid(m)
    v = F.linear(x, lin[8], lin[9]).float()
    num = torch.zeros((n, m.shape[1]), dtype=torch.float32, device=x.device).index_add_(0, dst, v.index_select(0, src) * s)
    den = torch.zeros((n, m.shape[1]), dtype=torch.float32, device=x.device).index_add_(0, dst, s)
    return m, F.linear(x, lin[6], lin[7]).float() + num / (den + 1e-6)


def _edge_gated_batch_stats(src, dst, x, e, lin, bn_nodes, bn_edges, eps: float):
    """The edge-gated convolution with BatchNorm on batch statistics (training, BatchNorm refresh).

    ``bn_*`` hold (weight, bias); ``bn_edges`` is None when edges are not
    updated. Returns the new ``x`` and ``e`` and each BatchNorm's (mean,
    biased variance) for the caller to fold into the running averages.
    Plain tensor maths, written for ``torch.compile``, which fuses the
    edge-sized element-wise chains (gather, add, sigmoid, normalise, SiLU,
    residual) into a few loops.
    """
    m, h = _gated_messages(src, dst, x, e, lin)
    h, mean_n, var_n = batch_norm_with_stats(h, bn_nodes[0], bn_nodes[1], eps)
    x_out = x + F.silu(h)
    if bn_edges is None:
        return x_out, e, (mean_n, var_n), None
    m, mean_e, var_e = batch_norm_with_stats(m, bn_edges[0], bn_edges[1], eps)
    return x_out, e + F.silu(m), (mean_n, var_n), (mean_e, var_e)


def _edge_gated_running_stats(src, dst, x, e, lin, bn_nodes, bn_edges, eps: float):
    """The edge-gated convolution with BatchNorm on running statistics (evaluation).

    ``bn_*`` hold (weight, bias, running mean, running variance).
    """
    m, h = _gated_messages(src, dst, x, e, lin)
    w, b, mean, var = bn_nodes
    x_out = x + F.silu((h - mean) * torch.rsqrt(var + eps) * w + b)
    if bn_edges is None:
        return x_out, e
    w, b, mean, var = bn_edges
    return x_out, e + F.silu((m - mean) * torch.rsqrt(var + eps) * w + b)


_COMPILED: dict[object, object] = {}


# Variants per function: batch or running statistics are separate functions; within one,
# edges updated or not x float32/bfloat16 inputs x gradients on/off x autocast on/off.
RECOMPILE_LIMIT = 32


def compiled(fn):
    """``torch.compile(fn, dynamic=True)``, made once per function (each keeps its own compile cache).

    Calls run with dynamo's recompile limit raised to :data:`RECOMPILE_LIMIT`
    (the default 8 is below the number of variants one layer function meets).
    """
    if fn not in _COMPILED:
        import torch._dynamo

        _COMPILED[fn] = torch._dynamo.config.patch(recompile_limit=RECOMPILE_LIMIT)(torch.compile(fn, dynamic=True))
    return _COMPILED[fn]


@torch.no_grad()
def update_running_stats(bn: nn.BatchNorm1d, mean: torch.Tensor, var: torch.Tensor, count: int) -> None:
    """What ``nn.BatchNorm1d`` does to its running averages after a training-mode batch."""
    if not bn.track_running_stats:
        return
    bn.num_batches_tracked.add_(1)
    factor = 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum
    unbiased = var * (count / max(count - 1, 1))
    bn.running_mean.mul_(1 - factor).add_(mean.detach(), alpha=factor)
    bn.running_var.mul_(1 - factor).add_(unbiased.detach(), alpha=factor)


def set_compiled_kernels(model: nn.Module, enabled: bool = True) -> int:
    """Switch every layer of ``model`` that has a ``torch.compile`` path on or off; returns how many.

    Compiled layers run training steps, BatchNorm refreshes and evaluation
    through fused kernels. Each variant (batch or running statistics, with
    or without gradients, float32 or autocast, edges updated or not)
    compiles on first use (~10-30 s each on a CPU; needs a C++ compiler) and
    is then reused for every graph size.
    """
    layers = [m for m in model.modules() if hasattr(m, "use_compiled")]
    for m in layers:
        m.use_compiled = enabled
    return len(layers)


class EdgeGatedGraphConv(nn.Module):
    """Residual edge-gated graph convolution (Bresson & Laurent's gated GCN, as used by ALIGNN).

    For edge ``j -> i``: ``m_ij = A x_i + B x_j + C e_ij`` and ``s_ij = sigmoid(m_ij)``;
    ``x_i <- x_i + SiLU(BN(U x_i + sum_j s_ij * V x_j / (sum_j s_ij + eps)))``;
    ``e_ij <- e_ij + SiLU(BN(m_ij))``. Shapes: ``(N, d), (E, d) -> (N, d), (E, d)``.
    With ``update_edges=False`` (a last layer, whose edge output nobody reads)
    the edges are returned unchanged.

    On the DGL backend in float32 the message passing runs on DGL's fused kernels;
    on the torch backend, and under autocast (``TrainConfig.precision="bf16"``,
    DGL's CPU kernels have no bfloat16 version), on torch index ops with float32
    sums. With
    ``use_compiled`` (:func:`set_compiled_kernels`, ``TrainConfig.compile``)
    the whole layer runs as one ``torch.compile``d tensor function instead.
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
        self.use_compiled = False  # see set_compiled_kernels

    def forward(self, g: DGLGraph, x: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.use_compiled:
            return self._forward_compiled(g, x, e)
        if _use_torch_kernels(g, e):
            m, agg = self._gate_and_aggregate_torch(g, x, e)
        else:
            m, agg = self._gate_and_aggregate_ops(g, x, e)
        x_new = F.silu(self.bn_nodes(self.self_update(x) + agg))
        if self.bn_edges is None:
            return x + x_new, e
        return x + x_new, e + F.silu(self.bn_edges(m))

    def _forward_compiled(self, g, x, e):
        src, dst = g.edges()
        lin = [t for layer in (self.gate_dst, self.gate_src, self.gate_edge, self.self_update, self.neighbor_update)
               for t in (layer.weight, layer.bias)]
        bn_n, bn_e = self.bn_nodes, self.bn_edges
        if bn_n.training or bn_n.running_mean is None:
            x_out, e_out, stats_n, stats_e = compiled(_edge_gated_batch_stats)(
                src, dst, x, e, lin, [bn_n.weight, bn_n.bias],
                None if bn_e is None else [bn_e.weight, bn_e.bias], bn_n.eps)
            update_running_stats(bn_n, *stats_n, x.shape[0])
            if bn_e is not None:
                update_running_stats(bn_e, *stats_e, e.shape[0])
            return x_out, e_out
        running = [[bn.weight, bn.bias, bn.running_mean, bn.running_var] if bn is not None else None for bn in (bn_n, bn_e)]
        return compiled(_edge_gated_running_stats)(src, dst, x, e, lin, *running, bn_n.eps)

    def _gate_and_aggregate_ops(self, g, x, e):
        m = ops.u_add_v(g, self.gate_src(x), self.gate_dst(x)) + self.gate_edge(e)
        s = torch.sigmoid(m)
        return m, ops.u_mul_e_sum(g, self.neighbor_update(x), s) / (ops.sum_at_dst(g, s) + 1e-6)

    def _gate_and_aggregate_torch(self, g, x, e):
        src, dst = g.edges()
        n = x.shape[0]
        m = self.gate_edge(e) + self.gate_src(x).index_select(0, src) + self.gate_dst(x).index_select(0, dst)
        s = torch.sigmoid(m)
        num = _GatedSum.apply(self.neighbor_update(x), s, src, dst, n)
        dtype = _sum_dtype(s)
        den = torch.zeros(n, s.shape[1], dtype=dtype, device=s.device).index_add_(0, dst, s.to(dtype))
        return m, num / (den + 1e-6)
