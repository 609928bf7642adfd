"""Knowledge distillation from a frozen teacher (a CrysGNN release or a foundation model) into any student."""
from __future__ import annotations

from crysgnn_zoo._lazy import lazy_exports

_EXPORTS = {
    "DistilledModel": "model",
    "TeacherEmbeddingCache": "model",
    "embedding_loss": "objectives",
    "normalized_embedding_loss": "objectives",
    "load_teacher": "teachers",
    "teacher_card": "teachers",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["DistilledModel", "TeacherEmbeddingCache", "embedding_loss", "load_teacher", "normalized_embedding_loss",
           "teacher_card"]
