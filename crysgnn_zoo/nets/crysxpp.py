"""CrysXPP (Das et al., npj Comput. Mater. 8, 43 (2022)).

Written from the paper. CrysXPP is a CGCNN-style property predictor whose
encoder starts from **CrysAE**, a graph autoencoder pre-trained on unlabelled
crystals to reconstruct each atom's features (local) and the crystal's
connectivity (global), and whose input passes through a **feature
selector**: one learnable weight per atom-feature column, shared by all atoms,
initialised to 1 and pulled toward sparsity by an L1 penalty, so that the
weights say which element properties a target depends on.

Published defaults: 64-wide atom vectors, 3 convolutions (CrysAE and
CrysXPP alike). The L1 weight of the selector is a choice made here
(``selector_l1``). :func:`crysgnn_zoo.get_model` starts the encoder from the CrysAE
weights ``crysae-v1`` (pre-trained by this package with
``crysgnn-zoo pretrain --set n_conv=3 --spacegroup-weight 0 --contrastive-weight 0``);
``get_model("crysxpp", pretrained=None)`` starts from random weights.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from crysgnn_zoo.nets.cgcnn import CGCNN, CGCNNConfig
from crysgnn_zoo.nets.registry import register_model

if TYPE_CHECKING:
    from dgl import DGLGraph


@dataclass(frozen=True)
class CrysXPPConfig(CGCNNConfig):
    """CrysXPP hyper-parameters.

    Attributes (besides :class:`CGCNNConfig`'s):
        selector_l1: weight of the L1 penalty on the feature-selector weights.
    """

    selector_l1: float = 1e-4

    RETIRED = ("autoencoder",)  # the pre-trained start is a weight tag of get_model now, not a config field

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_at_least(0, "selector_l1")


class CrysXPP(CGCNN):
    """CGCNN encoder behind a learnable per-feature selector.

    ``embed(g) -> (n_atoms, atom_dim)``; ``forward(g) -> (n_graphs, n_targets)``;
    ``feature_importance()`` -> ``{feature column: |weight|}``.
    """

    def __init__(self, config: CrysXPPConfig | None = None) -> None:
        super().__init__(config or CrysXPPConfig())
        self.selector = nn.Parameter(torch.ones(self.atom_features.dim))

    def atom_inputs(self, g: DGLGraph) -> torch.Tensor:
        """Element features scaled by the learned selector."""
        return self.with_extra_inputs(g, self.atom_features(g.ndata["atomic_number"]) * self.selector)

    def regularization(self) -> torch.Tensor:
        """``selector_l1 * sum |w|``, added to the training loss by the trainer."""
        return self.config.selector_l1 * self.selector.abs().sum()

    def feature_importance(self) -> dict[str, float]:
        from crysgnn_zoo.graphs.features import default_featurizer

        names = default_featurizer().column_names
        return dict(zip(names, self.selector.detach().abs().tolist()))


# distillation settings: chosen on validation in the dev protocol (docs/benchmarks.md)
@register_model("crysxpp", config=CrysXPPConfig, recipe={"lr": 3e-3},  # CrysXPP README default
                pretrained="crysae-v1",
                distill={"alpha": 0.25, "alpha_schedule": "half_decay"})
def crysxpp(config: CrysXPPConfig) -> CrysXPP:
    """CrysXPP; :func:`crysgnn_zoo.get_model` starts its encoder from CrysAE (``crysae-v1``)."""
    return CrysXPP(config)
