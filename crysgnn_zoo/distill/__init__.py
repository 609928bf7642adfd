"""Knowledge distillation from a frozen teacher (a CrysGNN release or a foundation model) into any student."""
from crysgnn_zoo.distill.model import DistilledModel, TeacherEmbeddingCache
from crysgnn_zoo.distill.objectives import embedding_loss, normalized_embedding_loss
from crysgnn_zoo.distill.teachers import load_teacher, teacher_card

__all__ = ["DistilledModel", "TeacherEmbeddingCache", "embedding_loss", "load_teacher", "normalized_embedding_loss",
           "teacher_card"]
