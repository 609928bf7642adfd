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

from crysgnn_zoo.config import DistillConfig, JsonConfig
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


def get_model(name: str, distill: bool | DistillConfig = False, teacher: Any = "crysgnn-v1", alpha: float = 0.5,
              embedding_scale: str = "global", **overrides: Any):
    """A freshly initialised model ``name``; keyword overrides change its config.

    With ``distill`` (a :class:`~crysgnn_zoo.config.DistillConfig`, or ``True`` for one
    made of ``teacher``, ``alpha`` and ``embedding_scale``) the student comes wrapped in a
    :class:`~crysgnn_zoo.distill.DistilledModel` with the frozen teacher: ``config.teacher``
    (a release name or checkpoint folder), or ``teacher`` when it is an encoder module.

    Raises:
        UnknownNameError: unknown name (the message lists the registered ones).
        ConfigError: unknown override (the message lists the valid fields).
    """
    model = build_model(name, None, **overrides)
    if not distill:
        return model
    by_name = isinstance(teacher, (str, bytes)) or hasattr(teacher, "__fspath__")
    if not isinstance(distill, DistillConfig):
        distill = DistillConfig(teacher=str(teacher) if by_name else "crysgnn-v1", alpha=alpha,
                                embedding_scale=embedding_scale)
    return with_teacher(model, distill, encoder=None if by_name else teacher)


def with_teacher(model, config: DistillConfig | None = None, encoder=None):
    """``model`` wrapped for distillation as ``config`` says (``encoder``: an already loaded
    teacher module, else ``config.teacher`` is loaded)."""
    from crysgnn_zoo.distill import DistilledModel
    from crysgnn_zoo.hub.resolve import load_teacher

    config = config or DistillConfig()
    return DistilledModel.from_config(model, encoder if encoder is not None else load_teacher(config.teacher), config)
