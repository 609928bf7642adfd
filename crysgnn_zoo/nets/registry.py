"""Model registry: name -> builder, with config dataclasses and helpful errors.

    @register_model("cgcnn", config=CGCNNConfig)
    def cgcnn(config: CGCNNConfig) -> CGCNN: ...

``build_model("cgcnn", n_conv=4)`` builds it with overrides; an unknown name or
override fails with the valid choices (and a near match). Builders only build:
pre-trained starts (the entry's ``pretrained`` weight tag) and distillation are applied by
:func:`crysgnn_zoo.factory.get_model`, above the weight loaders. The built-in
architectures are listed in :data:`BUILTINS` (module and summary), so they can be
listed without importing torch; each module is imported, and so registers its
architecture, the first time the architecture is asked for.
"""
from __future__ import annotations

import difflib
import fnmatch
import importlib
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
    pretrained: str | None = None  # weight tag the recipe's encoder starts from (None: a random start)
    distill: dict | None = None  # DistillConfig fields this student distils with when left None
    recipe: dict | None = None  # TrainConfig fields of its published optimiser (crysgnn_zoo.train.recipes)


_REGISTRY: dict[str, ModelEntry] = {}

#: built-in architecture -> (the module that registers it, its one-line summary)
BUILTINS: dict[str, tuple[str, str]] = {
    "alignn": ("crysgnn_zoo.nets.alignn",
               "ALIGNN (Choudhary & DeCost 2021), edge-gated convolutions on bond and bond-angle graphs"),
    "cgcnn": ("crysgnn_zoo.nets.cgcnn",
              "CGCNN (Xie & Grossman 2018), gated graph convolutions"),
    "crysgnn": ("crysgnn_zoo.nets.crysgnn",
                "CrysGNN encoder (5-layer gated convolutions) with a property head, trained from scratch"),
    "crysgnn-finetune": ("crysgnn_zoo.nets.crysgnn",
                         "the paper's fine-tuning baseline: pre-trained CrysGNN encoder + new head, all fine-tuned"),
    "crysxpp": ("crysgnn_zoo.nets.crysxpp",
                "CrysXPP (Das et al. 2022), CrysAE-pre-trained CGCNN encoder + feature selector"),
    "gatgnn": ("crysgnn_zoo.nets.gatgnn",
               "GATGNN (Louis et al. 2020), augmented graph attention + global attention pooling"),
}


def register_model(name: str, config: type[JsonConfig], summary: str = "",
                   pretrained: str | None = None, distill: dict | None = None,
                   recipe: dict | None = None) -> Callable:
    """Decorator adding a builder ``fn(config) -> nn.Module`` under ``name``.

    ``pretrained``: the weight tag (a release name) whose encoder a fresh model of this recipe
    starts from (CrysXPP: ``crysae-v1``); :func:`crysgnn_zoo.factory.get_model` loads it, the
    builder never does, and a saved model's config never names it. ``distill``: the
    :class:`~crysgnn_zoo.config.DistillConfig` fields (``alpha``, ``alpha_schedule``) this
    student distils with when the user leaves them ``None``, chosen on validation
    (:mod:`crysgnn_zoo.distill.defaults`). ``recipe``: the
    :class:`~crysgnn_zoo.config.TrainConfig` fields of the student's published optimiser
    (:func:`crysgnn_zoo.train.recipes.recipe`). One entry thus holds everything a name stands for:
    builder, config, pre-trained start, training recipe and distillation settings.
    """

    def wrap(fn: Callable) -> Callable:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered (by {_REGISTRY[name].builder})")
        summary_ = summary or BUILTINS.get(name, ("", ""))[1] or (fn.__doc__ or "").strip().split("\n")[0]
        _REGISTRY[name] = ModelEntry(name, fn, config, summary_, pretrained, dict(distill or {}), dict(recipe or {}))
        return fn

    return wrap


def list_models(pattern: str = "*") -> list[str]:
    """Model names (built-in and registered) matching a shell-style ``pattern``, sorted."""
    return sorted(n for n in set(_REGISTRY) | set(BUILTINS) if fnmatch.fnmatch(n, pattern))


def model_summary(name: str) -> str:
    """One line on model ``name`` (a built-in's without importing it)."""
    return BUILTINS[name][1] if name in BUILTINS else model_entry(name).summary


def model_entry(name: str) -> ModelEntry:
    if name not in _REGISTRY and name in BUILTINS:
        importlib.import_module(BUILTINS[name][0])  # registers it
    if name not in _REGISTRY:
        known = list_models()
        near = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise UnknownNameError(f"unknown model {name!r}{hint}; available: {', '.join(known)}")
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
