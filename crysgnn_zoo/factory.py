"""``get_model``: a registered architecture, its pre-trained start, and an optional teacher.

The one place where a fresh model is put together for training:

1. :func:`~crysgnn_zoo.nets.registry.build_model` builds the architecture from its config;
2. a recipe that starts from pre-trained weights (the registry entry's
   ``pretrained_field``, e.g. CrysXPP's ``autoencoder="crysae-v1"``) gets its encoder
   loaded from that release or checkpoint folder (:mod:`crysgnn_zoo.hub.pretrained`);
3. with ``distill`` the student is wrapped with its frozen teacher
   (:class:`~crysgnn_zoo.distill.DistilledModel`, teacher from
   :func:`~crysgnn_zoo.distill.teachers.load_teacher`).

Loading a saved checkpoint uses step 1 only: its own weights replace any start.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from crysgnn_zoo.config import DistillConfig
from crysgnn_zoo.distill.model import DistilledModel
from crysgnn_zoo.distill.teachers import load_teacher
from crysgnn_zoo.hub.pretrained import load_encoder_weights
from crysgnn_zoo.nets.registry import build_model, model_entry


def get_model(name: str, distill: bool | DistillConfig = False, teacher: Any = "crysgnn-v1", alpha: float = 0.5,
              embedding_scale: str = "global", **overrides: Any) -> nn.Module:
    """A freshly initialised model ``name``; keyword overrides change its config.

    A recipe with a pre-trained start (CrysXPP, ``crysgnn-finetune``) loads the weights its
    config names (set that field to ``None`` for a random start). With ``distill`` (a
    :class:`~crysgnn_zoo.config.DistillConfig`, or ``True`` for one made of ``teacher``,
    ``alpha`` and ``embedding_scale``) the student comes wrapped in a
    :class:`~crysgnn_zoo.distill.DistilledModel` with the frozen teacher: ``config.teacher``
    (a release name or checkpoint folder), or ``teacher`` when it is an encoder module.

    Raises:
        UnknownNameError: unknown name (the message lists the registered ones).
        ConfigError: unknown override (the message lists the valid fields).
    """
    model = with_pretrained_start(build_model(name, None, **overrides))
    if not distill:
        return model
    by_name = isinstance(teacher, (str, bytes)) or hasattr(teacher, "__fspath__")
    if not isinstance(distill, DistillConfig):
        distill = DistillConfig(teacher=str(teacher) if by_name else "crysgnn-v1", alpha=alpha,
                                embedding_scale=embedding_scale)
    return with_teacher(model, distill, encoder=None if by_name else teacher)


def with_pretrained_start(model: nn.Module) -> nn.Module:
    """``model`` with its encoder loaded from the weights its recipe starts from, if any."""
    field = model_entry(model.registry_name).pretrained_field
    source = getattr(model.config, field) if field else None
    if source:
        load_encoder_weights(model, source)
    return model


def with_teacher(model: nn.Module, config: DistillConfig | None = None, encoder: nn.Module | None = None
                 ) -> DistilledModel:
    """``model`` wrapped for distillation as ``config`` says (``encoder``: an already loaded
    teacher module, else ``config.teacher`` is loaded)."""
    config = config or DistillConfig()
    return DistilledModel.from_config(model, encoder if encoder is not None else load_teacher(config.teacher), config)
