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


class EdgeGatedGraphConv(nn.Module):
    """Residual edge-gated graph convolution (Bresson & Laurent's gated GCN, as used by ALIGNN).

    For edge ``j -> i``: ``m_ij = A x_i + B x_j + C e_ij`` and ``s_ij = sigmoid(m_ij)``;
    ``x_i <- x_i + SiLU(BN(U x_i + sum_j s_ij * V x_j / (sum_j s_ij + eps)))``;
    ``e_ij <- e_ij + SiLU(BN(m_ij))``. Shapes: ``(N, d), (E, d) -> (N, d), (E, d)``.
    With ``update_edges=False`` (a last layer, whose edge output nobody reads)
    the edges are returned unchanged.
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
            agg = g.ndata["num"] / (g.ndata["den"] + 1e-6)
            x_new = F.silu(self.bn_nodes(self.self_update(x) + agg))
            if self.bn_edges is None:
                return x + x_new, e
            e_new = F.silu(self.bn_edges(m))
        return x + x_new, e + e_new
