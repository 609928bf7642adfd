"""Architectures. Importing this package registers every built-in model."""
from __future__ import annotations

from crysgnn_zoo._lazy import lazy_exports

_EXPORTS = {
    "ALIGNN": "alignn",
    "ALIGNNConfig": "alignn",
    "AtomEncoderModel": "base",
    "CGCNN": "cgcnn",
    "CGCNNConfig": "cgcnn",
    "CrysGNN": "crysgnn",
    "CrysGNNConfig": "crysgnn",
    "CrysGNNFinetuneConfig": "crysgnn",
    "CrysXPP": "crysxpp",
    "CrysXPPConfig": "crysxpp",
    "GATGNN": "gatgnn",
    "GATGNNConfig": "gatgnn",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "ALIGNN", "ALIGNNConfig", "AtomEncoderModel", "CGCNN", "CGCNNConfig", "CrysGNN", "CrysGNNConfig",
    "CrysGNNFinetuneConfig", "CrysXPP", "CrysXPPConfig", "GATGNN", "GATGNNConfig",
]
