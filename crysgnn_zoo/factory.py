"""``get_model``: a registered architecture, its pre-trained start, and an optional teacher.

The one place where a fresh model is put together for training:

1. :func:`~crysgnn_zoo.nets.registry.build_model` builds the architecture from its config;
2. a recipe that starts from pre-trained weights (the registry entry's ``pretrained`` weight
   tag, e.g. CrysXPP's ``crysae-v1``; ``pretrained=`` picks another release or checkpoint
   folder, ``None`` a random start) gets its encoder loaded (:mod:`crysgnn_zoo.hub.pretrained`);
3. with ``distill`` the student is wrapped with its frozen teacher
   (:class:`~crysgnn_zoo.distill.DistilledModel`, teacher from
   :func:`~crysgnn_zoo.distill.teachers.load_teacher`).

Loading a saved checkpoint uses step 1 only: its own weights replace any start.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn

from crysgnn_zoo.config import DistillConfig, GraphConfig, JsonConfig, TrainConfig
from crysgnn_zoo.distill.defaults import for_student
from crysgnn_zoo.distill.model import DistilledModel
from crysgnn_zoo.distill.teachers import load_teacher
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.hub.pretrained import load_encoder_weights
from crysgnn_zoo.hub.resolve import released_models
from crysgnn_zoo.nets.registry import build_model, list_models, model_entry
from crysgnn_zoo.nets.teacher_input import TeacherInputModel


#: ``pretrained=DEFAULT_START``: the registry entry's own pre-trained start.
DEFAULT_START = "default"


def get_model(name: str, distill: bool | DistillConfig = False, teacher: Any = None, alpha: float | None = None,
              embedding_scale: str | None = None, pretrained: str | None = DEFAULT_START, **overrides: Any) -> nn.Module:
    """A freshly initialised model ``name``; keyword overrides change its config.

    A recipe with a pre-trained start (CrysXPP, ``crysgnn-finetune``) loads its encoder from
    the recipe's weights, or from ``pretrained`` (a release name or checkpoint folder; ``None``:
    a random start). With ``distill`` (a
    :class:`~crysgnn_zoo.config.DistillConfig`, or ``True`` for the default one with
    ``teacher``, ``alpha`` and ``embedding_scale`` replaced where given) the student comes
    wrapped in a :class:`~crysgnn_zoo.distill.DistilledModel` with the frozen teacher:
    ``config.teacher`` (a release name or checkpoint folder), or ``teacher`` when it is an
    encoder module.

    Raises:
        UnknownNameError: unknown name (the message lists the registered ones).
        ConfigError: unknown override (the message lists the valid fields).
    """
    model = with_pretrained_start(build_model(name, None, **overrides), pretrained)
    if not distill:
        return model
    by_name = isinstance(teacher, (str, bytes)) or hasattr(teacher, "__fspath__")
    if not isinstance(distill, DistillConfig):
        given = {"teacher": str(teacher) if by_name else None, "alpha": alpha, "embedding_scale": embedding_scale}
        distill = DistillConfig(**{k: v for k, v in given.items() if v is not None})
    return with_teacher(model, distill, encoder=None if teacher is None or by_name else teacher)


def pretrained_start(name: str, pretrained: str | None = DEFAULT_START) -> str | None:
    """The weights model ``name``'s encoder starts from (``None``: a random start).

    Raises:
        ConfigError: ``pretrained`` given for an architecture without a pre-trained start.
    """
    default = model_entry(name).pretrained
    if pretrained == DEFAULT_START:
        return default
    if pretrained is not None and default is None:
        with_start = [m for m in list_models() if model_entry(m).pretrained]
        raise ConfigError(f"{name!r} has no pre-trained start (pretrained={pretrained!r}); models with one: "
                          f"{', '.join(with_start)}")
    return pretrained


def with_pretrained_start(model: nn.Module, pretrained: str | None = DEFAULT_START) -> nn.Module:
    """``model`` with its encoder loaded from ``pretrained_start(model's name, pretrained)``, if any."""
    source = pretrained_start(model.registry_name, pretrained)
    if source:
        load_encoder_weights(model, source)
    model.pretrained_start = source
    return model


def with_teacher(model: nn.Module, config: DistillConfig | None = None, encoder: nn.Module | None = None
                 ) -> DistilledModel | TeacherInputModel:
    """``model`` wrapped for distillation as ``config`` says (``encoder``: an already loaded
    teacher module, else ``config.teacher`` is loaded). The ``input`` mode rebuilds the student
    with the teacher's width of extra atom inputs (every tensor of ``model`` whose shape is
    unchanged is kept, so a pre-trained start survives but for its first layer)."""
    config = config or DistillConfig()
    teacher = encoder if encoder is not None else load_teacher(config.teacher)
    if config.mode != "input":
        return DistilledModel.from_config(model, teacher, config)
    if getattr(teacher, "embed_store", None) is not None:
        raise ConfigError(f"mode 'input' needs a teacher that embeds a batch (a release or checkpoint); "
                          f"{config.teacher} embeds whole stores only")
    student = build_model(model.registry_name, {**model.config.to_dict(), "extra_atom_inputs": teacher.embedding_dim})
    mine = student.state_dict()
    student.load_state_dict({k: v for k, v in model.state_dict().items() if k in mine and mine[k].shape == v.shape},
                            strict=False)
    student.pretrained_start = getattr(model, "pretrained_start", None)
    return TeacherInputModel(student, teacher, str(config.teacher))


@dataclass(frozen=True)
class ReleasedWeights:
    """One released weight set of an architecture: ``cz.load_model(name)`` loads it, verified."""

    name: str
    target: str | None  # None: an encoder (a teacher or a pre-trained start)
    sha256: str  # of weights.pt
    summary: str  # what it predicts and its test MAE, with units


@dataclass(frozen=True)
class ModelSpec:
    """Everything a registry name stands for, in one typed view (``cz.model_spec("cgcnn")``):
    its architecture config, the graphs it is trained on, its recommended optimiser
    (:class:`~crysgnn_zoo.config.TrainConfig`), the :class:`~crysgnn_zoo.config.DistillConfig` its
    distillation resolves to, the pre-trained start it begins from and the released weights of
    the installed weights package."""

    name: str
    summary: str
    config: JsonConfig
    graph: GraphConfig
    recipe: TrainConfig
    distill: DistillConfig
    pretrained: str | None
    weights: tuple[ReleasedWeights, ...]


def model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of registry name ``name``.

    Raises:
        UnknownNameError: unknown name (the message lists the registered ones).
    """
    entry = model_entry(name)
    weights = tuple(ReleasedWeights(card["name"], (card.get("data") or {}).get("target"), card.get("sha256", ""),
                                    card["summary"])
                    for card in released_models() if card.get("architecture") == name)
    return ModelSpec(name=name, summary=entry.summary, config=entry.config_cls(), graph=GraphConfig(),
                     recipe=TrainConfig(**(entry.recipe or {})), distill=for_student(DistillConfig(), name),
                     pretrained=entry.pretrained, weights=weights)
