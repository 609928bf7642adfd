"""Architectures. Importing this package registers every built-in model."""
from crysgnn_zoo.nets.alignn import ALIGNN, ALIGNNConfig
from crysgnn_zoo.nets.base import AtomEncoderModel
from crysgnn_zoo.nets.cgcnn import CGCNN, CGCNNConfig
from crysgnn_zoo.nets.crysgnn import CrysGNN, CrysGNNConfig

__all__ = ["ALIGNN", "ALIGNNConfig", "AtomEncoderModel", "CGCNN", "CGCNNConfig", "CrysGNN", "CrysGNNConfig"]
