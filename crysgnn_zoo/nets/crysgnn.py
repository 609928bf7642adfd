"""CrysGNN teacher encoder (Das et al., AAAI 2023).

The paper's teacher is a deep CGCNN-style network: 5 gated graph
convolutions with 64-wide atom vectors, pre-trained without labels (see
:mod:`crysgnn_zoo.pretrain`). Its per-atom embeddings (``embed``) are what
students are distilled toward. With a head (``forward``) it is also the
fine-tuning baseline the paper compares distillation against.
"""
from __future__ import annotations

from dataclasses import dataclass

from crysgnn_zoo.nets.cgcnn import CGCNN, CGCNNConfig
from crysgnn_zoo.nets.registry import register_model


@dataclass(frozen=True)
class CrysGNNConfig(CGCNNConfig):
    """CGCNN hyper-parameters with the CrysGNN paper's depth (5 convolutions, 64 wide)."""

    atom_dim: int = 64
    n_conv: int = 5


class CrysGNN(CGCNN):
    """Deep gated-convolution encoder: ``embed(g) -> (n_atoms, 64)``."""

    def __init__(self, config: CrysGNNConfig | None = None) -> None:
        super().__init__(config or CrysGNNConfig())


@register_model("crysgnn", config=CrysGNNConfig)
def crysgnn(config: CrysGNNConfig) -> CrysGNN:
    """The CrysGNN architecture with a fresh (random) initialisation."""
    return CrysGNN(config)


@dataclass(frozen=True)
class CrysGNNFinetuneConfig(CrysGNNConfig):
    """The fine-tuning baseline: the teacher's encoder (all of it trainable) plus a fresh head.

    Its fields are :class:`CrysGNNConfig`'s (which must match the teacher's);
    :func:`~crysgnn_zoo.get_model` starts the encoder from ``crysgnn-v1`` (``pretrained=``
    another release or checkpoint folder, or ``None`` for plain ``crysgnn``).
    """

    RETIRED = ("encoder",)  # the pre-trained start is a weight tag of get_model now, not a config field


@register_model("crysgnn-finetune", config=CrysGNNFinetuneConfig, pretrained="crysgnn-v1")
def crysgnn_finetune(config: CrysGNNFinetuneConfig) -> CrysGNN:
    """CrysGNN whose encoder :func:`crysgnn_zoo.get_model` starts from the teacher's (the head starts fresh)."""
    return CrysGNN(config)
