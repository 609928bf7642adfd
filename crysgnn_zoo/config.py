"""Frozen, validated configuration dataclasses with a JSON round-trip.

Each dataclass rejects unknown keys on ``from_dict`` (a typo fails loudly) and
checks its values in ``__post_init__``.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import typing
import types
from typing import Any, Literal, TypeVar

from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.ranges import TargetRange

T = TypeVar("T", bound="JsonConfig")


def choices(cls: type, name: str) -> tuple:
    """The allowed values of field ``name`` of dataclass ``cls`` (its ``Literal[...]``
    annotation, the one place a choice list is written), or ``()`` for a free field."""
    return _choice_table(cls).get(name, ())


@functools.lru_cache(maxsize=None)
def _optional_fields(cls: type) -> frozenset[str]:
    """The fields of ``cls`` annotated ``X | None``."""
    return frozenset(n for n, hint in typing.get_type_hints(cls).items() if type(None) in typing.get_args(hint))


_SCALARS = (bool, int, float, str)


@functools.lru_cache(maxsize=None)
def _scalar_types(cls: type) -> dict[str, tuple[type, ...]]:
    """``{field: accepted types}`` of the fields of ``cls`` annotated with scalars (``int``,
    ``float | None``, ...); an ``int`` is accepted where a ``float`` is asked for."""
    table = {}
    for name, hint in typing.get_type_hints(cls).items():
        options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        if all(o in _SCALARS or o is type(None) for o in options):
            table[name] = tuple(o for o in options) + ((int,) if float in options else ())
    return table


def _type_words(accepted: tuple[type, ...]) -> str:
    words = {bool: "true/false", int: "an integer", float: "a number", str: "text", type(None): "null"}
    if float in accepted:
        accepted = tuple(t for t in accepted if t is not int)
    return " or ".join(dict.fromkeys(words[t] for t in accepted))


@functools.lru_cache(maxsize=None)
def _choice_table(cls: type) -> dict[str, tuple]:
    """``{field: allowed values}`` of the ``Literal`` fields of ``cls``, read once per class."""
    table = {}
    for name, hint in typing.get_type_hints(cls).items():
        for option in [hint, *typing.get_args(hint)]:
            if typing.get_origin(option) is Literal:
                table[name] = typing.get_args(option)
                break
    return table


def field_help(cls: type) -> dict[str, str]:
    """``{field: description}`` from the ``Attributes:`` section of ``cls``'s docstring
    (``a, b: text`` documents both); used for command-line help."""
    doc = (cls.__doc__ or "").split("Attributes:", 1)
    if len(doc) < 2:
        return {}
    out: dict[str, str] = {}
    names: list[str] = []
    for line in doc[1].splitlines():
        m = re.match(r"^\s{4,8}([a-z_][a-z0-9_, ]*):\s*(.*)$", line)
        if m and all(n.strip().isidentifier() for n in m.group(1).split(",")):
            names = [n.strip() for n in m.group(1).split(",")]
            for n in names:
                out[n] = m.group(2).strip()
        elif names and line.strip():
            for n in names:
                out[n] = f"{out[n]} {line.strip()}"
        elif not line.strip() and out:
            names = []
    return {k: plain_text(v) for k, v in out.items()}


def plain_text(text: str) -> str:
    """Docstring markup as a terminal shows it: ``:class:`~a.b.C``` -> ``C``, ``:mod:`a.b``` ->
    ``a.b``, double backquotes dropped."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", lambda m: m.group(1).rsplit(".", 1)[-1]
                  if m.group(0).split("`")[1].startswith("~") else m.group(1), text)
    return text.replace("``", "")


class JsonConfig:
    """Mixin: ``to_dict``/``from_dict``/``to_json``, a stable content hash, and the
    check of ``Literal`` fields against their allowed values."""

    def check_choices(self) -> None:
        """Raise :class:`ConfigError` for a ``Literal`` field holding a value outside its choices
        (``None`` passes where the annotation allows it, ``Literal[...] | None``)."""
        for name, allowed in _choice_table(type(self)).items():
            value = getattr(self, name)
            if value is None and name in _optional_fields(type(self)):
                continue
            if value not in allowed:
                raise ConfigError(f"{type(self).__name__}.{name} must be one of {allowed}, got {getattr(self, name)!r}")

    @classmethod
    def check_types(cls, values: dict[str, Any]) -> None:
        """Raise :class:`ConfigError` for a value of the wrong type among ``values`` (a field
        annotated ``int`` given ``"abc"``, ``true`` or ``2.5``), naming the field and the expected type."""
        accepted = _scalar_types(cls)
        for name, value in values.items():
            types_ = accepted.get(name)
            if types_ is None:
                continue
            wrong_bool = isinstance(value, bool) and bool not in types_
            path = str in types_ and isinstance(value, os.PathLike)  # a path where a file name is asked for
            if wrong_bool or not (path or isinstance(value, types_)):
                raise ConfigError(f"{cls.__name__}.{name} takes {_type_words(types_)}, got {value!r} "
                                  f"({type(value).__name__})")

    def check_at_least(self, minimum: float, *names: str) -> None:
        """Raise :class:`ConfigError` naming the first of ``names`` whose value is below ``minimum``."""
        for name in names:
            value = getattr(self, name)
            if value < minimum:
                raise ConfigError(f"{type(self).__name__}.{name} must be >= {minimum}, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    #: Old field names still read from saved configs: ``{old: new}``.
    RENAMED: typing.ClassVar[dict[str, str]] = {}
    #: Fields of saved configs that are no longer part of the config (ignored on reading).
    RETIRED: typing.ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        data = {cls.RENAMED.get(k, k): v for k, v in data.items() if k not in cls.RETIRED}
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(
                f"unknown {cls.__name__} field(s) {unknown}; valid fields: {sorted(names)}"
            )
        cls.check_types(data)
        return cls(**data)

    def replace(self: T, **changes: Any) -> T:
        names = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigError(
                f"unknown {type(self).__name__} field(s) {unknown}; valid fields: {sorted(names)}"
            )
        self.check_types(changes)
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def fingerprint(self) -> str:
        """Short SHA-256 of the JSON form: equal configs give equal keys."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class GraphConfig(JsonConfig):
    """How a crystal becomes a graph (CGCNN defaults).

    Attributes:
        cutoff: neighbour search radius in Angstrom.
        max_neighbors: keep at most this many nearest neighbours per atom
            (``None`` keeps every neighbour within the cutoff).
        isolated: what to do with an atom that has no neighbour within the
            cutoff. ``"nearest"`` connects it to its nearest atoms, found by
            doubling the radius until at least one appears (at most
            ``max_isolated_radius``) and keeping up to ``max_neighbors`` of
            those; ``"error"`` raises :class:`~crysgnn_zoo.errors.IsolatedAtomsError`.
        max_isolated_radius: largest radius (Angstrom) tried for ``"nearest"``.
    """

    cutoff: float = 8.0
    max_neighbors: int | None = 12
    isolated: Literal["nearest", "error"] = "nearest"
    max_isolated_radius: float = 32.0

    def __post_init__(self) -> None:
        if not self.cutoff > 0:
            raise ConfigError(f"cutoff must be > 0 Angstrom, got {self.cutoff}")
        if self.max_neighbors is not None and self.max_neighbors < 1:
            raise ConfigError(f"max_neighbors must be >= 1 or None, got {self.max_neighbors}")
        self.check_choices()
        if self.max_isolated_radius < self.cutoff:
            raise ConfigError("max_isolated_radius must be >= cutoff")


@dataclasses.dataclass(frozen=True)
class TrainConfig(JsonConfig):
    """Optimisation settings for supervised training.

    Attributes:
        epochs: maximum number of epochs.
        batch_size: crystals per mini-batch.
        lr: peak learning rate.
        weight_decay: L2 penalty (AdamW-style when ``optimizer="adamw"``).
        optimizer: ``adam``, ``adamw`` or ``sgd`` (momentum 0.9).
        scheduler: ``cosine`` (per epoch, to 0 at ``epochs``), ``onecycle``
            (per batch, as in ALIGNN) or ``none``.
        loss: ``mse`` (CGCNN), ``l1`` or ``huber`` on normalised targets, or ``auto``:
            ``huber`` for a zero-inflated target (at least :data:`AUTO_SOFTPLUS_SHARE`, 10 %, of
            the training targets on a bound of its range: energies above hull, band gaps),
            ``mse`` otherwise (chosen on validation, docs/benchmarks.md "Models that learned
            nothing").
        patience: stop after this many epochs without a better validation
            MAE (``None``: never stop early).
        seed: seeds batch order (and the model's initialisation in
            :func:`crysgnn_zoo.train.run.train_model`).
        grad_clip: clip the gradient norm to this value (``None``: no clipping).
        normalize: standardise targets with the training mean and std.
        bn_refresh_batches: before every validation pass, re-estimate the
            BatchNorm running statistics over this many training batches with
            the current weights (0: keep the moving averages; see
            :mod:`crysgnn_zoo.train.batchnorm`).
        precision: ``fp32``, or ``bf16`` to run forward passes under
            bfloat16 autocast (weights, optimiser and loss stay float32).
        compile: run the layers that have one through their ``torch.compile``
            path (ALIGNN's edge-gated convolutions), which fuses the
            edge-sized element-wise work into a few loops; each variant
            compiles on first use (tens of seconds, needs a C++ compiler).
            Not offered for CGCNN: measured slower there (its tensors are
            ~12x smaller than ALIGNN's line-graph ones).
        output_bound: how predictions of a target with a physical range (band gap >= 0) stay in
            it: ``clip`` (train unconstrained, clip predictions to the range), ``softplus``
            (a smooth bound on the de-normalised output, trained as such; then clipped too), or
            ``auto``: ``softplus`` when at least :data:`AUTO_SOFTPLUS_SHARE` (10 %) of the
            training targets lie on a bound (band gaps of metals, energies above hull of stable
            crystals), ``clip`` otherwise (chosen on validation, docs/benchmarks.md "Predictions
            within physical ranges"). No effect on a target without a range.
        freeze_encoder_epochs: for this many first epochs only the readout (the model's
            ``readout_prefixes``: pooling head and output layer) trains and the encoder stays as it
            started; then everything trains (fine-tuning a pre-trained encoder; 0: never frozen).
        backend: the message-passing backend: ``dgl`` (DGL's CPU kernels), ``torch`` (plain torch
            scatter operations, any device), or ``auto``: the environment variable
            ``CRYSGNN_ZOO_BACKEND`` if set, else ``torch`` on a CUDA device and ``dgl`` on the CPU
            (:mod:`crysgnn_zoo.backend`). Both give the same results (tested).
        task: ``regression`` (predict the target), or ``classification``: predict the probability
            that the target lies above ``threshold`` (metal / non-metal: band gap > 0), trained with
            binary cross-entropy (``loss`` and ``normalize`` do not apply), reported with ROC-AUC
            and accuracy (at probability 0.5) beside MAE and R2 of the probability.
        threshold: the classification label is ``target > threshold`` (target units).
        select: which epoch's weights the run keeps: ``mae``, the lowest validation MAE; or
            ``mae_r2``, the lowest validation MAE among the epochs whose validation R2 is above 0
            (the lowest overall while none is). On a zero-inflated target (energy above hull,
            band gap) the lowest MAE can belong to an epoch that predicts the bound for every
            crystal: R2 <= 0, a model that ranks nothing (docs/benchmarks.md "Models that learned
            nothing").
    """

    epochs: int = 100
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    scheduler: Literal["cosine", "onecycle", "none"] = "cosine"
    loss: Literal["auto", "mse", "l1", "huber"] = "auto"
    patience: int | None = 30
    seed: int = 0
    grad_clip: float | None = None
    normalize: bool = True
    bn_refresh_batches: int = 8
    precision: Literal["fp32", "bf16"] = "fp32"
    compile: bool = False
    output_bound: Literal["auto", "clip", "softplus"] = "auto"
    freeze_encoder_epochs: int = 0
    backend: Literal["auto", "dgl", "torch"] = "auto"
    task: Literal["regression", "classification"] = "regression"
    threshold: float = 0.0
    select: Literal["mae", "mae_r2"] = "mae_r2"

    @property
    def task_loss(self) -> str:
        """The loss the task trains with: ``loss`` (``auto`` until the trainer resolves it from the
        training targets), or ``bce`` for classification."""
        return "bce" if self.task == "classification" else self.loss

    def __post_init__(self) -> None:
        if self.freeze_encoder_epochs < 0:
            raise ConfigError("TrainConfig.freeze_encoder_epochs must be >= 0")
        if self.bn_refresh_batches < 0:
            raise ConfigError("TrainConfig.bn_refresh_batches must be >= 0")
        if self.epochs < 1 or self.batch_size < 1 or not self.lr > 0:
            raise ConfigError("epochs and batch_size must be >= 1 and lr > 0")
        self.check_choices()


#: What a student distils with for a DistillConfig field left ``None`` when its registry entry
#: names nothing for it (crysgnn_zoo.distill.defaults): the paper's alpha, the decaying schedule.
DEFAULT_ALPHA = 0.5
DEFAULT_ALPHA_SCHEDULE = "linear_decay"
#: ``TrainConfig.output_bound="auto"`` bounds the output with a softplus when at least this share
#: of the training targets lie on a bound of the target's range.
AUTO_SOFTPLUS_SHARE = 0.10
#: The size rule's clock (DistillConfig.teacher_crystals): the alpha schedule runs over at most
#: this many training crystals seen (epochs x training crystals), 30 epochs over 5,000 crystals.
DEFAULT_TEACHER_CRYSTALS = 150_000
#: Above this many training crystals a run trains without the teacher (DistillConfig.max_train_crystals):
#: between the largest size where distillation lowered CGCNN's validation MAE on the ladder
#: (15,000) and the smallest where it raised it (31,834).
DEFAULT_MAX_TRAIN_CRYSTALS: int | None = 20_000


@dataclasses.dataclass(frozen=True)
class DistillConfig(JsonConfig):
    """How a student is distilled from a frozen teacher; saved with every distilled run.

    The loss is ``(1 - alpha) * task + alpha * embedding_weight * embedding`` where
    ``embedding`` is, per ``objective``:

    - ``spread``: MSE between the projected student and the teacher atom embeddings,
      in units of the teacher's spread over the training crystals (``embedding_scale``:
      ``global``, ``per_dim`` or ``none``);
    - ``normalized``: the reference implementation's objective, MSE between the
      L2-normalised (projected) student and teacher atom embeddings, averaged over the
      atoms of each crystal, then over crystals. It is at most 4/d per element (d the
      teacher's width), so ``embedding_weight`` sets its strength.

    Attributes:
        teacher: release name or checkpoint folder of the teacher encoder.
        alpha: share of the embedding term, in [0, 1] (paper: 0.5). ``None`` (the default):
            the student's own, chosen on validation (its registry entry's ``distill`` dict,
            e.g. 0.25 for CrysXPP; 0.5 for a student that names none); see
            :mod:`crysgnn_zoo.distill.defaults`.
        objective: ``spread`` or ``normalized``.
        embedding_scale: the unit of the ``spread`` objective.
        embedding_weight: multiplier on the embedding term (> 0).
        projection: learn a linear map from the student's width to the teacher's
            (identity-initialised when they match); ``False`` needs equal widths.
        alpha_schedule: how alpha changes over the epochs (:mod:`crysgnn_zoo.distill.schedules`):
            ``linear_decay``, ``alpha * (1 - epoch / epochs)``, so the teacher guides the start
            of training and the task alone its end; ``half_decay`` (the same, reaching 0 at half
            the epochs); ``cosine_decay``; or ``constant`` (the paper's). ``None`` (the
            default): the student's own, chosen on validation (``half_decay`` for CGCNN,
            ``linear_decay`` for the others and for a student that names none).
        teacher_crystals: the size rule. The alpha schedule runs on a clock of at most this many
            training crystals seen (epochs x training crystals, default 150,000 = 30 epochs over
            5,000 crystals): a run that sees more has its schedule compressed into its first
            ``teacher_crystals / n_train`` epochs (:func:`~crysgnn_zoo.distill.schedules.teacher_span`),
            so the more labels, the shorter the teacher's guidance; a run that sees fewer is
            unchanged. ``None``: the schedule spans all epochs whatever the size (runs before the
            rule). Chosen on validation over a ladder of training-set sizes (docs/benchmarks.md).
        max_train_crystals: the size rule's other half: a run with more training crystals than
            this (default 20,000) trains without the teacher, exactly as the vanilla run (recorded
            as ``distill_off`` with the reason), where the labels carry more than the teacher's
            embeddings. ``None``: no limit.
        mode: what carries the teacher into the student, one channel or two joined by ``+``:
            ``embedding`` (the paper's: the atom embeddings, through ``objective``),
            ``crystal`` (the student's mean atom embedding, through its own learned projection,
            against the teacher's, in the same units), ``soft_targets`` (the student's prediction
            against a teacher-side prediction of the target: trees on the teacher's crystal
            embeddings, fitted on the training crystals, each training crystal's value out of
            fold; :mod:`crysgnn_zoo.distill.soft_targets`). The channels' losses add up in the
            embedding term; these modes leave a student that predicts alone. ``input``: the
            teacher's atom embeddings are extra inputs of the student (no embedding term, alpha
            unused), so the teacher runs at prediction time too
            (:class:`~crysgnn_zoo.nets.teacher_input.TeacherInputModel`).
    """

    teacher: str = "crysgnn-v1"
    alpha: float | None = None
    objective: Literal["spread", "normalized"] = "spread"
    embedding_scale: Literal["global", "per_dim", "none"] = "global"
    embedding_weight: float = 1.0
    projection: bool = True
    alpha_schedule: Literal["constant", "linear_decay", "half_decay", "cosine_decay"] | None = None
    teacher_crystals: int | None = DEFAULT_TEACHER_CRYSTALS
    max_train_crystals: int | None = DEFAULT_MAX_TRAIN_CRYSTALS
    mode: Literal["embedding", "crystal", "soft_targets", "embedding+crystal", "embedding+soft_targets",
                  "input"] = "embedding"

    def __post_init__(self) -> None:
        if self.max_train_crystals is not None and self.max_train_crystals < 1:
            raise ConfigError(f"DistillConfig.max_train_crystals must be >= 1 (or None: no limit), "
                              f"got {self.max_train_crystals}")
        if self.teacher_crystals is not None and self.teacher_crystals < 1:
            raise ConfigError(f"DistillConfig.teacher_crystals must be >= 1 (or None: no size rule), "
                              f"got {self.teacher_crystals}")
        if self.alpha is not None and not 0.0 <= self.alpha <= 1.0:
            raise ConfigError(f"DistillConfig.alpha must be in [0, 1], got {self.alpha}")
        self.check_choices()
        if not self.embedding_weight > 0:
            raise ConfigError(f"DistillConfig.embedding_weight must be > 0, got {self.embedding_weight}")


#: What a distilled run recorded before a DistillConfig field existed held this value (runs
#: saved then carry no key for it): read a saved ``distill`` record as ``{**this, **record}``.
DISTILL_RECORDED_BEFORE = {"embedding_scale": "per_dim", "objective": "spread", "embedding_weight": 1.0,
                           "projection": True, "alpha_schedule": "constant", "teacher_crystals": None,
                           "max_train_crystals": None, "mode": "embedding"}


@dataclasses.dataclass(frozen=True)
class PretrainConfig(JsonConfig):
    """Objective weights and optimisation of pre-training.

    Attributes:
        feature_weight, connectivity_weight, spacegroup_weight, contrastive_weight:
            loss weights (0 switches one off).
        contrast_on: which structure label defines contrastive positives.
        temperature: softmax temperature of the contrastive loss.
        negatives_per_edge: sampled non-edges per true edge (``connectivity="sampled"``).
        epochs: passes over the curated set (cosine schedule to 0 at the last).
        batch_size: crystals per step and process.
        lr: Adam's peak learning rate.
        weight_decay: Adam's L2 penalty.
        seed: initialisation, validation hold-out and batch order.
        max_grad_norm: gradient-norm clipping.
        normalize_embeddings: L2-normalise atom embeddings before every head (the reference's
            choice, crysgnn-v2); ``False`` feeds them raw (crysgnn-v1).
        connectivity: ``sampled`` (v1: edges vs sampled non-edges, binary) or ``all_pairs``
            (the reference's: every atom pair of a crystal classified by its number of bonds,
            0..``max_bonds``, with a bilinear scorer; class 0 weighted ``no_bond_weight``).
        max_bonds: highest bond-count class of ``all_pairs`` (more bonds count as this many).
        no_bond_weight: cross-entropy weight of the no-bond class of ``all_pairs`` (the others: 1).
        pool_fraction: share of the training crystals to pre-train on, a subset drawn with ``seed``
            after the held-out crystals are set aside from the whole pool, so teachers of every
            pool size are scored on the same held-out crystals (1.0: all of them).
    """

    feature_weight: float = 1.0
    connectivity_weight: float = 1.0
    spacegroup_weight: float = 1.0
    contrastive_weight: float = 1.0
    contrast_on: Literal["spacegroup", "crystal_system"] = "spacegroup"
    temperature: float = 0.1
    negatives_per_edge: int = 1
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    max_grad_norm: float = 5.0
    normalize_embeddings: bool = False
    connectivity: Literal["sampled", "all_pairs"] = "sampled"
    max_bonds: int = 5
    no_bond_weight: float = 0.1
    pool_fraction: float = 1.0

    def __post_init__(self) -> None:
        self.check_choices()
        if self.max_bonds < 1 or not self.no_bond_weight > 0:
            raise ConfigError("max_bonds must be >= 1 and no_bond_weight > 0")
        if not 0 < self.pool_fraction <= 1:
            raise ConfigError(f"PretrainConfig.pool_fraction must be in (0, 1], got {self.pool_fraction}")
        weights = [self.feature_weight, self.connectivity_weight, self.spacegroup_weight, self.contrastive_weight]
        if min(weights) < 0 or sum(weights) == 0:
            raise ConfigError("objective weights must be >= 0 and not all 0")


@dataclasses.dataclass(frozen=True)
class RunConfig(JsonConfig):
    """One supervised training run: what :func:`crysgnn_zoo.train_model` takes (as this object or
    as keywords), what ``crysgnn-zoo train`` builds from its options (or reads with ``--config``),
    and what every run folder keeps as ``run.json``.

    Attributes:
        data: data set name, file or folder (``crysgnn-zoo datasets`` lists the names).
        target: target column, e.g. formation_energy_per_atom.
        model: registry name (None: cgcnn, or the architecture of the init weights).
        model_overrides: model config fields to change, e.g. {"n_conv": 4}.
        pretrained: the weights a recipe with a pre-trained start begins from: default (the
            recipe's: CrysXPP crysae-v1, crysgnn-finetune crysgnn-v1), a release name or
            checkpoint folder, or None (a random start).
        init: start from released weights (a name) or a checkpoint folder (fine-tuning; a new
            output layer when the target differs from theirs).
        max_samples: draw this many crystals first (seeded by split_seed; None: all).
        split_sizes: train, val, test as fractions (0.8, 0.1, 0.1) or counts (8000, 1000, 1000).
        split_seed: seed of the split and of the max_samples draw.
        exclude: a data set (name, file or folder) whose crystal ids this run leaves out before the
            draw and split, e.g. ``mp_expt_hf`` to train on MP without the crystals that have
            measured values (None: none); the count is recorded.
        target_range: the physical range of the target's values, ``MIN:MAX`` on the command line
            (``0:`` for a band gap; None: the data set card's, if it declares one); predictions stay in it.
        heap: freed memory: trim hands it back to the OS every few seconds (smallest resident
            size); retain keeps it for reuse (faster ALIGNN steps, more memory). Same results.
        cache_teacher: compute the teacher's atom embeddings once, before training.
        graph_config: how crystals become graphs (GraphConfig).
        train_config: optimisation (TrainConfig).
        distill: distillation settings (DistillConfig; None: a vanilla run).
    """

    data: str = ""
    target: str = ""
    model: str | None = None
    model_overrides: dict = dataclasses.field(default_factory=dict)
    pretrained: str | None = "default"
    init: str | None = None
    max_samples: int | None = None
    split_sizes: tuple[float, float, float] = (0.8, 0.1, 0.1)
    split_seed: int = 0
    exclude: str | None = None
    target_range: tuple[float | None, float | None] | None = None
    heap: Literal["trim", "retain"] = "trim"
    cache_teacher: bool = True
    graph_config: GraphConfig = dataclasses.field(default_factory=GraphConfig)
    train_config: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    distill: DistillConfig | None = None

    def __post_init__(self) -> None:
        self.check_choices()
        nested = {"graph_config": GraphConfig, "train_config": TrainConfig, "distill": DistillConfig}
        for name, cls in nested.items():  # accept dicts (JSON) and ``distill=True``
            value = getattr(self, name)
            if name == "distill" and value in (True, False):
                value = DistillConfig() if value else None
            elif value is None and name != "distill":
                value = cls()
            elif isinstance(value, dict):
                value = cls.from_dict(value)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "split_sizes", tuple(self.split_sizes))
        if self.target_range is not None:
            rng = TargetRange.from_json(self.target_range, "RunConfig.target_range")
            object.__setattr__(self, "target_range", tuple(rng.to_json()) if rng else None)
        object.__setattr__(self, "model_overrides", dict(self.model_overrides or {}))
        if self.init is not None:
            object.__setattr__(self, "init", str(self.init))
        if len(self.split_sizes) != 3:
            raise ConfigError(f"RunConfig.split_sizes takes three numbers (train, val, test), got {self.split_sizes}")
        if self.max_samples is not None and self.max_samples < 1:
            raise ConfigError(f"RunConfig.max_samples must be >= 1, got {self.max_samples}")


#: Choice lists, read from the config annotations (written once, there).
EMBEDDING_SCALES = choices(DistillConfig, "embedding_scale")
DISTILL_OBJECTIVES = choices(DistillConfig, "objective")
ALPHA_SCHEDULES = choices(DistillConfig, "alpha_schedule")
DISTILL_MODES = choices(DistillConfig, "mode")
HEAP_POLICIES = choices(RunConfig, "heap")
