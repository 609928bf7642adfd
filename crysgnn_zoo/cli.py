"""``crysgnn-zoo``: thin command-line wrappers over the library.

    crysgnn-zoo datasets
    crysgnn-zoo models
    crysgnn-zoo train --dataset mp_37k --target band_gap [--model cgcnn] ...
    crysgnn-zoo predict --model cgcnn-mp37k-band-gap my.cif        (or --model runs/x/checkpoint)
    crysgnn-zoo evaluate --model cgcnn-mp37k-band-gap labelled.csv --plot parity.png
    crysgnn-zoo check mp_37k cifs/
    crysgnn-zoo demo
"""
from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import logging
import os
import sys
import warnings
import traceback
from pathlib import Path

from crysgnn_zoo.backend import check_device
from crysgnn_zoo.config import HEAP_POLICIES, DistillConfig, GraphConfig, PretrainConfig, RunConfig, TrainConfig
from crysgnn_zoo.distill.defaults import for_student
from crysgnn_zoo.distill.schedules import alpha_words
from crysgnn_zoo.errors import ConfigError, CrysgnnZooError, RunExistsError
from crysgnn_zoo.options import add_config_options, config_from_args, read_config
from crysgnn_zoo.paths import storage_error
from crysgnn_zoo.pretrain.curate import CurateConfig
from crysgnn_zoo.ranges import TargetRange


def parse_overrides(items: list[str] | None) -> dict:
    """``["key=value", ...]`` -> ``{key: value}``; values parse as JSON (``null``, ``3``, ``true``), else stay strings."""
    out = {}
    for item in items or []:
        key, _, raw = item.partition("=")
        if not _:
            raise argparse.ArgumentTypeError(f"--set expects key=value, got {item!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def _add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="RUN.JSON",
                   help="a RunConfig as JSON (an earlier run's run.json); the options given here override it")
    add_config_options(p, RunConfig, skip=("model_overrides",), title="run",
                       aliases={"data": ["--dataset", "--data-path"], "split_sizes": ["--split"]})
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="model config override (repeatable)")
    add_config_options(p, TrainConfig, title="optimisation (--seed also seeds the split unless --split-seed)")
    add_config_options(p, GraphConfig, title="graphs")
    distill = add_config_options(p, DistillConfig, title="distillation (with --distill)")
    p.add_argument("--distill", action="store_true", default=argparse.SUPPRESS,
                   help=f"distill from a frozen teacher (set with --{', --'.join(n.replace('_', '-') for n in distill)})")
    p.add_argument("--out", help="run folder (run.json, split, checkpoints, result.json); "
                                  "default: a new folder runs/<data>-<target>-<model>-<date-time>")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out (its run.json gives the settings unless --config does)")
    p.add_argument("--overwrite", action="store_true", help="replace a run already in --out")
    p.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1")
    p.add_argument("--workers", type=int, help="graph-building processes (default: all cores)")
    p.add_argument("--no-progress", action="store_true")


def run_config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig of ``crysgnn-zoo train``: ``--config`` (or the defaults), then the options given."""
    config = args.config
    if not config and getattr(args, "resume", False) and args.out and (Path(args.out) / "run.json").exists():
        config = Path(args.out) / "run.json"  # --resume --out RUN: the run's own settings
    run = read_config(RunConfig, config) if config else RunConfig()
    run = config_from_args(RunConfig, args, run)
    if hasattr(args, "seed") and not hasattr(args, "split_seed"):
        run = run.replace(split_seed=args.seed)
    run = run.replace(model_overrides={**run.model_overrides, **parse_overrides(args.set)},
                      graph_config=config_from_args(GraphConfig, args, run.graph_config),
                      train_config=config_from_args(TrainConfig, args, run.train_config))
    distill_given = [f.name for f in dataclasses.fields(DistillConfig) if hasattr(args, f.name)]
    if distill_given and not run.distill:
        raise ConfigError(f"--{distill_given[0].replace('_', '-')} sets distillation: add --distill")
    if run.distill:
        run = run.replace(distill=config_from_args(DistillConfig, args, run.distill))
    if not run.data or not run.target:
        raise ConfigError("train: give --dataset NAME (or --data-path PATH) and --target, or --config RUN.JSON")
    return run


def _cmd_train(args: argparse.Namespace) -> int:
    from crysgnn_zoo.train.run import train_model

    run = run_config_from_args(args)
    out = args.out or default_run_folder(run)
    if not args.out:
        print(f"run folder: {out} (no --out given)", file=sys.stderr)
    from crysgnn_zoo.train.distributed import world

    result = train_model(run, out_dir=out, device=args.device, workers=args.workers, resume=args.resume,
                         overwrite=args.overwrite, progress=_progress(args))
    if not world().main:  # under torchrun the result is rank 0's to print
        return 0
    print(result.summary())
    if result.checkpoint:
        print(f"checkpoint: {result.checkpoint}")
    return 0


def default_run_folder(run: RunConfig) -> Path:
    """``runs/<data>-<target>-<model>-<date-time>``: where ``train`` without ``--out`` keeps its run."""
    import time

    data = Path(str(run.data)).name.split(".")[0] or "data"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{data}-{run.target}-{run.model or 'cgcnn'}-{stamp}"


def check_output_file(out: str | None, inputs: list[str]) -> None:
    """Before any work: ``--out`` must not be one of the inputs nor a folder; its folder is created.

    Raises:
        RunExistsError: ``out`` names an input file or a folder.
    """
    if not out:
        return
    path = Path(out)
    if path.is_dir():
        raise RunExistsError(f"--out {out}: is a folder; give a CSV file path")
    for given in inputs:
        if Path(given).exists() and path.exists() and path.resolve() == Path(given).resolve():
            raise RunExistsError(f"--out {out}: is one of the inputs; writing there would overwrite it")
        if Path(given).is_dir() and Path(given).resolve() in path.resolve().parents:
            raise RunExistsError(f"--out {out}: is inside the input folder {given}; write the table elsewhere")
    if path.is_symlink() and not path.exists():
        raise RunExistsError(f"--out {out}: is a link to nowhere ({os.readlink(path)}); remove it or pick another path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunExistsError(f"--out {out}: its folder cannot be created ({exc.strerror})") from None
    if not os.access(path.parent, os.W_OK):
        raise RunExistsError(f"--out {out}: the folder {path.parent} is not writable")


def _cmd_predict(args: argparse.Namespace) -> int:
    from crysgnn_zoo.predict import load_model, predict

    paths = list(args.paths or []) + list(args.data or [])
    if not paths:
        raise ConfigError("predict: give one or more CIF/POSCAR files, folders, CSV files or data set names")
    check_output_file(args.out, paths)
    predictor = load_model(args.model, args.device)
    table = predict(predictor, paths, batch_size=args.batch_size, device=args.device, workers=args.workers,
                    progress=_progress(args), uncertainty=not args.no_uncertainty)
    failed = table[table.error != ""]
    isolated = (f"; {table.attrs['n_isolated']} atom(s) had no neighbour within {table.attrs['cutoff']:g} Angstrom "
                "and were joined to their nearest atoms (isolated-atom rule)") if table.attrs["n_isolated"] else ""
    print(f"{len(table) - len(failed)} of {len(table)} structures predicted ({predictor.target}, "
          f"{predictor.unit or 'no unit'}); {len(failed)} could not be read{isolated}", file=sys.stderr)
    if "in_domain" in table:
        outside = int((table["in_domain"] == False).sum())  # noqa: E712 - NA (unread) counts as neither
        print(f"{outside} structure(s) out of the model's domain (in_domain False: farther from its training "
              "crystals than 95 % of its validation crystals); std: one standard deviation, prediction +- interval_95: "
              "the 95 % interval", file=sys.stderr)
    elif not args.no_uncertainty:
        print("this model has no uncertainty model (no std / in_domain columns)", file=sys.stderr)
    if table.attrs["range"] is not None:
        print(f"{table.attrs['n_clipped']} prediction(s) fell outside the target's range "
              f"{TargetRange.from_json(table.attrs['range'])} {predictor.unit} and were clipped to it "
              "(column 'clipped')", file=sys.stderr)
    for row in failed.head(args.show).itertuples():
        print(f"  {row.id}: {row.error}", file=sys.stderr)
    from crysgnn_zoo.data.tables import write_table

    write_table(table, args.out)
    return 1 if len(failed) == len(table) else 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from crysgnn_zoo.evaluate import evaluate

    check_output_file(args.out, [args.data])
    check_output_file(args.plot, [args.data])
    result = evaluate(args.model, args.data, args.target, batch_size=args.batch_size, device=args.device,
                      workers=args.workers, progress=_progress(args))
    print(result.summary(), file=sys.stderr)
    for row in result.table[result.table.read_error != ""].head(args.show).itertuples():
        print(f"  {row.id}: {row.read_error}", file=sys.stderr)
    if args.plot:
        print(f"parity plot: {result.parity_plot(args.plot)}", file=sys.stderr)
    if args.out:
        from crysgnn_zoo.data.tables import write_table

        write_table(result.table, args.out)
    m = result.metrics
    print(json.dumps({"model": args.model, "data": args.data, "target": result.target, "unit": result.unit,
                      **{k: m[k] for k in ("mae", "rmse", "r2", "n")}}))
    return 0


def _cmd_embed(args: argparse.Namespace) -> int:
    from crysgnn_zoo.embed import embed, load_encoder, write_embeddings

    if not args.paths:
        raise ConfigError("embed: give one or more CIF/POSCAR files, folders, CSV files or data set names")
    if Path(args.out).suffix.lower() not in (".parquet", ".csv", ".npz"):
        raise ConfigError(f"embed --out {args.out}: write to .parquet, .csv or .npz (chosen by the extension)")
    check_output_file(args.out, args.paths)
    encoder = load_encoder(args.model, args.device)
    table = embed(encoder, args.paths, level=args.level, batch_size=args.batch_size, device=args.device,
                  workers=args.workers, progress=_progress(args))
    write_embeddings(table, args.out)
    failed = table[table.error != ""]
    read = table[table.error == ""].id.nunique()
    print(f"{read} of {read + len(failed)} structures embedded by {encoder.name} ({table.attrs['dim']} numbers per "
          f"{args.level}{'; ' + table.attrs['pooling'] if table.attrs['pooling'] else ''}); {len(failed)} could "
          f"not be read; written to {args.out}", file=sys.stderr)
    for row in failed.head(args.show).itertuples():
        print(f"  {row.id}: {row.error}", file=sys.stderr)
    return 0


def _progress(args: argparse.Namespace) -> bool:
    """Progress unless ``--no-progress``: bars on a terminal, plain timed lines in a log
    (:mod:`crysgnn_zoo.progress`)."""
    return not args.no_progress


def _shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("--shard takes i/n, e.g. 0/4") from None
    return i, n


def _seed_list(text: str) -> list[int]:
    try:
        seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds takes comma-separated integers, e.g. 0,1,2; got {text!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("--seeds needs at least one seed")
    return seeds


def _cmd_curate(args: argparse.Namespace) -> int:
    from crysgnn_zoo.data.sources import list_datasets
    from crysgnn_zoo.pretrain.curate import curate, finalize

    if args.finalize_only:
        manifest = finalize(args.out)
        print(json.dumps({k: manifest[k] for k in ("entries", "valid", "skipped", "duplicates", "kept")}))
        return 0
    sources = list(args.sources or [])
    if args.all_datasets:
        sources += sorted(list_datasets(include_embedded=False))
    if not sources and args.all_datasets:
        from crysgnn_zoo.data.sources import DATASETS_ENV, dataset_roots

        raise ConfigError(f"curate --all-datasets: no data set folder found (searched "
                          f"{', '.join(str(r) for r in dataset_roots())}); set {DATASETS_ENV} to a folder of data "
                          "set folders (`crysgnn-zoo datasets` says where each public set comes from), or give --sources")
    if not sources:
        raise ConfigError("curate: give --sources ... and/or --all-datasets")
    result = curate(
        sources, args.out, config_from_args(GraphConfig, args), config_from_args(CurateConfig, args),
        shard=args.shard, workers=args.workers or 1, progress=_progress(args),
        finalize_when_done=not args.no_finalize,
    )
    print(f"shard {args.shard[0]}/{args.shard[1]}: {result.blocks_done} of its blocks done "
          f"({result.blocks_total} blocks in all), {result.processed} entries processed in {result.seconds:.0f} s")
    if result.manifest:
        m = result.manifest
        print(f"finalized: {m['entries']} entries, {m['skipped']} skipped, {m['duplicates']} duplicates, "
              f"{m['kept']} kept -> {Path(args.out) / 'manifest.json'}")
    return 0


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from crysgnn_zoo.nets.crysgnn import CrysGNNConfig
    from crysgnn_zoo.pretrain.curate import load_curated
    from crysgnn_zoo.pretrain.trainer import pretrain

    store = load_curated(args.curated)
    manifest = json.loads((Path(args.curated) / "manifest.json").read_text())
    config = config_from_args(PretrainConfig, args)
    card = {"name": args.name, "curated": str(args.curated),
            "data_sources": manifest["sources"], "data_counts": {k: manifest[k] for k in ("entries", "skipped", "duplicates", "kept")},
            "command": "crysgnn-zoo " + " ".join(sys.argv[1:])}
    result = pretrain(
        store, args.out, config, CrysGNNConfig(**parse_overrides(args.set)),
        GraphConfig.from_dict(manifest["graph_config"]), device=args.device,
        progress=_progress(args), resume=args.resume, max_steps=args.max_steps,
        save_replicas=args.save_replicas, card=card, heap=args.heap,
    )
    if result.checkpoint:
        last = result.epochs[-1] if result.epochs else {}
        print(f"{result.steps} steps on {result.world_size} process(es), {result.graphs_per_second:.1f} graphs/s; "
              f"last train loss {last.get('train', {}).get('total', float('nan')):.4f}; teacher: {result.checkpoint}")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from crysgnn_zoo.data.catalog import KNOWN_DATASETS, how_to_get
    from crysgnn_zoo.data.sources import DATASETS_ENV, dataset_roots, dataset_source, list_datasets

    found = list_datasets()
    for name, folder in sorted(found.items()):
        src = dataset_source(name)
        targets = ", ".join(f"{k} ({u})" if u else k for k, u in src.targets.items())
        print(f"{name:16s} {folder}\n{'':16s} targets: {targets}")
    missing = [n for n in KNOWN_DATASETS if n not in found]
    if missing:
        print(f"\nnot found here (searched {', '.join(str(r) for r in dataset_roots()) or 'nothing'}; "
              f"set {DATASETS_ENV} to a folder of data set folders):")
        for name in missing:
            print(f"  {how_to_get(name)}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    """Read every structure of each source under the data policies (README, Data); exit 1 if any is refused."""
    from collections import Counter

    from crysgnn_zoo.data.errors import CrystalDataError, SkipReport
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.data.structures import parse_structure
    from crysgnn_zoo.progress import bar as progress_bar

    refused, total = SkipReport(), 0
    for spec in args.sources:
        source = open_source(spec)
        n, kinds = 0, Counter()
        for entry in progress_bar(source.entries(), desc=source.name, unit="crystal", disable=not _progress(args)):
            n += 1
            try:
                parse_structure(entry.fmt, entry.payload, entry.where)
            except CrystalDataError as exc:
                refused.add(exc)
                kinds[type(exc).__name__] += 1
        detail = ", ".join(f"{k} {v}" for k, v in kinds.most_common())
        print(f"{source.name}: {n} structures, {n - sum(kinds.values())} pass, "
              f"{sum(kinds.values())} refused{f' ({detail})' if detail else ''}")
        total += n
    if len(args.sources) > 1:
        print(f"total: {total} structures in {len(args.sources)} sources, {total - len(refused)} pass, "
              f"{len(refused)} refused")
    if len(refused):
        print(refused.summary(args.show), file=sys.stderr)
        if args.out:
            refused.to_csv(args.out)
    return 1 if len(refused) else 0


def _cmd_models(args: argparse.Namespace) -> int:
    from crysgnn_zoo.hub.resolve import released_models
    from crysgnn_zoo.nets.registry import list_models, model_summary

    if args.name:
        return _print_spec(args.name)
    print("architectures:")
    for name in list_models():
        print(f"  {name:12s} {model_summary(name)}")
    print("released weights (crysgnn-zoo predict --model NAME ...):")
    for card in released_models():
        print(f"  {card['name']:34s} {card['summary']}")
    return 0


def _print_spec(name: str) -> int:
    """One architecture's registry entry: config, graphs, recipe, distillation, start, weights."""
    from crysgnn_zoo.factory import model_spec

    spec = model_spec(name)
    print(f"{spec.name}: {spec.summary}")
    for label, config in (("config", spec.config), ("graphs", spec.graph), ("recipe", spec.recipe)):
        print(f"  {label}: {json.dumps(config.to_dict())}")
    d = spec.distill
    span = f"at most {d.teacher_crystals:,} training crystals seen" if d.teacher_crystals else "all epochs"
    limit = f"above {d.max_train_crystals:,} training crystals" if d.max_train_crystals else "never"
    print(f"  distillation: {_distill_words(d)}; schedule over {span}; no teacher {limit}")
    print(f"  pre-trained start: {spec.pretrained or 'none (random weights)'}")
    for w in spec.weights:
        print(f"  weights {w.name} (sha256 {w.sha256[:16]}...): {w.summary}")
    return 0


def _distill_words(config: DistillConfig) -> str:
    """``crysgnn-v1 (spread objective, alpha 0.5 decaying linearly to 0)``."""
    channel = f"{config.objective} objective" if config.mode == "embedding" else f"mode {config.mode}"
    return f"{config.teacher} ({channel}, {alpha_words(config.alpha, config.alpha_schedule)})"


def _cmd_demo(args: argparse.Namespace) -> int:
    """The README's main job: CGCNN vanilla and distilled (the default teacher) on the embedded
    1,000-crystal mp_37k sample, one split per seed, same split and budget for both modes;
    prints both test MAEs per seed, the paired changes and their mean."""
    from crysgnn_zoo.train.run import train_model

    own = for_student(DistillConfig(), "cgcnn")  # CGCNN's own distillation settings
    if args.quick:
        args.seeds, args.epochs, args.max_samples = [0], 5, 300
    pairs = []
    for seed in args.seeds:
        pair = {}
        for mode, distill in (("vanilla", False), ("distilled", own)):
            pair[mode] = train_model(
                "mp_37k_sample", "formation_energy_per_atom", "cgcnn",
                train_config=TrainConfig(epochs=args.epochs, lr=5e-3, patience=None, seed=seed),
                split_sizes=(0.8, 0.1, 0.1), split_seed=seed, max_samples=args.max_samples,
                out_dir=Path(args.out) / f"seed{seed}" / mode, overwrite=True,  # the demo's own folders
                device=args.device, progress=_progress(args), distill=distill,
            )
        pairs.append((seed, pair["vanilla"], pair["distilled"]))
    _print_demo(pairs, own, args.out)
    return 0


def _print_demo(pairs: list, own: DistillConfig, out: str) -> None:
    """The demo's table: test MAE per split seed, vanilla and distilled, and the paired changes."""
    first = pairs[0][1]
    u = first.unit
    print(f"\nCGCNN on the embedded mp_37k sample ({'/'.join(map(str, first.split_sizes))} crystals per split), "
          f"{first.epochs_run} epochs, vanilla and distilled from {_distill_words(own)}; test MAE in {u}:")
    print(f"  {'seed':>4}  {'split hash':<16}  {'vanilla':>8}  {'distilled':>9}  change")
    changes, vans, diss = [], [], []
    for seed, van, dis in pairs:
        vans.append(van.test["mae"]); diss.append(dis.test["mae"])
        changes.append(100 * (dis.test["mae"] / van.test["mae"] - 1))
        print(f"  {seed:>4}  {van.split_hash:<16}  {vans[-1]:>8.4f}  {diss[-1]:>9.4f}  {changes[-1]:+.1f}%")
    mean_v, mean_d = sum(vans) / len(vans), sum(diss) / len(diss)
    print(f"  {'mean':>4}  {'':<16}  {mean_v:>8.4f}  {mean_d:>9.4f}  {100 * (mean_d / mean_v - 1):+.1f}% "
          f"(mean of the per-seed changes {sum(changes) / len(changes):+.1f}%)")
    mean_pred = sum(van.mean_predictor_mae for _, van, _ in pairs) / len(pairs)
    print(f"  mean-predictor MAE {mean_pred:.4f} {u}; {first.seconds_per_epoch:.2f} / "
          f"{pairs[0][2].seconds_per_epoch:.2f} s/epoch; checkpoints under {out}/seed<N>/<mode>/checkpoint")
    print(f"  {first.split_sizes[2]} test crystals per split: one seed's change is noisy, the mean over seeds less so "
          "(docs/benchmarks.md has the larger tables).")


def _parser_train(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("train", parents=[verbose], help="train a model on a dataset, folder or file")
    _add_train_args(p)
    p.set_defaults(func=_cmd_train)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """The options every verb that reads structures and runs a model shares."""
    p.add_argument("--batch-size", type=int, default=256, help="crystals per forward pass")
    p.add_argument("--show", type=int, default=5, help="unreadable structures to list on stderr")
    p.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:0")
    p.add_argument("--workers", type=int, default=1, help="graph-building processes")
    p.add_argument("--no-progress", action="store_true", help="no progress bars or progress lines")


def _parser_predict(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("predict", parents=[verbose],
                       help="predict with a released model or a checkpoint folder; writes CSV: id, prediction, std, "
                            "interval_95, in_domain, unit, error, unseen_elements, clipped (std, interval_95 and "
                            "in_domain where the model has an uncertainty model)")
    p.add_argument("paths", nargs="*", help="CIF/POSCAR files, folders of them, CSV files with a CIF column, "
                                            "or data set names")
    p.add_argument("--model", "--checkpoint", dest="model", required=True,
                   help="released model name (see `crysgnn-zoo models`) or checkpoint folder")
    p.add_argument("--data", action="append", help="one more file, folder or data set (repeatable)")
    p.add_argument("--out", help="CSV to write (default: stdout)")
    p.add_argument("--no-uncertainty", action="store_true", help="skip the std, interval_95 and in_domain columns")
    _add_run_options(p)
    p.set_defaults(func=_cmd_predict)


def _parser_evaluate(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("evaluate", parents=[verbose],
                       help="score a released model or checkpoint on labelled crystals: MAE, RMSE, R2, "
                            "per-crystal errors, parity plot")
    p.add_argument("data", help="labelled crystals: a CSV with id, CIF and label columns, a folder with "
                                "id_prop.csv, or a data set name")
    p.add_argument("--model", "--checkpoint", dest="model", required=True,
                   help="released model name (see `crysgnn-zoo models`) or checkpoint folder")
    p.add_argument("--target", help="the label column (default: the one named like the model's target)")
    p.add_argument("--out", help="CSV of per-crystal errors: id, target, prediction, error, std, interval_95, "
                                 "in_domain (models with an uncertainty model), unit, read_error, unseen_elements, "
                                 "clipped")
    p.add_argument("--plot", help="PNG of predicted against labelled values")
    _add_run_options(p)
    p.set_defaults(func=_cmd_evaluate)


def _parser_embed(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("embed", parents=[verbose],
                       help="write a teacher's or a model's learned embeddings of structures (Parquet, CSV or .npz)")
    p.add_argument("paths", nargs="*", help="CIF/POSCAR files, folders of them, CSV files with a CIF column, "
                                            "or data set names")
    p.add_argument("--model", required=True, help="teacher (crysgnn-v1, crysgnn-v2, chgnet-0.3.0), released "
                                                  "model name or checkpoint folder")
    p.add_argument("--out", required=True, help="file to write: .parquet, .csv or .npz (by extension)")
    p.add_argument("--level", default="crystal", choices=["crystal", "atom"],
                   help="one row per crystal (mean over its atoms) or per atom (default: crystal)")
    _add_run_options(p)
    p.set_defaults(func=_cmd_embed)


def _parser_curate(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("curate", parents=[verbose], help="build a de-duplicated, sharded pre-training set")
    p.add_argument("--sources", nargs="*", help="dataset names, files or folders (labels are ignored)")
    p.add_argument("--all-datasets", action="store_true", help="every dataset in the datasets folder")
    p.add_argument("--out", required=True, help="curation folder")
    p.add_argument("--shard", type=_shard, default=(0, 1), help="i/n: this job builds blocks i, i+n, ...")
    p.add_argument("--workers", type=int, help="processes (default 1)")
    add_config_options(p, CurateConfig, title="curation")
    add_config_options(p, GraphConfig, title="graphs")
    p.add_argument("--no-finalize", action="store_true", help="only build blocks (other shards still running)")
    p.add_argument("--finalize-only", action="store_true", help="de-duplicate and write the manifest")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_curate)


def _parser_pretrain(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("pretrain", parents=[verbose], help="pre-train the CrysGNN teacher (torchrun for several processes)")
    p.add_argument("--curated", required=True, help="a finalized curation folder")
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="crysgnn", help="name written into the teacher's card")
    add_config_options(p, PretrainConfig, title="pre-training (batch_size is per process)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="CrysGNN config override")
    p.add_argument("--max-steps", type=int, help="stop after this many optimiser steps")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out; with more --epochs than a finished run had, a new "
                        "cosine cycle from --lr over the added epochs (warm restart)")
    p.add_argument("--save-replicas", action="store_true", help="every process writes its final weights")
    p.add_argument("--heap", default="trim", choices=HEAP_POLICIES,
                   help="freed memory: hand it back to the OS every 5 s (trim, default) or keep it for reuse "
                        "(retain: ~20%% faster all-pairs steps, ~0.3 GiB more resident); same results")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_pretrain)


def _parser_check(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("check", parents=[verbose],
                       help="read every structure of the sources under the data policies; exit 1 if any is refused")
    p.add_argument("sources", nargs="+", help="dataset names, files or folders")
    p.add_argument("--out", help="CSV of the refused structures (where, kind, reason)")
    p.add_argument("--show", type=int, default=5, help="refused structures to print")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_check)


def _parser_datasets(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("datasets", parents=[verbose], help="list the datasets found")
    p.set_defaults(func=_cmd_datasets)


def _parser_models(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("models", parents=[verbose], help="list the registered models and released weights; "
                                                          "with NAME, one architecture's whole entry")
    p.add_argument("name", nargs="?", help="a registered architecture (cgcnn, crysxpp, ...)")
    p.set_defaults(func=_cmd_models)


def _parser_demo(sub, verbose: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[verbose],
                       help="train CGCNN vanilla and distilled on the embedded sample and report both test MAEs")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seeds", type=_seed_list, default=[0, 1, 2], help="split seeds, comma-separated (default 0,1,2)")
    p.add_argument("--max-samples", type=int, help="crystals drawn from the 1,000 of the sample (default: all)")
    p.add_argument("--quick", action="store_true",
                   help="a first try in under a minute: seed 0, 5 epochs, 300 crystals (numbers too noisy to read)")
    p.add_argument("--out", default="runs/demo", help="run folders (replaced on every demo)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crysgnn-zoo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log progress and print tracebacks of errors")
    _parser_train(sub, verbose)
    _parser_predict(sub, verbose)
    _parser_evaluate(sub, verbose)
    _parser_embed(sub, verbose)
    _parser_curate(sub, verbose)
    _parser_pretrain(sub, verbose)
    _parser_check(sub, verbose)
    _parser_datasets(sub, verbose)
    _parser_models(sub, verbose)
    _parser_demo(sub, verbose)
    return parser


def _plain_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A library warning as one plain line (no source line, no warning class)."""
    print(f"warning: {message}", file=sys.stderr)


#: ``OSError`` numbers of a failed write, reported as one line (``crysgnn_zoo.paths.storage_error``)
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def main(argv: list[str] | None = None) -> int:
    """Run one command; every named error of the package is one line on stderr and exit code 2
    (``-v`` prints its traceback too)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        check_device(getattr(args, "device", None))
        for option in ("batch_size", "workers"):
            if getattr(args, option, None) is not None and getattr(args, option) < 1:
                raise ConfigError(f"--{option.replace('_', '-')} must be at least 1, got {getattr(args, option)}")
        with warnings.catch_warnings():
            warnings.showwarning = _plain_warning
            return args.func(args)
    except KeyboardInterrupt:
        print(f"crysgnn-zoo {args.command}: interrupted; what was finished is kept (a run folder continues with "
              "--resume)", file=sys.stderr)
        return 130
    except CrysgnnZooError as exc:
        if args.verbose:
            traceback.print_exc()
        message = " ".join(str(exc).split("\n"))
        print(f"crysgnn-zoo {args.command}: error: {message}", file=sys.stderr)
        return 2
    except OSError as exc:  # a write that failed midway (full disk, read-only place): one line, not a traceback
        if exc.errno not in WRITE_ERRNOS:
            raise
        if args.verbose:
            traceback.print_exc()
        error = storage_error(exc, exc.filename or "a file", "free space or choose another place, then run the "
                                                            "command again; a run folder continues with --resume")
        print(f"crysgnn-zoo {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
