"""Knowledge distillation from a frozen CrysGNN teacher into any student."""
from crysgnn_zoo.distill.model import DistilledModel, TeacherEmbeddingCache, embedding_loss

__all__ = ["DistilledModel", "TeacherEmbeddingCache", "embedding_loss"]
