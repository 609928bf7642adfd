"""Model registry: name -> builder, with config dataclasses and helpful errors.

    @register_model("cgcnn", config=CGCNNConfig)
    def cgcnn(config: CGCNNConfig) -> CGCNN: ...

``get_model("cgcnn", n_conv=4)`` builds it with overrides; an unknown name or
override fails with the valid choices (and a near match).
"""
from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass
from typing import Any, Callable

from crysgnn_zoo.config import JsonConfig
from crysgnn_zoo.errors import UnknownNameError


@dataclass(frozen=True)
class ModelEntry:
    name: str
    builder: Callable[[Any], Any]
    config_cls: type[JsonConfig]
    summary: str
    init_field: str | None = None  # config field naming weights the builder loads (None: none)


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(name: str, config: type[JsonConfig], summary: str = "", init_field: str | None = None) -> Callable:
    """Decorator adding a builder ``fn(config) -> nn.Module`` under ``name``.

    ``init_field``: the config field (if any) naming pre-trained weights the
    builder starts from; checkpoint loading sets it to ``None`` (the saved
    weights replace them anyway).
    """

    def wrap(fn: Callable) -> Callable:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered (by {_REGISTRY[name].builder})")
        _REGISTRY[name] = ModelEntry(name, fn, config, summary or (fn.__doc__ or "").strip().split("\n")[0], init_field)
        return fn

    return wrap


def _ensure_loaded() -> None:
    import crysgnn_zoo.nets  # noqa: F401 - registers the built-in models


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style ``pattern``, sorted."""
    _ensure_loaded()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def model_entry(name: str) -> ModelEntry:
    _ensure_loaded()
    if name not in _REGISTRY:
        near = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise UnknownNameError(f"unknown model {name!r}{hint}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def model_config(name: str, **overrides: Any) -> JsonConfig:
    """The default config of model ``name`` with ``overrides`` applied."""
    entry = model_entry(name)
    return entry.config_cls().replace(**overrides)  # type: ignore[attr-defined]


def build_model(name: str, config: JsonConfig | dict | None = None, **overrides: Any):
    """Build ``name`` from a config (object or dict) plus overrides."""
    entry = model_entry(name)
    if config is None:
        cfg = entry.config_cls()
    elif isinstance(config, dict):
        cfg = entry.config_cls.from_dict(config)
    else:
        cfg = config
    if overrides:
        cfg = cfg.replace(**overrides)  # type: ignore[attr-defined]
    model = entry.builder(cfg)
    model.registry_name = name
    return model


def get_model(name: str, distill: bool = False, teacher: Any = "crysgnn-v1", alpha: float = 0.5,
              embedding_scale: str = "global", **overrides: Any):
    """A freshly initialised model ``name``; keyword overrides change its config.

    With ``distill=True`` the student comes wrapped in a
    :class:`~crysgnn_zoo.distill.DistilledModel` with the frozen ``teacher``
    (a release name, a checkpoint folder, or an encoder module): training it
    adds ``alpha`` x the atom-embedding MSE to ``(1 - alpha)`` x the task loss,
    measured in ``embedding_scale`` units (``global``, ``per_dim`` or ``none``; see
    :func:`~crysgnn_zoo.distill.model.teacher_scale`).

    Raises:
        KeyError: unknown name (the message lists the registered ones).
        ValueError: unknown override (the message lists the valid fields).
    """
    model = build_model(name, None, **overrides)
    return with_teacher(model, teacher, alpha, embedding_scale) if distill else model


def with_teacher(model, teacher: Any = "crysgnn-v1", alpha: float = 0.5, embedding_scale: str = "global"):
    """``model`` wrapped for distillation from ``teacher`` (see :func:`get_model`)."""
    from crysgnn_zoo.distill import DistilledModel
    from crysgnn_zoo.hub.resolve import load_teacher

    encoder = load_teacher(teacher) if isinstance(teacher, (str, bytes)) or hasattr(teacher, "__fspath__") else teacher
    return DistilledModel(model, encoder, alpha=alpha, scale=embedding_scale)
