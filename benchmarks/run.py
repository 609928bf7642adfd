"""Reproduce the CrysGNN paper's MAE table: every student, vanilla and distilled.

    python -m benchmarks.run --dataset perov_5 --profile quick
    python -m benchmarks.run --dataset mp --profile quick --models cgcnn,alignn --seeds 0,1,2
    python -m benchmarks.run --dataset mp --data-path mp.2018.6.1.json --profile paper
    python -m benchmarks.run --dataset jarvis --data-path dft_3d.json
    python -m benchmarks.run --dataset mp --models crysxpp --pretrained none --out benchmarks/results/crysxpp_from_scratch/mp

``--dataset mp`` runs the paper's MP rows on an MP 2018.6.1 JSON when
``--data-path`` is given, otherwise on ``mp_37k`` from the shared data sets
(the table says which); ``--dataset jarvis`` runs the paper's JARVIS rows on
``dft_3d`` (jarvis-tools download, or ``--data-path``); any other name is a
data set folder (``CRYSGNN_ZOO_DATASETS``, default ../shared/datasets) run
with the targets its ``dataset.json`` maps to paper rows, else its first.

For every property x student x seed it trains the student vanilla and then
distilled from the teacher, on the same split (seeded by the seed), with the
same budget. Each run trains in ``<runs>/<property>/<student>/<mode>/seed<k>``
(checkpoints and resume state, outside git: ``runs/benchmarks/<out below
benchmarks/results>``, or ``--runs-dir``) and is skipped when its record exists,
continued when interrupted. After every run ``runs.jsonl`` (the experiment, then
every run's config, split seed and hash, metrics and per-epoch history:
:mod:`benchmarks.records`), ``table.md`` and ``plot.png`` under ``<out>`` (default
``runs/results/<dataset>``; ``--out benchmarks/results/<dataset>`` updates the committed results) are rewritten. ``--set key=value`` changes
every listed student's config (an ablation; use its own ``--out``).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from crysgnn_zoo.progress import bar as progress_bar

from benchmarks.protocol import (JARVIS_TARGETS, MP_PAPER_SPLIT, MP_TARGETS, PAPER_TABLE, PROFILES, STUDENTS, Profile,
                                 RowMap, paper_mean_change, row_from_card, train_config)
from benchmarks.records import read_records, run_key, run_record, write_records
from crysgnn_zoo.cli import parse_overrides
from crysgnn_zoo.config import (DISTILL_RECORDED_BEFORE, HEAP_POLICIES, DistillConfig, GraphConfig, TrainConfig,
                                choices)
from crysgnn_zoo.data.errors import SourceNotFoundError
from crysgnn_zoo.data.sources import Source, jarvis_source, mp_source, open_source
from crysgnn_zoo.distill.defaults import for_student, settings_text
from crysgnn_zoo.distill.schedules import teacher_off_reason, teacher_span
from crysgnn_zoo.distill.teachers import teacher_card
from crysgnn_zoo.errors import CrysgnnZooError, UnknownNameError
from crysgnn_zoo.graphs.build import build_store
from crysgnn_zoo.graphs.select import select_target
from crysgnn_zoo.nets.losses import resolve_task_loss
from crysgnn_zoo.nets.registry import model_config
from crysgnn_zoo.options import add_config_options, config_from_args
from crysgnn_zoo.train.run import train_model

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = RESULTS.parents[1] / "runs" / "benchmarks"
MODES = ("vanilla", "distilled")


class BenchmarkDataError(RuntimeError):
    """The requested data cannot be reached; the message says what to do instead."""


@dataclass(frozen=True)
class Task:
    """One property of one data set, and the paper row it maps to."""

    target: str
    unit: str
    row: RowMap


@dataclass(frozen=True)
class Plan:
    source: Source
    data_label: str  # what the table says the data is
    tasks: list[Task]
    paper_split: tuple[float, float, float] | None = None  # counts, for MP's paper protocol


def offline_jarvis_message(reason: str) -> str:
    return (
        "JARVIS-DFT dft_3d is not reachable here: " + reason + ". "
        "Pass a local copy with --data-path dft_3d.json (the jarvis-tools JSON). "
        "Offline analogs of some JARVIS rows are available: "
        "`--dataset mp_ehull` (MP energy above hull, analog of JARVIS Ehull) and "
        "`--dataset mp_elastic` (MP VRH bulk/shear moduli, analogs of JARVIS Kv/Gv)."
    )


def plan_for(dataset: str, data_path: str | None, properties: list[str] | None) -> Plan:
    """Resolve ``--dataset``/``--data-path`` into a source and its tasks."""
    if dataset == "jarvis":
        try:
            source = jarvis_source("dft_3d", path=data_path)
        except (SourceNotFoundError, ImportError) as exc:
            raise BenchmarkDataError(offline_jarvis_message(str(exc))) from None
        label = f"JARVIS-DFT dft_3d ({data_path or 'jarvis-tools download'})"
        mapping = {t: RowMap(r, False) for t, r in JARVIS_TARGETS.items() if t in source.targets}
        return Plan(source, label, _tasks(source, mapping, properties))
    if dataset == "mp":
        if data_path:
            source = mp_source(data_path)
            label, analog = f"MP 2018.6.1 file {data_path}", False
        else:
            source = open_source("mp_37k")
            label, analog = "mp_37k (36,737 MP crystals; older, smaller snapshot than the paper's MP 2018.6.1)", True
        mapping = {t: RowMap(r, analog) for t, r in MP_TARGETS.items() if t in source.targets}
        return Plan(source, label, _tasks(source, mapping, properties), paper_split=MP_PAPER_SPLIT)
    source = open_source(data_path or dataset)
    card_targets = (source.card or {}).get("targets", {})
    mapping = {t: row_from_card(card_targets.get(t, {})) for t in source.targets}
    names = properties or [t for t, m in mapping.items() if m.row] or [next(iter(source.targets))]
    return Plan(source, f"{source.name} ({source.kind})", _tasks(source, mapping, names))


def _tasks(source: Source, mapping: dict[str, RowMap], properties: list[str] | None) -> list[Task]:
    names = properties or list(mapping)
    unknown = [t for t in names if t not in source.targets]
    if unknown:
        raise UnknownNameError(f"{source.name} has no target(s) {unknown}; available: {sorted(source.targets)}")
    tasks = []
    for t in names:
        row = mapping.get(t, RowMap(None, False))
        unit = source.unit(t) or (PAPER_TABLE[row.row][0] if row.row in PAPER_TABLE else "")
        tasks.append(Task(t, unit, row))
    return tasks


def split_counts(n: int, profile: Profile, paper_split: tuple | None, max_train: int | None) -> tuple[int, int, int]:
    """Train/val/test counts for ``n`` labelled crystals under ``profile``."""
    split = paper_split if (profile.name == "paper" and paper_split) else profile.split
    if sum(split) <= 1.0 + 1e-9:
        counts = [int(round(f * n)) for f in split]
    else:
        scale = min(1.0, n / sum(split))
        counts = [int(c * scale) for c in split]
    counts[0] = n - counts[1] - counts[2] if sum(split) <= 1.0 + 1e-9 else counts[0]
    caps = (max_train or profile.max_train, profile.max_val, profile.max_test)
    return tuple(min(c, cap) if cap else c for c, cap in zip(counts, caps))  # type: ignore[return-value]


def run_root(out: Path) -> Path:
    """Where the run folders of results folder ``out`` train: ``runs/benchmarks/<out below
    benchmarks/results>`` for the committed results (kept out of git), else ``<out>/runs``."""
    try:
        return RUNS / Path(out).resolve().relative_to(RESULTS)
    except ValueError:
        return Path(out) / "runs"


def run_dir(root: Path, target: str, model: str, mode: str, seed: int) -> Path:
    return root / target / model / mode / f"seed{seed}"


def main(argv: list[str] | None = None) -> int:
    """The runner; a named error of the package (bad data, a folder in use, a damaged
    checkpoint) is one line on stderr and exit code 2."""
    try:
        return _main(argv)
    except CrysgnnZooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True, help="mp, jarvis, or a data set name (perov_5, mp_ehull, ...)")
    ap.add_argument("--profile", default="quick", choices=sorted(PROFILES))
    ap.add_argument("--models", default=",".join(STUDENTS), help="comma-separated registry names")
    ap.add_argument("--properties", help="comma-separated targets (default: the paper rows the data maps to)")
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (split, init and batch order)")
    ap.add_argument("--modes", default=",".join(MODES),
                    help="comma-separated: vanilla, distilled (default both; e.g. vanilla alone while no teacher is chosen)")
    ap.add_argument("--max-train", type=int, help="cap the training set")
    ap.add_argument("--epochs", type=int, help="override the profile's epochs")
    ap.add_argument("--data-path", help="a local file/folder for the data set (MP JSON, dft_3d JSON, ...)")
    ap.add_argument("--out", help="results folder (default runs/results/<dataset>; benchmarks/results/<dataset> "
                                  "updates the committed results)")
    ap.add_argument("--runs-dir", type=Path,
                    help="where the run folders train (default runs/benchmarks/<out below benchmarks/results>)")
    ap.add_argument("--no-table", action="store_true",
                    help="write only the records (runs.jsonl), no table.md/plot.png (a grid writes its own)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, help="graph-building processes")
    ap.add_argument("--verbose", action="store_true", help="per-epoch progress bars")
    ap.add_argument("--heap", default="trim", choices=HEAP_POLICIES,
                    help="freed memory: hand back to the OS (trim) or keep for reuse (retain: faster "
                         "ALIGNN steps, more resident memory); results are the same")
    ap.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="student config override for every --models entry (repeatable; JSON values, "
                         "e.g. n_conv=4); recorded in every run and in the table")
    ap.add_argument("--train", action="append", metavar="KEY=VALUE",
                    help="TrainConfig override for every run (repeatable; JSON values, e.g. lr=1e-3, "
                         "freeze_encoder_epochs=3): a recipe other than the students' own; recorded in every run")
    ap.add_argument("--output-bound", default=TrainConfig().output_bound, choices=choices(TrainConfig, "output_bound"),
                    help="how predictions of a bounded target (band gap >= 0) stay in range: clip, a softplus "
                         "bound trained as such, or auto (softplus where many training targets sit on the bound; "
                         "TrainConfig.output_bound); recorded")
    ap.add_argument("--pretrained", default="default",
                    help="where a student with a pre-trained start (CrysXPP) begins: default (its recipe's), "
                         "a release name or checkpoint folder, or none (random weights); recorded")
    add_config_options(ap, DistillConfig, title="distillation of the distilled runs (DistillConfig)")
    return ap


@dataclass(frozen=True)
class Request:
    """What one invocation of the runner asks for, checked."""

    args: argparse.Namespace
    models: list[str]
    seeds: list[int]
    modes: list[str]
    overrides: dict
    pretrained: str | None
    distill: DistillConfig
    plan: Plan


def _request(argv: list[str] | None) -> Request:
    """Parse and check the command line; raises ``ValueError`` with the message to print."""
    args = _parser().parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - set(MODES):
        raise ValueError(f"--modes takes {', '.join(MODES)}; got {args.modes!r}")
    try:
        distill = config_from_args(DistillConfig, args)
        overrides = parse_overrides(args.set)
        for model in models:  # refuse an unknown model or field before hours of graph building
            model_config(model, **overrides)
            _train_config(args, model, 0)
    except (argparse.ArgumentTypeError, KeyError, ValueError, TypeError, CrysgnnZooError) as exc:
        raise ValueError(exc.args[0] if exc.args else str(exc)) from None
    properties = [p.strip() for p in args.properties.split(",")] if args.properties else None
    try:
        plan = plan_for(args.dataset, args.data_path, properties)
    except (BenchmarkDataError, SourceNotFoundError) as exc:
        raise ValueError(str(exc)) from None
    except KeyError as exc:  # an unknown --properties name; the message lists the valid ones
        raise ValueError(exc.args[0]) from None
    pretrained = None if args.pretrained.lower() in ("none", "null") else args.pretrained
    return Request(args, models, [int(s) for s in args.seeds.split(",")], modes, overrides, pretrained,
                   distill, plan)


def _meta(req: Request, out: Path, graph_seconds: float, from_cache: bool) -> dict:
    args, profile = req.args, PROFILES[req.args.profile]
    return {
        "dataset": args.dataset, "data": req.plan.data_label, "profile": profile.name,
        "profile_description": profile.description, "epochs": args.epochs or profile.epochs,
        "max_train": args.max_train, "seeds": req.seeds, "models": req.models, **req.distill.to_dict(),
        "model_overrides": req.overrides, "train_overrides": parse_overrides(args.train),
        "pretrained": req.pretrained,
        "teacher_not_clean_for": teacher_card(req.distill.teacher).get("not_clean_for", [])
        if "distilled" in req.modes else [],
        **graph_timing(out, graph_seconds, from_cache),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, {args.device}",
    }


def _finished_elsewise(done: dict, req: Request, mode: str, cfg: TrainConfig, counts: tuple,
                       auto_loss: str = "mse") -> bool:
    """Whether a finished run was made under other settings than this request's (``auto_loss``:
    what ``loss="auto"`` resolves to for the task, :func:`auto_loss_of`)."""
    if mode == "distilled":
        recorded = {**DISTILL_RECORDED_BEFORE, **(_distill_record(done) or {})}
        wanted = for_student(req.distill, done["model"]).to_dict()
        spans = [(teacher_span(d.get("teacher_crystals"), counts[0], cfg.epochs),
                  teacher_off_reason(d.get("max_train_crystals"), counts[0]) is None) for d in (recorded, wanted)]
        size_rule = ("teacher_crystals", "max_train_crystals")
        if spans[0] != spans[1] or any(recorded.get(k) != v for k, v in wanted.items() if k not in size_rule):
            return True  # (a size rule that leaves the run as it was is the same run as no rule)
    kept_r2 = done["extra"].get("val", {}).get("r2", math.nan)
    return (not same_train_config(done["extra"]["train_config"], cfg, auto_loss, kept_r2)
            or list(done["split_sizes"]) != list(counts)
            or done.get("model_overrides", {}) != req.overrides or done.get("pretrained", "default") != req.pretrained)


def auto_loss_of(source: Source, labelled, target: str) -> str:
    """What ``TrainConfig.loss="auto"`` resolves to for ``target``: judged on all its labelled crystals
    (a run judges its training crystals; the rule's 10 % threshold lies far from the shares of the
    packaged targets: 0-5 % or >= 41 %)."""
    return resolve_task_loss("auto", source.range(target), labelled.target(target))


def _train_config(args: argparse.Namespace, model: str, seed: int) -> TrainConfig:
    """The trainer settings of one run: the profile's recipe, ``--epochs``, ``--output-bound`` and ``--train``."""
    return train_config(PROFILES[args.profile], model, seed, args.epochs).replace(
        output_bound=args.output_bound, **parse_overrides(args.train))


def _train_one(req: Request, task: Task, counts: tuple, seed: int, model: str, mode: str, folder: Path) -> dict:
    """Train one run in ``folder``; returns its record (:func:`benchmarks.records.run_record`)."""
    args = req.args
    started = time.perf_counter()
    result = train_model(
        req.plan.source, task.target, model, model_overrides=req.overrides, pretrained=req.pretrained,
        train_config=_train_config(args, model, seed), max_samples=sum(counts),
        split_sizes=counts, split_seed=seed, out_dir=folder, device=args.device, workers=args.workers,
        resume=(folder / "split.json").exists(), progress=args.verbose,
        distill=req.distill if mode == "distilled" else False, heap=args.heap,
    )
    record = result.to_dict()
    if record.get("checkpoint"):  # relative to the run folders' root, so the folder can move
        record["checkpoint"] = str(Path(record["checkpoint"]).resolve().relative_to(folder.parents[3].resolve()))
    record.update(model_overrides=req.overrides, pretrained=req.pretrained, mode=mode, seed=seed,
                  wall_seconds=time.perf_counter() - started, unit=result.unit or task.unit,
                  paper_row=task.row.row, analog=task.row.analog)
    (folder / "result.json").write_text(json.dumps(record, indent=2))
    return run_record(folder, record)


def _main(argv: list[str] | None) -> int:
    try:
        req = _request(argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    args, profile = req.args, PROFILES[req.args.profile]
    out = Path(args.out) if args.out else Path("runs") / "results" / args.dataset
    root = args.runs_dir or run_root(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    built = build_store(req.plan.source, GraphConfig(), workers=args.workers, progress=True)
    meta = _meta(req, out, time.perf_counter() - t0, built.from_cache)
    runs = {run_key(r): r for r in collect(out)}
    jobs = []
    auto_losses = {}
    for task in req.plan.tasks:
        labelled, _ = select_target(built.store, task.target, req.plan.source.name)
        counts = split_counts(len(labelled), profile, req.plan.paper_split, args.max_train)
        auto_losses[task.target] = auto_loss_of(req.plan.source, labelled, task.target)
        jobs += [(task, counts, s, m, d) for s in req.seeds for m in req.models for d in req.modes]
    bar = progress_bar(jobs, desc=f"{args.dataset} runs", unit="run")
    for task, counts, seed, model, mode in bar:
        folder = run_dir(root, task.target, model, mode, seed)
        bar.set_postfix_str(f"{task.target} {model} {mode} seed {seed}")
        done = runs.get((task.target, model, mode, seed))
        if done is None and (folder / "result.json").exists():  # finished, its record not yet written
            done = run_record(folder, json.loads((folder / "result.json").read_text()))
        if done is not None:
            if _finished_elsewise(done, req, mode, _train_config(args, model, seed), counts, auto_losses[task.target]):
                print(f"error: {folder} finished with other settings (train config, split sizes, distillation or "
                      "--set overrides, --pretrained); use another --out for a different protocol", file=sys.stderr)
                return 2
            runs[run_key(done)] = done
            continue
        runs[(task.target, model, mode, seed)] = _train_one(req, task, counts, seed, model, mode, folder)
        write_outputs(out, meta, list(runs.values()), table=not args.no_table)
    write_outputs(out, meta, list(runs.values()), table=not args.no_table)
    if not args.no_table:
        print((out / "table.md").read_text())
    return 0


# ----------------------------------------------------------------------------- outputs


def collect(out: Path) -> list[dict]:
    """Every run recorded in results folder ``out`` (its ``runs.jsonl``)."""
    return read_records(out)[1]


def summarize(runs: list[dict]) -> list[dict]:
    """Per (target, model): vanilla and distilled mean/std test MAE over each mode's seeds, and the
    relative change of the means over the seeds both modes ran (paired)."""
    groups: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for r in runs:
        groups.setdefault((r["target"], r["model"]), {}).setdefault(r["mode"], []).append(r)
    rows = []
    order = {m: k for k, m in enumerate(STUDENTS)}
    for (target, model), modes in sorted(groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99), kv[0][1])):
        entry = {"target": target, "model": model}
        for mode in MODES:
            maes = [r["test"]["mae"] for r in modes.get(mode, [])]
            entry[mode] = {"mean": float(np.mean(maes)) if maes else None,
                           "std": float(np.std(maes)) if maes else None,
                           "n": len(maes), "seeds": sorted(r["seed"] for r in modes.get(mode, []))}
        any_run = (modes.get("vanilla") or modes.get("distilled"))[0]
        entry.update(unit=any_run["unit"], paper_row=any_run.get("paper_row"), analog=any_run.get("analog", False),
                     split_sizes=any_run["split_sizes"],
                     split_hashes=sorted({r["split_hash"] for m in modes.values() for r in m}))
        both = {r["seed"] for r in modes.get("vanilla", [])} & {r["seed"] for r in modes.get("distilled", [])}
        v, d = (float(np.mean([r["test"]["mae"] for r in modes.get(mode, []) if r["seed"] in both])) if both else None
                for mode in MODES)
        entry["change"] = (d / v - 1.0) if (v and d is not None) else None  # over the seeds both modes ran
        paired = {r["seed"]: r["test"]["mae"] for r in modes.get("vanilla", [])}
        per_seed = [r["test"]["mae"] / paired[r["seed"]] - 1 for r in modes.get("distilled", []) if r["seed"] in paired]
        entry["change_per_seed"] = per_seed
        entry["split_hash_by_seed"] = {str(r["seed"]): r["split_hash"] for m in modes.values() for r in m}
        row = PAPER_TABLE.get(entry["paper_row"] or "", (None, {}))[1].get(model)
        entry["paper"] = {"vanilla": row[0], "distilled": row[1], "change": row[1] / row[0] - 1} if row else None
        s = [r for m in modes.values() for r in m]
        entry["seconds_per_epoch"] = {mode: float(np.mean([r["seconds_per_epoch"] for r in modes.get(mode, [])]))
                                      for mode in MODES if modes.get(mode)}
        entry["train_seconds_total"] = float(sum(r["train_seconds"] for r in s))
        entry["test_r2"] = {mode: float(np.mean([r["test"]["r2"] for r in modes[mode]])) for mode in MODES
                            if modes.get(mode) and all("r2" in r["test"] for r in modes[mode])}  # MAE alone rewards predicting a bound
        rows.append(entry)
    return rows


def _fmt(stat: dict | None) -> str:
    if not stat or stat["mean"] is None:
        return "-"
    if stat["n"] > 1:
        return f"{stat['mean']:.4g} ± {stat['std']:.2g}"
    return f"{stat['mean']:.4g}"


def dataset_name(meta: dict) -> str:
    """The data set a table's runs read (``mp`` runs on mp_37k unless a file was given)."""
    return "mp_37k" if meta["dataset"] == "mp" and str(meta.get("data", "")).startswith("mp_37k") else meta["dataset"]


def settings_words(meta: dict) -> str:
    """A folder's alphas and schedules in words: those its distilled runs recorded
    (``alpha_words``, set by :func:`write_outputs`), else the invocation's, each student's own
    where it left them open (older metas without a schedule ran the constant one), and the size
    rule where the folder's runs had one."""
    cap = meta.get("teacher_crystals")
    rule = f", over at most {cap:,} training crystals seen (size rule)" if cap else ""
    if meta.get("alpha_words"):
        return meta["alpha_words"] + rule
    given = DistillConfig(alpha=meta.get("alpha"), alpha_schedule=meta.get("alpha_schedule", "constant"))
    resolved = {m: for_student(given, m) for m in meta.get("models") or [None]}
    return settings_text({m: (c.alpha, c.alpha_schedule) for m, c in resolved.items()}) + rule


def _distill_text(meta: dict) -> str:
    if meta.get("objective") == "normalized":
        loss = ("reference objective (MSE of L2-normalised atom embeddings, per crystal), weight "
                f"{meta.get('embedding_weight', 1.0)}")
    else:
        loss = f"embedding MSE in {meta.get('embedding_scale', 'per_dim')} teacher units" + (
            f", weight {meta['embedding_weight']}" if meta.get("embedding_weight", 1.0) != 1.0 else "")
    projection = "" if meta.get("projection", True) else ", no projection"
    mode = f", mode {meta['mode']}" if meta.get("mode", "embedding") != "embedding" else ""
    alpha = settings_words(meta)
    return f"- Distillation: teacher {meta['teacher']}, {alpha}, {loss}{projection}{mode}, teacher embeddings cached"


def _header(meta: dict, distilled: bool = True) -> list[str]:
    """The protocol lines; ``distilled=False`` (a folder of vanilla runs only) names no distillation."""
    lines = [
        f"# Benchmark: {meta['dataset']} ({meta['profile']} profile)",
        "",
        f"- Data: {meta['data']}",
        f"- Profile: {meta['profile_description']}; epochs run: {meta['epochs']}"
        + (f"; --max-train {meta['max_train']}" if meta.get("max_train") else ""),
        "- Seeds: per row below (each seed draws its own subsample and split, used by every student and "
        "both modes; it also seeds initialisation and batch order)",
        _distill_text(meta) if distilled else "- Distillation: none (vanilla runs only)",
    ]
    if dataset_name(meta) in meta.get("teacher_not_clean_for", []):
        lines.append(f"- **Not a clean comparison for this teacher**: it was trained on labels of "
                     f"{', '.join(meta['teacher_not_clean_for'])} crystals (its card), and this is {meta['dataset']}")
    if meta.get("train_overrides"):
        lines.append("- Recipe overrides (TrainConfig, every run): "
                     + ", ".join(f"{k}={json.dumps(v)}" for k, v in meta["train_overrides"].items()))
    if meta.get("model_overrides"):
        lines.append("- Student config overrides (ablation): "
                     + ", ".join(f"{k}={json.dumps(v)}" for k, v in meta["model_overrides"].items()))
    if meta.get("pretrained", "default") != "default":
        lines.append(f"- Pre-trained start of the students that have one: {meta['pretrained'] or 'none (random weights)'}")
    return lines + [
        f"- Machine: {meta['machine']}; {graph_timing_text(meta)}",
        "- Test MAE, mean ± std over seeds; change = distilled / vanilla - 1 of the means; test R2, mean over "
        "seeds (R2 <= 0: no better than the mean, whatever the MAE). "
        "Paper: CrysGNN (AAAI 2023) Table 1, full MP/JARVIS data and budget.",
        "",
        "| property | student | split (train/val/test) | seeds | vanilla | distilled | change | paired change per seed | test R2 (van./dist.) | paper (vanilla -> distilled) | s/epoch (van./dist.) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]


def _table_line(r: dict) -> str:
    prop = f"{r['target']} ({r['unit']})" if r["unit"] else r["target"]
    if r["paper_row"]:
        prop += f" - {'analog of ' if r['analog'] else ''}{r['paper_row']}"
    change = f"{100 * r['change']:+.1f}%" if r["change"] is not None else "-"
    paper = (f"{r['paper']['vanilla']:g} -> {r['paper']['distilled']:g} ({100 * r['paper']['change']:+.1f}%)"
             if r["paper"] else "-")
    spe = r["seconds_per_epoch"]
    spe_txt = "/".join(f"{spe[m]:.1f}" for m in MODES if m in spe)
    per_seed = r.get("change_per_seed") or []
    paired = (f"{100 * np.mean(per_seed):+.1f} ± {100 * np.std(per_seed):.1f}%" if len(per_seed) > 1
              else (f"{100 * per_seed[0]:+.1f}%" if per_seed else "-"))
    both = sorted(set(r["vanilla"]["seeds"]) & set(r["distilled"]["seeds"]))
    seeds = ",".join(map(str, both)) or "; ".join(  # no pair yet: each mode's own seeds
        f"{m} {','.join(map(str, r[m]['seeds']))}" for m in MODES if r[m]["seeds"])
    r2 = "/".join(f"{v:.3f}" for v in (r.get("test_r2") or {}).values()) or "-"
    return (f"| {prop} | {r['model']} | {'/'.join(map(str, r['split_sizes']))} | {seeds} | {_fmt(r['vanilla'])} | "
            f"{_fmt(r['distilled'])} | {change} | {paired} | {r2} | {paper} | {spe_txt} |")


def _footer(rows: list[dict]) -> list[str]:
    hashes: dict[str, dict[str, str]] = {}
    for r in rows:
        hashes.setdefault(r["target"], {}).update(r.get("split_hash_by_seed", {}))
    lines = ["", "Split hashes (seed: SHA-256 prefix of the train/val/test ids), shared by every student and mode:"]
    for target, by_seed in hashes.items():
        lines.append(f"- {target}: " + ", ".join(f"{s}: {h}" for s, h in sorted(by_seed.items())))
    by_model: dict[str, list[float]] = {}
    for r in rows:
        if r["change"] is not None:
            by_model.setdefault(r["model"], []).append(r["change"])
    if by_model:
        lines += ["", "Mean relative MAE change from distillation over the rows above (paper: over its 11 rows):", ""]
        for model, changes in by_model.items():
            paper = f"{100 * paper_mean_change(model):+.1f}%" if model in STUDENTS else "-"
            lines.append(f"- {model}: {100 * float(np.mean(changes)):+.1f}% over {len(changes)} row(s) (paper {paper})")
    return lines


def markdown(meta: dict, rows: list[dict]) -> str:
    """The results table of one runner folder, with its protocol and split hashes."""
    distilled = any(r["distilled"]["seeds"] for r in rows)
    return "\n".join([*_header(meta, distilled), *(_table_line(r) for r in rows), *_footer(rows)]) + "\n"


def plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = sorted({r["target"] for r in rows})
    fig, axes = plt.subplots(1, len(targets), figsize=(4.5 * len(targets), 3.6), squeeze=False)
    for ax, target in zip(axes[0], targets):
        sub = [r for r in rows if r["target"] == target]
        x = np.arange(len(sub))
        for k, (mode, color) in enumerate((("vanilla", "#8da0cb"), ("distilled", "#fc8d62"))):
            means = [r[mode]["mean"] or 0 for r in sub]
            stds = [r[mode]["std"] or 0 for r in sub]
            ax.bar(x + (k - 0.5) * 0.38, means, 0.38, yerr=stds, capsize=3, label=mode, color=color)
        ax.set_xticks(x, [r["model"] for r in sub])
        unit = sub[0]["unit"]
        ax.set_ylabel(f"test MAE ({unit})" if unit else "test MAE")
        ax.set_title(target)
    axes[0][0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


#: Settings whose default changed after runs were recorded without them: how those runs trained.
TRAIN_RECORDED_BEFORE = {"output_bound": "clip", "select": "mae"}


def same_train_config(recorded: dict, cfg: TrainConfig, auto_loss: str = "mse", kept_r2: float = math.nan) -> bool:
    """Whether a finished run's recorded trainer settings are ``cfg``'s.

    Settings added to :class:`TrainConfig` after a run was recorded are read at their
    default, which is how that run trained (e.g. ``precision``/``compile``: float32, eager), or at
    the value they trained with where the default changed since (:data:`TRAIN_RECORDED_BEFORE`).
    Two settings compare by what they did: ``loss="auto"`` is ``auto_loss``, what it resolves to for
    this task (``mse`` unless the target is zero-inflated); and a run that kept the lowest-MAE epoch
    (``select="mae"``) trained as ``mae_r2`` would have when that epoch's validation R2
    (``kept_r2``) is above 0 (or undefined), since ``mae_r2`` then keeps the same epoch.
    """
    def did(settings: dict) -> dict:
        out = {**settings, "loss": auto_loss if settings.get("loss") == "auto" else settings.get("loss")}
        if out.get("select") == "mae" and not kept_r2 <= 0:
            out["select"] = "mae_r2"
        return out

    return did({**TrainConfig().to_dict(), **TRAIN_RECORDED_BEFORE, **recorded}) == did(cfg.to_dict())


def graph_timing(out: Path, seconds: float, from_cache: bool) -> dict:
    """This invocation's graph step, keeping the first measured build of ``out``'s earlier invocations.

    A resumed run usually loads the graphs from the cache in a fraction of a second; without this the
    table would report that load instead of the build it once measured.
    """
    timing = {"graph_build_seconds": None if from_cache else seconds, "graphs_from_cache": from_cache,
              "graph_load_seconds": seconds}
    if from_cache:
        old = read_records(out)[0] or {}
        if old.get("graphs_from_cache") is False:  # written by an invocation that built the graphs
            timing["graph_build_seconds"] = old.get("graph_build_seconds")
        elif old.get("graph_build_seconds") is not None and "graph_load_seconds" in old:
            timing["graph_build_seconds"] = old["graph_build_seconds"]  # carried forward already
    return timing


def graph_timing_text(meta: dict) -> str:
    build, load = meta.get("graph_build_seconds"), meta.get("graph_load_seconds")
    if not meta.get("graphs_from_cache"):
        return f"graph building {build:.1f} s"
    if build is None:  # the build ran outside this output folder (another benchmark or an older runner)
        return f"graphs loaded from cache in {load:.1f} s (their build was not timed here)"
    return f"graph building {build:.1f} s (first invocation; later ones loaded the cache in {load:.1f} s)"


def _distill_record(run: dict) -> dict | None:
    """The distillation a run asked for: its ``distill`` record, or ``distill_off`` where the size rule
    trained it without the teacher."""
    extra = run.get("extra") or {}
    return extra.get("distill") or extra.get("distill_off")


def write_outputs(out: Path, meta: dict, runs: list[dict], table: bool = True) -> None:
    """``runs.jsonl`` (the experiment and ``runs``), and unless ``table`` is off ``table.md`` and ``plot.png``."""
    if not runs:
        return
    recorded = {r["model"]: (d["alpha"], d.get("alpha_schedule", "constant")) for r in runs
                if r.get("mode") == "distilled" and (d := _distill_record(r))}
    if recorded:  # what the folder's runs used (this invocation may have run some students only)
        meta = {**meta, "alpha_words": settings_text(recorded)}
    write_records(out, meta, runs)
    if not table:
        return
    rows = summarize(runs)
    (out / "table.md").write_text(markdown(meta, rows))
    plot(rows, out / "plot.png", f"{meta['dataset']} ({meta['profile']} profile): vanilla vs distilled")


if __name__ == "__main__":
    sys.exit(main())
