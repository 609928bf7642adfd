"""``crysgnn-zoo``: thin command-line wrappers over the library.

    crysgnn-zoo datasets
    crysgnn-zoo models
    crysgnn-zoo train --dataset mp_37k --target band_gap [--model cgcnn] ...
    crysgnn-zoo predict --checkpoint runs/x/checkpoint --data structures/
    crysgnn-zoo check mp_37k cifs/
    crysgnn-zoo demo
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path

from crysgnn_zoo.config import (
    DISTILL_OBJECTIVES,
    EMBEDDING_SCALES,
    HEAP_POLICIES,
    DistillConfig,
    GraphConfig,
    PretrainConfig,
    TrainConfig,
)
from crysgnn_zoo.errors import ConfigError, CrysgnnZooError


def _split_sizes(text: str) -> tuple[float, float, float]:
    parts = [float(x) for x in text.split(",")]
    if len(parts) != 3:
        raise argparse.ArgumentTypeError("--split takes three comma-separated numbers: train,val,test")
    return tuple(parts)  # type: ignore[return-value]


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
    d = TrainConfig()
    g = GraphConfig()
    p.add_argument("--dataset", help="dataset name (see `crysgnn-zoo datasets`)")
    p.add_argument("--data-path", help="a file or folder instead of a named dataset")
    p.add_argument("--target", required=True, help="target column, e.g. formation_energy_per_atom")
    p.add_argument("--model", help="registry name (see `crysgnn-zoo models`; default cgcnn, or the --init weights')")
    p.add_argument("--init", metavar="NAME|PATH",
                   help="start from released weights or a checkpoint folder (fine-tuning; a new output layer "
                        "when --target differs from theirs)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="model config override (repeatable)")
    p.add_argument("--distill", action="store_true", help="distill from the pre-trained CrysGNN teacher")
    p.add_argument("--teacher", default="crysgnn-v1", help="teacher release name or checkpoint folder")
    p.add_argument("--alpha", type=float, default=0.5, help="weight of the embedding loss (paper: 0.5)")
    p.add_argument("--embedding-scale", default=EMBEDDING_SCALES[0], choices=EMBEDDING_SCALES,
                   help="unit of the spread objective: one overall teacher spread, each dimension's spread, or raw")
    p.add_argument("--objective", default=DISTILL_OBJECTIVES[0], choices=DISTILL_OBJECTIVES,
                   help="distillation objective: spread-scaled MSE, or the reference's MSE of L2-normalised embeddings")
    p.add_argument("--embedding-weight", type=float, default=DistillConfig().embedding_weight,
                   help="multiplier on the embedding term")
    p.add_argument("--no-projection", action="store_true",
                   help="no learned student-to-teacher projection (needs equal widths)")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--optimizer", default=d.optimizer, choices=["adam", "adamw", "sgd"])
    p.add_argument("--scheduler", default=d.scheduler, choices=["cosine", "onecycle", "none"])
    p.add_argument("--loss", default=d.loss, choices=["mse", "l1", "huber"])
    p.add_argument("--patience", type=int, default=d.patience, help="early-stopping patience (epochs)")
    p.add_argument("--precision", default=d.precision, choices=["fp32", "bf16"],
                   help="bf16: bfloat16 autocast forward passes (ALIGNN only)")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the message passing (ALIGNN only)")
    p.add_argument("--cutoff", type=float, default=g.cutoff, help="neighbour radius, Angstrom")
    p.add_argument("--max-neighbors", type=int, default=g.max_neighbors)
    p.add_argument("--max-samples", type=int, help="draw this many crystals first (seeded)")
    p.add_argument("--split", type=_split_sizes, default=(0.8, 0.1, 0.1),
                   help="train,val,test as fractions (0.8,0.1,0.1) or counts (8000,1000,1000)")
    p.add_argument("--seed", type=int, default=0, help="split, sampling, init and batch-order seed")
    p.add_argument("--out", help="run folder (split, checkpoints, result.json)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1")
    p.add_argument("--workers", type=int, help="graph-building processes (default: all cores)")
    p.add_argument("--heap", default="trim", choices=HEAP_POLICIES,
                   help="freed memory: hand back to the OS (trim) or keep for reuse (retain: faster "
                        "ALIGNN steps, more resident memory); results are the same")
    p.add_argument("--no-progress", action="store_true")


def _cmd_train(args: argparse.Namespace) -> int:
    from crysgnn_zoo.train.run import train_model

    data = args.data_path or args.dataset
    if not data:
        raise ConfigError("train: give --dataset NAME or --data-path PATH")
    result = train_model(
        data,
        args.target,
        args.model,
        model_overrides=parse_overrides(args.set),
        graph_config=GraphConfig(cutoff=args.cutoff, max_neighbors=args.max_neighbors),
        train_config=TrainConfig(
            epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
            weight_decay=args.weight_decay, optimizer=args.optimizer, scheduler=args.scheduler,
            loss=args.loss, patience=args.patience, seed=args.seed,
            precision=args.precision, compile=args.compile,
        ),
        max_samples=args.max_samples,
        split_sizes=args.split,
        split_seed=args.seed,
        out_dir=args.out,
        device=args.device,
        workers=args.workers,
        resume=args.resume,
        progress=not args.no_progress,
        distill=DistillConfig(teacher=args.teacher, alpha=args.alpha, objective=args.objective,
                              embedding_scale=args.embedding_scale, embedding_weight=args.embedding_weight,
                              projection=not args.no_projection) if args.distill else False,
        heap=args.heap,
        init=args.init,
    )
    print(result.summary())
    if result.checkpoint:
        print(f"checkpoint: {result.checkpoint}")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from crysgnn_zoo.predict import load_model, predict

    paths = list(args.paths or []) + list(args.data or [])
    if not paths:
        raise ConfigError("predict: give one or more CIF/POSCAR files, folders, CSV files or data set names")
    predictor = load_model(args.model, args.device)
    table = predict(predictor, paths, batch_size=args.batch_size, device=args.device, workers=args.workers,
                    progress=not args.no_progress)
    failed = table[table.error != ""]
    print(f"{len(table) - len(failed)} of {len(table)} structures predicted ({predictor.target}, "
          f"{predictor.unit or 'no unit'}); {len(failed)} could not be read; {table.attrs['n_isolated']} atom(s) "
          f"had no neighbour within {table.attrs['cutoff']:g} Angstrom and were joined to their nearest atoms "
          "(isolated-atom rule)", file=sys.stderr)
    for row in failed.head(args.show).itertuples():
        print(f"  {row.id}: {row.error}", file=sys.stderr)
    table.to_csv(args.out or sys.stdout, index=False, float_format="%.6g")
    return 0


def _shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("--shard takes i/n, e.g. 0/4") from None
    return i, n


def _cmd_curate(args: argparse.Namespace) -> int:
    from crysgnn_zoo.data.sources import list_datasets
    from crysgnn_zoo.pretrain.curate import CurateConfig, curate, finalize

    if args.finalize_only:
        manifest = finalize(args.out)
        print(json.dumps({k: manifest[k] for k in ("entries", "valid", "skipped", "duplicates", "kept")}))
        return 0
    sources = list(args.sources or [])
    if args.all_datasets:
        sources += sorted(list_datasets(include_embedded=False))
    if not sources:
        raise ConfigError("curate: give --sources ... and/or --all-datasets")
    result = curate(
        sources, args.out, GraphConfig(cutoff=args.cutoff, max_neighbors=args.max_neighbors),
        CurateConfig(block_size=args.block_size, volume_tolerance=args.volume_tolerance),
        shard=args.shard, workers=args.workers or 1, progress=not args.no_progress,
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
    config = PretrainConfig(
        feature_weight=args.feature_weight, connectivity_weight=args.connectivity_weight,
        spacegroup_weight=args.spacegroup_weight, contrastive_weight=args.contrastive_weight,
        contrast_on=args.contrast_on, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        seed=args.seed, temperature=args.temperature, normalize_embeddings=args.normalize_embeddings,
        connectivity=args.connectivity, max_bonds=args.max_bonds, no_bond_weight=args.no_bond_weight,
    )
    card = {"name": args.name, "curated": str(args.curated),
            "data_sources": manifest["sources"], "data_counts": {k: manifest[k] for k in ("entries", "skipped", "duplicates", "kept")},
            "command": "crysgnn-zoo " + " ".join(sys.argv[1:])}
    result = pretrain(
        store, args.out, config, CrysGNNConfig(**parse_overrides(args.set)),
        GraphConfig.from_dict(manifest["graph_config"]), device=args.device,
        progress=not args.no_progress, resume=args.resume, max_steps=args.max_steps,
        save_replicas=args.save_replicas, card=card,
    )
    if result.checkpoint:
        last = result.epochs[-1] if result.epochs else {}
        print(f"{result.steps} steps on {result.world_size} process(es), {result.graphs_per_second:.1f} graphs/s; "
              f"last train loss {last.get('train', {}).get('total', float('nan')):.4f}; teacher: {result.checkpoint}")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from crysgnn_zoo.data.sources import dataset_source, list_datasets

    for name, folder in sorted(list_datasets().items()):
        src = dataset_source(name)
        targets = ", ".join(f"{k} ({u})" if u else k for k, u in src.targets.items())
        print(f"{name:16s} {folder}\n{'':16s} targets: {targets}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    """Read every structure of each source under the data policies (README, Data); exit 1 if any is refused."""
    from collections import Counter

    from tqdm.auto import tqdm

    from crysgnn_zoo.data.errors import CrystalDataError, SkipReport
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.data.structures import parse_structure

    refused = SkipReport()
    for spec in args.sources:
        source = open_source(spec)
        n, kinds = 0, Counter()
        for entry in tqdm(source.entries(), desc=source.name, unit="crystal", disable=args.no_progress):
            n += 1
            try:
                parse_structure(entry.fmt, entry.payload, entry.where)
            except CrystalDataError as exc:
                refused.add(exc)
                kinds[type(exc).__name__] += 1
        detail = ", ".join(f"{k} {v}" for k, v in kinds.most_common())
        print(f"{source.name}: {n} structures, {n - sum(kinds.values())} pass, "
              f"{sum(kinds.values())} refused{f' ({detail})' if detail else ''}")
    if len(refused):
        print(refused.summary(args.show), file=sys.stderr)
        if args.out:
            refused.to_csv(args.out)
    return 1 if len(refused) else 0


def _cmd_models(args: argparse.Namespace) -> int:
    from crysgnn_zoo.hub.resolve import released_models
    from crysgnn_zoo.nets.registry import list_models, model_entry

    print("architectures:")
    for name in list_models():
        print(f"  {name:12s} {model_entry(name).summary}")
    print("released weights (crysgnn-zoo predict --model NAME ...):")
    for card in released_models():
        print(f"  {card['name']:34s} {card['summary']}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    """The README's main job: CGCNN vanilla and distilled (the default teacher) on the embedded
    1,000-crystal mp_37k sample, same split and budget; prints both test MAEs and the change."""
    from crysgnn_zoo.train.run import train_model

    results = {}
    for mode, distill in (("vanilla", False), ("distilled", DistillConfig())):
        results[mode] = train_model(
            "mp_37k_sample", "formation_energy_per_atom", "cgcnn",
            train_config=TrainConfig(epochs=args.epochs, lr=5e-3, patience=None), split_sizes=(0.8, 0.1, 0.1),
            split_seed=0, out_dir=Path(args.out) / mode, device=args.device, progress=not args.no_progress,
            distill=distill,
        )
    van, dis = results["vanilla"], results["distilled"]
    u = van.unit
    print(f"\nCGCNN on the embedded mp_37k sample ({'/'.join(map(str, van.split_sizes))} crystals, "
          f"split seed 0, hash {van.split_hash}), {van.epochs_run} epochs, vanilla and distilled from "
          f"{DistillConfig().teacher} ({DistillConfig().objective} objective, alpha {DistillConfig().alpha}):")
    print(f"  test MAE, vanilla    {van.test['mae']:.4f} {u}")
    print(f"  test MAE, distilled  {dis.test['mae']:.4f} {u}  ({100 * (dis.test['mae'] / van.test['mae'] - 1):+.1f}%)")
    print(f"  mean-predictor MAE   {van.mean_predictor_mae:.4f} {u}")
    print(f"  {van.seconds_per_epoch:.2f} / {dis.seconds_per_epoch:.2f} s/epoch; checkpoints: {van.checkpoint}, "
          f"{dis.checkpoint}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crysgnn-zoo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log progress and print tracebacks of errors")
    p = sub.add_parser("train", parents=[verbose], help="train a model on a dataset, folder or file")
    _add_train_args(p)
    p.set_defaults(func=_cmd_train)
    p = sub.add_parser("predict", parents=[verbose],
                       help="predict with a released model or a checkpoint folder; writes id, prediction, unit as CSV")
    p.add_argument("paths", nargs="*", help="CIF/POSCAR files, folders of them, CSV files with a CIF column, "
                                            "or data set names")
    p.add_argument("--model", "--checkpoint", dest="model", required=True,
                   help="released model name (see `crysgnn-zoo models`) or checkpoint folder")
    p.add_argument("--data", action="append", help="one more file, folder or data set (repeatable)")
    p.add_argument("--out", help="CSV to write (default: stdout)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--show", type=int, default=5, help="unreadable structures to list on stderr")
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_predict)
    p = sub.add_parser("curate", parents=[verbose], help="build a de-duplicated, sharded pre-training set")
    p.add_argument("--sources", nargs="*", help="dataset names, files or folders (labels are ignored)")
    p.add_argument("--all-datasets", action="store_true", help="every dataset in the datasets folder")
    p.add_argument("--out", required=True, help="curation folder")
    p.add_argument("--shard", type=_shard, default=(0, 1), help="i/n: this job builds blocks i, i+n, ...")
    p.add_argument("--workers", type=int, help="processes (default 1)")
    p.add_argument("--block-size", type=int, default=2048)
    p.add_argument("--volume-tolerance", type=float, default=0.02)
    p.add_argument("--cutoff", type=float, default=GraphConfig().cutoff)
    p.add_argument("--max-neighbors", type=int, default=GraphConfig().max_neighbors)
    p.add_argument("--no-finalize", action="store_true", help="only build blocks (other shards still running)")
    p.add_argument("--finalize-only", action="store_true", help="de-duplicate and write the manifest")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_curate)
    p = sub.add_parser("pretrain", parents=[verbose], help="pre-train the CrysGNN teacher (torchrun for several processes)")
    d = PretrainConfig()
    p.add_argument("--curated", required=True, help="a finalized curation folder")
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="crysgnn", help="name written into the teacher's card")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="per process")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--feature-weight", type=float, default=d.feature_weight)
    p.add_argument("--connectivity-weight", type=float, default=d.connectivity_weight)
    p.add_argument("--spacegroup-weight", type=float, default=d.spacegroup_weight)
    p.add_argument("--contrastive-weight", type=float, default=d.contrastive_weight)
    p.add_argument("--contrast-on", default=d.contrast_on, choices=["spacegroup", "crystal_system"])
    p.add_argument("--temperature", type=float, default=d.temperature, help="contrastive softmax temperature")
    p.add_argument("--normalize-embeddings", action="store_true",
                   help="L2-normalise atom embeddings before every head (the reference's choice)")
    p.add_argument("--connectivity", default=d.connectivity, choices=["sampled", "all_pairs"],
                   help="sampled edges vs non-edges, or every atom pair classified by its bond count")
    p.add_argument("--max-bonds", type=int, default=d.max_bonds)
    p.add_argument("--no-bond-weight", type=float, default=d.no_bond_weight)
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="CrysGNN config override")
    p.add_argument("--max-steps", type=int, help="stop after this many optimiser steps")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--save-replicas", action="store_true", help="every process writes its final weights")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_pretrain)
    p = sub.add_parser("check", parents=[verbose],
                       help="read every structure of the sources under the data policies; exit 1 if any is refused")
    p.add_argument("sources", nargs="+", help="dataset names, files or folders")
    p.add_argument("--out", help="CSV of the refused structures (where, kind, reason)")
    p.add_argument("--show", type=int, default=5, help="refused structures to print")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser("datasets", parents=[verbose], help="list the datasets found")
    p.set_defaults(func=_cmd_datasets)
    p = sub.add_parser("models", parents=[verbose], help="list the registered models")
    p.set_defaults(func=_cmd_models)
    p = sub.add_parser("demo", parents=[verbose], help="train CGCNN on the embedded sample and report test MAE")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; every named error of the package is one line on stderr and exit code 2
    (``-v`` prints its traceback too)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except CrysgnnZooError as exc:
        if args.verbose:
            traceback.print_exc()
        message = " ".join(str(exc).split("\n"))
        print(f"crysgnn-zoo {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
