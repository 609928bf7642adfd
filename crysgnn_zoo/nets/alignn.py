"""ALIGNN (Choudhary & DeCost, npj Comput. Mater. 7, 185 (2021)).

Written from the paper. Atoms, bonds and bond angles each get a vector:
atoms from element features, bonds from a Gaussian basis of their length
(0-8 Angstrom, 80 functions), angles from a Gaussian basis of their cosine
(-1..1, 40 functions), each lifted to the hidden width by small MLPs. An ALIGNN
layer first runs an edge-gated graph convolution on the line graph (nodes are
bonds, edges are pairs of bonds sharing an atom, carrying the angle), which
updates bond and angle vectors, then one on the atom graph, which updates atom
and bond vectors. After the ALIGNN layers, plain edge-gated convolutions on the
atom graph follow; crystal vectors are the mean of atom vectors.

Paper defaults: 4 ALIGNN layers, 4 GCN layers, hidden width 256, embedding
width 64, graphs of 12 neighbours within 8 Angstrom.

The angle at atom ``v`` between bonds ``u -> v`` and ``v -> w`` uses the bond
vectors of the batch (``vector``: centre to neighbour), so the model asks
:func:`~crysgnn_zoo.graphs.collate` for them (``needs_vectors``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from crysgnn_zoo.backend import ops
from crysgnn_zoo.config import JsonConfig
from crysgnn_zoo.nets.base import AtomEncoderModel
from crysgnn_zoo.nets.layers import AtomFeatures, EdgeGatedGraphConv, GaussianExpansion, MLPLayer
from crysgnn_zoo.nets.registry import register_model

if TYPE_CHECKING:
    from dgl import DGLGraph


@dataclass(frozen=True)
class ALIGNNConfig(JsonConfig):
    """ALIGNN hyper-parameters (paper defaults).

    Attributes:
        alignn_layers: line-graph + atom-graph layers (paper: 4).
        gcn_layers: atom-graph-only layers after them (paper: 4).
        hidden_dim: width of atom, bond and angle vectors (paper: 256).
        edge_embedding_dim: width of the first bond and angle embedding layer (paper: 64),
            before both are widened to ``hidden_dim`` (``ALIGNN.embedding_dim``, the atom
            embedding width every student exposes, is ``hidden_dim``).
        edge_bins: Gaussians over bond length 0..cutoff (paper: 80).
        angle_bins: Gaussians over the bond-angle cosine -1..1 (paper: 40).
        cutoff: last bond-length centre, Angstrom (= graph cutoff, 8).
        n_targets: outputs per crystal.
        checkpoint_line_graph: while training, keep only the inputs of the
            angle embedding and of each line-graph convolution and recompute
            their insides during backward (activation checkpointing). The
            line graph has ~12x more edges than the atom graph; measured on a
            64-crystal mp_37k batch: 7.1 -> 4.6 GiB peak (float32) for ~one
            extra line-graph forward pass.
            Results are unchanged (BatchNorm running statistics are updated
            twice per step, which the trainer's BatchNorm refresh makes moot).
        extra_atom_inputs: width of per-atom inputs concatenated to the element features (a
            teacher's atom embeddings, ``DistillConfig(mode="input")``; 0: none).
    """

    alignn_layers: int = 4
    gcn_layers: int = 4
    hidden_dim: int = 256
    edge_embedding_dim: int = 64

    RENAMED = {"embedding_dim": "edge_embedding_dim"}  # configs saved before the rename
    edge_bins: int = 80
    angle_bins: int = 40
    cutoff: float = 8.0
    n_targets: int = 1
    extra_atom_inputs: int = 0
    checkpoint_line_graph: bool = False

    def __post_init__(self) -> None:
        self.check_at_least(1, "hidden_dim", "edge_embedding_dim", "n_targets")
        self.check_at_least(0, "alignn_layers", "gcn_layers")
        self.check_at_least(0, "extra_atom_inputs")
        self.check_at_least(2, "edge_bins", "angle_bins")


def bond_angle_cosines(g: DGLGraph, lg: DGLGraph) -> torch.Tensor:
    """Cosine of the angle at the shared atom for every line-graph edge ``(u->v) -> (v->w)``."""
    vec = g.edata["vector"]
    first, second = lg.edges()
    a = vec[first]  # from v (centre of u->v) to u
    b = -vec[second]  # from v (neighbour of v->w) to w
    cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-9)
    return cos.clamp(-1.0, 1.0)


class ALIGNNLayer(nn.Module):
    """One ALIGNN update: line graph (bonds, angles) then atom graph (atoms, bonds)."""

    def __init__(self, dim: int, last: bool = False) -> None:
        super().__init__()
        self.line_conv = EdgeGatedGraphConv(dim, update_edges=not last)  # the last angle update is never read
        self.atom_conv = EdgeGatedGraphConv(dim)

    def forward(self, g: DGLGraph, lg: DGLGraph, x, y, z, recompute: bool = False):
        if recompute:
            y, z = checkpoint(self.line_conv, lg, y, z, use_reentrant=False)
        else:
            y, z = self.line_conv(lg, y, z)
        x, y = self.atom_conv(g, x, y)
        return x, y, z


class ALIGNN(AtomEncoderModel):
    """Atomistic Line Graph Neural Network.

    ``embed(g) -> (n_atoms, hidden_dim)``; ``forward(g) -> (n_graphs, n_targets)``.
    """

    needs_vectors = True
    supports_bf16 = True  # every edge-sized op has a torch path (see EdgeGatedGraphConv)

    def __init__(self, config: ALIGNNConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or ALIGNNConfig()
        self.atom_features = AtomFeatures()
        self.atom_embedding = MLPLayer(self.atom_features.dim + c.extra_atom_inputs, c.hidden_dim)
        step = c.cutoff / (c.edge_bins - 1)
        self.edge_rbf = GaussianExpansion(0.0, c.cutoff, step)
        self.edge_embedding = nn.Sequential(MLPLayer(self.edge_rbf.dim, c.edge_embedding_dim), MLPLayer(c.edge_embedding_dim, c.hidden_dim))
        self.angle_rbf = GaussianExpansion(-1.0, 1.0, 2.0 / (c.angle_bins - 1))
        self.angle_embedding = nn.Sequential(MLPLayer(self.angle_rbf.dim, c.edge_embedding_dim), MLPLayer(c.edge_embedding_dim, c.hidden_dim))
        self.alignn = nn.ModuleList(ALIGNNLayer(c.hidden_dim, last=k == c.alignn_layers - 1) for k in range(c.alignn_layers))
        self.gcn = nn.ModuleList(
            EdgeGatedGraphConv(c.hidden_dim, update_edges=k < c.gcn_layers - 1) for k in range(c.gcn_layers)
        )
        self.out = nn.Linear(c.hidden_dim, c.n_targets)
        self.embedding_dim = c.hidden_dim

    def embed(self, g: DGLGraph) -> torch.Tensor:
        x = self.atom_embedding(self.with_extra_inputs(g, self.atom_features(g.ndata["atomic_number"])))
        y = self.edge_embedding(self.edge_rbf(g.edata["distance"]))
        if self.config.alignn_layers:
            lg = ops.line_graph(g)
            cos = bond_angle_cosines(g, lg)
            recompute = self.config.checkpoint_line_graph and self.training and torch.is_grad_enabled()
            if recompute:
                z = checkpoint(self._embed_angles, cos, use_reentrant=False)
            else:
                z = self._embed_angles(cos)
            for layer in self.alignn:
                x, y, z = layer(g, lg, x, y, z, recompute=recompute)
        for conv in self.gcn:
            x, y = conv(g, x, y)
        return x

    def _embed_angles(self, cos: torch.Tensor) -> torch.Tensor:
        return self.angle_embedding(self.angle_rbf(cos))

    def readout(self, g: DGLGraph, atom_embeddings: torch.Tensor) -> torch.Tensor:
        h = atom_embeddings.to(torch.promote_types(atom_embeddings.dtype, torch.float32))  # no bf16 readout in DGL
        return self.out(ops.mean_nodes(g, h))


@register_model("alignn", config=ALIGNNConfig,
                recipe={"lr": 1e-3, "optimizer": "adamw", "weight_decay": 1e-5})  # the paper's
def alignn(config: ALIGNNConfig) -> ALIGNN:
    """ALIGNN with the paper's defaults."""
    return ALIGNN(config)
