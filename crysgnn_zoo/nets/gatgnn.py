"""GATGNN (Louis et al., Phys. Chem. Chem. Phys. 22, 18141 (2020)).

Written from the paper's description. Atoms start from element features and
bonds from a Gaussian expansion of their length, both lifted to ``dim``.
Each *augmented graph attention* (AGAT) layer lets atom ``i`` attend over its
neighbours ``j`` with messages built from the neighbour *and* the bond
(the "augmentation"):

    m_ij^k = W_n^k x_j + W_e^k e_ij                       (head k)
    a_ij^k = softmax_j( LeakyReLU( <q^k, W_c^k x_i> + <r^k, m_ij^k> ) )
    x_i   <- x_i + softplus( BN( mean_k sum_j a_ij^k m_ij^k ) )

The crystal vector is a *global attention* pooling (the paper's GI M-1,
"composition" context): each atom's weight is a softmax over the crystal of
an MLP of the atom vector concatenated with the crystal's element-fraction
vector, and the crystal is the weighted sum of atom vectors; fully connected
layers follow.

Defaults follow the authors' published settings: 3 AGAT layers, 64 neurons,
4 attention heads, hidden layers after pooling. Details the paper leaves open
are choices made here: the residual connection, LeakyReLU slope 0.2 in the
attention logits, and two 64-wide softplus layers after pooling. (The authors
train with AdamW, lr 5e-3, weight decay 0.1, smooth-L1 loss; that is a
:class:`~crysgnn_zoo.config.TrainConfig` matter, not the architecture's.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from crysgnn_zoo.backend import ops
from crysgnn_zoo.config import JsonConfig
from crysgnn_zoo.data.elements import MAX_Z
from crysgnn_zoo.nets.base import AtomEncoderModel
from crysgnn_zoo.nets.layers import AtomFeatures, GaussianExpansion, softplus_head
from crysgnn_zoo.nets.registry import register_model

if TYPE_CHECKING:
    from dgl import DGLGraph


@dataclass(frozen=True)
class GATGNNConfig(JsonConfig):
    """GATGNN hyper-parameters (the authors' defaults where published).

    Attributes:
        dim: width of atom and bond vectors (published: 64).
        n_layers: AGAT layers (published: 3).
        n_heads: attention heads per layer (published: 4).
        hidden_dim, n_hidden: fully connected layers after pooling (choice: 2 x 64).
        negative_slope: LeakyReLU slope of the attention logits.
        gaussian_stop, gaussian_step: bond-length basis, Angstrom (0..8 every 0.2).
        n_targets: outputs per crystal.
        extra_atom_inputs: width of per-atom inputs concatenated to the element features (a
            teacher's atom embeddings, ``DistillConfig(mode="input")``; 0: none).
    """

    dim: int = 64
    n_layers: int = 3
    n_heads: int = 4
    hidden_dim: int = 64
    n_hidden: int = 2
    negative_slope: float = 0.2
    gaussian_stop: float = 8.0
    gaussian_step: float = 0.2
    n_targets: int = 1
    extra_atom_inputs: int = 0

    def __post_init__(self) -> None:
        self.check_at_least(1, "dim", "n_layers", "n_heads", "hidden_dim", "n_targets")
        self.check_at_least(0, "n_hidden")
        self.check_at_least(0, "extra_atom_inputs")


class AGATLayer(nn.Module):
    """Augmented graph attention: ``(N, d), (E, d) -> (N, d)``; edges run neighbour -> centre."""

    def __init__(self, dim: int, n_heads: int, negative_slope: float = 0.2) -> None:
        super().__init__()
        self.n_heads, self.dim = n_heads, dim
        self.center = nn.Linear(dim, n_heads * dim, bias=False)
        self.neighbor = nn.Linear(dim, n_heads * dim)
        self.bond = nn.Linear(dim, n_heads * dim, bias=False)
        self.query = nn.Parameter(torch.empty(n_heads, dim))
        self.key = nn.Parameter(torch.empty(n_heads, dim))
        nn.init.xavier_uniform_(self.query)
        nn.init.xavier_uniform_(self.key)
        self.negative_slope = negative_slope
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, g: DGLGraph, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h, d = self.n_heads, self.dim
        src, dst = g.edges()
        message = self.neighbor(x)[src].view(-1, h, d) + self.bond(e).view(-1, h, d)  # (E, H, d)
        center_score = (self.center(x).view(-1, h, d) * self.query).sum(-1)  # (N, H)
        logits = F.leaky_relu(center_score[dst] + (message * self.key).sum(-1), self.negative_slope)
        attention = ops.edge_softmax(g, logits)  # softmax over each centre's neighbours
        messages = (attention.unsqueeze(-1) * message).mean(1)  # heads averaged
        return x + F.softplus(self.bn(ops.sum_at_dst(g, messages)))


def composition(g: DGLGraph) -> torch.Tensor:
    """Element fractions of each crystal, broadcast to its atoms: ``(N, MAX_Z + 1)``."""
    onehot = F.one_hot(g.ndata["atomic_number"], MAX_Z + 1).float()
    return ops.broadcast_nodes(g, ops.mean_nodes(g, onehot))


class GlobalAttentionPooling(nn.Module):
    """Weighted sum of atom vectors, weights softmax-normalised within each crystal."""

    def __init__(self, dim: int, context_dim: int) -> None:
        super().__init__()
        self.score = nn.Sequential(nn.Linear(dim + context_dim, dim), nn.Softplus(), nn.Linear(dim, 1))

    def forward(self, g: DGLGraph, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        weight = ops.softmax_nodes(g, self.score(torch.cat([x, context], dim=-1)))
        return ops.sum_nodes(g, x * weight)


class GATGNN(AtomEncoderModel):
    """Graph attention network with global attention pooling.

    ``embed(g) -> (n_atoms, dim)``; ``forward(g) -> (n_graphs, n_targets)``.
    """

    def __init__(self, config: GATGNNConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or GATGNNConfig()
        self.atom_features = AtomFeatures()
        self.rbf = GaussianExpansion(0.0, c.gaussian_stop, c.gaussian_step)
        self.atom_embedding = nn.Linear(self.atom_features.dim + c.extra_atom_inputs, c.dim)
        self.bond_embedding = nn.Linear(self.rbf.dim, c.dim)
        self.layers = nn.ModuleList(AGATLayer(c.dim, c.n_heads, c.negative_slope) for _ in range(c.n_layers))
        self.pool = GlobalAttentionPooling(c.dim, MAX_Z + 1)
        self.head, width = softplus_head(c.dim, c.hidden_dim, c.n_hidden)
        self.out = nn.Linear(width, c.n_targets)
        self.embedding_dim = c.dim

    def embed(self, g: DGLGraph) -> torch.Tensor:
        x = self.atom_embedding(self.with_extra_inputs(g, self.atom_features(g.ndata["atomic_number"])))
        e = self.bond_embedding(self.rbf(g.edata["distance"]))
        for layer in self.layers:
            x = layer(g, x, e)
        return x

    def readout(self, g: DGLGraph, atom_embeddings: torch.Tensor) -> torch.Tensor:
        crystal = self.pool(g, atom_embeddings, composition(g))
        return self.out(self.head(crystal))


@register_model("gatgnn", config=GATGNNConfig,
                recipe={"lr": 5e-3, "optimizer": "adamw", "weight_decay": 0.1})  # GATGNN train.py defaults
def gatgnn(config: GATGNNConfig) -> GATGNN:
    """GATGNN with the published defaults (3 layers, 64 wide, 4 heads)."""
    return GATGNN(config)
