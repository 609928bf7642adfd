"""Architectures. Importing this package registers every built-in model."""
from crysgnn_zoo.nets.alignn import ALIGNN, ALIGNNConfig
from crysgnn_zoo.nets.base import AtomEncoderModel
from crysgnn_zoo.nets.cgcnn import CGCNN, CGCNNConfig
from crysgnn_zoo.nets.crysgnn import CrysGNN, CrysGNNConfig, CrysGNNFinetuneConfig
from crysgnn_zoo.nets.crysxpp import CrysXPP, CrysXPPConfig
from crysgnn_zoo.nets.gatgnn import GATGNN, GATGNNConfig

__all__ = [
    "ALIGNN", "ALIGNNConfig", "AtomEncoderModel", "CGCNN", "CGCNNConfig", "CrysGNN", "CrysGNNConfig",
    "CrysGNNFinetuneConfig", "CrysXPP", "CrysXPPConfig", "GATGNN", "GATGNNConfig",
]
