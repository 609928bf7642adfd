"""Package a pre-trained teacher as a release: weights folder, model card, archive, hash table.

    python scripts/release_teacher.py --pretrain-dir runs/pretrain_v1 --curated runs/curated_all \
        --name crysgnn-v1 [--probe benchmarks/results/linear_probe/crysgnn-v1/results.json]

- copies ``<pretrain-dir>/teacher`` into ``runs/releases/weights/<name>/`` (with ``--into-package``:
  ``models/crysgnn_zoo_weights/<name>/``, the committed weights package);
- writes its ``card.json`` (crysgnn_zoo.hub.ModelCard: data, budget, metrics,
  SHA-256, parameter count, commands) and a human-readable ``README.md``;
- packs ``<name>.tar.gz`` reproducibly (fixed mtimes and owners) for a download host into
  ``runs/releases/dist/`` (``dist/``), and records both hashes in ``runs/releases/releases.json``
  (``crysgnn_zoo/hub/releases.json``). The folder works as a teacher path right away.
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pretrain-dir", required=True)
    ap.add_argument("--curated", required=True)
    ap.add_argument("--name", default="crysgnn-v1")
    ap.add_argument("--probe", help="linear-probe results.json to record as metrics")
    ap.add_argument("--description", default="CrysGNN teacher encoder",
                    help="first words of the README (e.g. 'CrysAE autoencoder encoder, the starting point of CrysXPP')")
    ap.add_argument("--pool-note", default="The CrysGNN paper pre-trained on ~800K crystals.",
                    help="how the pool compares with the paper's")
    ap.add_argument("--curate-command", default="crysgnn-zoo curate --all-datasets --out runs/curated_all --workers 2")
    ap.add_argument("--into-package", action="store_true",
                    help="write into the committed weights package, dist/ and the package's release table")
    ap.add_argument("--weights-root", help="where the release folder <name>/ goes (default runs/releases/weights)")
    ap.add_argument("--dist", help="where the archive goes (default runs/releases/dist)")
    ap.add_argument("--release-table", help="hash table to record the release in (default runs/releases/releases.json)")
    ap.add_argument("--curves", help="write the per-objective train/validation loss curves (PNG) here")
    args = ap.parse_args(argv)
    for path, name in ((args.pretrain_dir, "--pretrain-dir"), (args.curated, "--curated")):
        if not Path(path).is_dir():
            ap.error(f"{name} {path}: no such folder (crysgnn-zoo pretrain / curate write it)")
    package = {"weights_root": ROOT / "models" / "crysgnn_zoo_weights", "dist": ROOT / "dist",
               "release_table": ROOT / "crysgnn_zoo" / "hub" / "releases.json"}
    mine = {"weights_root": Path("runs/releases/weights"), "dist": Path("runs/releases/dist"),
            "release_table": Path("runs/releases/releases.json")}
    for key, default in (package if args.into_package else mine).items():
        if getattr(args, key) is None:
            setattr(args, key, str(default))
    return args


def plot_curves(history: list[dict], path: Path, title: str) -> None:
    """One panel per pre-training objective: train and held-out validation loss per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in history[0]["train"] if k != "connectivity_acc"]
    fig, axes = plt.subplots(1, len(keys), figsize=(2.6 * len(keys), 2.6))
    epochs = [e["epoch"] for e in history]
    for ax, key in zip(axes, keys):
        ax.plot(epochs, [e["train"][key] for e in history], label="train")
        if all("val" in e for e in history):
            ax.plot(epochs, [e["val"][key] for e in history], label="validation")
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _objective_names(pc: dict) -> dict[str, str]:
    """What each pre-training loss is, from the run's PretrainConfig (as a dict)."""
    all_pairs = pc.get("connectivity", "sampled") == "all_pairs"
    return {
        "feature_weight": "atom-feature reconstruction (BCE)",
        "connectivity_weight": (f"bond-count classification of every atom pair (0-{pc.get('max_bonds', 5)}, "
                                f"cross-entropy, no-bond class weighted {pc.get('no_bond_weight', 0.1):g})"
                                if all_pairs else "connectivity reconstruction (BCE, sampled non-edges)"),
        "spacegroup_weight": "space-group classification (cross-entropy)",
        "contrastive_weight": f"{pc['contrast_on']} contrastive loss (temperature {pc['temperature']:g})",
    }


def _run_record(card: dict) -> dict:
    """The pre-training run's model card (``teacher/card.json``) as one flat record: its
    training and data figures, loss curve and command."""
    return {**card["data"], **card["training"], "loss_curve": card.get("extra", {}).get("loss_curve", []),
            "command": card["command"]}


def _throughput(pretrain_dir: Path, raw_card: dict) -> dict:
    """Whole-run figures plus the median epoch (robust to epochs that shared the machine or
    were paused, which the whole-run wall time includes)."""
    out = {"wall_seconds": raw_card["wall_seconds"], "graphs_per_second": raw_card["graphs_per_second"]}
    history = pretrain_dir / "history.json"
    if history.exists():
        epochs = [e for e in json.loads(history.read_text()) if e.get("seconds")]
        if epochs:
            out["median_epoch_seconds"] = float(np.median([e["seconds"] for e in epochs]))
            out["median_graphs_per_second"] = float(np.median([e["graphs_per_s"] for e in epochs]))
    return out


def _metrics(raw_card: dict, probe_path: str | None) -> dict:
    batch = raw_card["pretrain_config"]["batch_size"]
    metrics = {"final_validation_losses": raw_card["loss_curve"][-1]["val"] if raw_card.get("loss_curve") else None,
               "note": (f"pre-training objectives on the held-out {raw_card['val_crystals']} crystals, evaluated in "
                        f"batches of 256; training used batches of {batch}, so the contrastive value (which grows "
                        "with the number of in-batch negatives) is not comparable between the two")}
    if probe_path:
        probe = json.loads(Path(probe_path).read_text())
        metrics["linear_probe"] = [
            {"dataset": r["dataset"], "target": r["target"], "unit": r["unit"], "split_seed": r["split_seed"],
             "split_hash": r["split_hash"], "split_sizes": r["split_sizes"],
             "teacher_test_mae": r["teacher"]["test_mae"], "random_init_test_mae": r["random"]["test_mae"],
             "mean_predictor_mae": r["mean_predictor_mae"]} for r in probe["rows"]]
    return metrics


def _data(manifest: dict) -> dict:
    return {
        "sources": manifest["sources"],
        "entries": manifest["entries"], "skipped": manifest["skipped"],
        "duplicates_removed": manifest["duplicates"], "crystals": manifest["kept"],
        "per_source": manifest["per_source"],
        "deduplication": "same reduced formula + same spglib space group (symprec 0.1) + volume/atom within 2%",
        "labels_used": "none (space group and crystal system are computed from the structures)",
        "elements": len(manifest["element_histogram"]),
        "atoms_per_crystal": {k: manifest["atoms_per_crystal"][k] for k in ("min", "median", "mean", "p95", "max")},
        "graph_config": manifest["graph_config"],
    }


def _readme(args: argparse.Namespace, card, model, manifest: dict, raw_card: dict) -> str:
    pc = raw_card["pretrain_config"]
    objectives = ", ".join(f"{label} (weight {pc[key]:g})" for key, label in _objective_names(pc).items() if pc[key] > 0)
    normalised = " on L2-normalised atom embeddings" if pc.get("normalize_embeddings") else ""
    speed = card.training
    median = (f"; median epoch {speed['median_epoch_seconds']:.0f} s, {speed['median_graphs_per_second']:.0f} graphs/s"
              if "median_epoch_seconds" in speed else "")
    probe_lines = "".join(f"| {r['dataset']} {r['target']} ({r['unit']}) | {r['teacher_test_mae']:.4f} | "
                          f"{r['random_init_test_mae']:.4f} | {r['mean_predictor_mae']:.4f} |\n"
                          for r in card.metrics.get("linear_probe", []))
    probe_block = ("Linear probe (ridge on frozen mean embeddings, seeded 80/10/10 split; MAE, lower is better):\n\n"
                   "| task | teacher | random init | mean predictor |\n|---|---|---|---|\n" + probe_lines) if probe_lines else ""
    mc = model.config
    return f"""# {args.name}

{args.description} ({mc.n_conv} gated graph convolutions, {mc.atom_dim} wide; {card.num_params:,} parameters), pre-trained
without property labels on {manifest['kept']:,} de-duplicated crystals: every structure in the
project's offline datasets ({', '.join(manifest['sources'])}; {manifest['entries']:,} entries,
{manifest['duplicates']:,} duplicates and {manifest['skipped']} invalid removed). {args.pool_note}

Objectives{normalised}: {objectives}.
Budget: {raw_card['epochs']} epochs, {raw_card['steps']:,} steps of {pc['batch_size']}, {raw_card['wall_seconds'] / 60:.0f} min on
{raw_card['world_size']} CPU process(es) ({raw_card['graphs_per_second']:.0f} graphs/s over the whole run{median}).

{probe_block}
SHA-256 of weights.pt: `{card.sha256}`. Full record: `card.json`.
"""


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    import torch
    from ase.data import atomic_numbers

    from crysgnn_zoo.download import sha256_of
    from crysgnn_zoo.hub.card import ModelCard
    from crysgnn_zoo.hub.checkpoint import load_checkpoint
    from crysgnn_zoo.hub.release import RELEASE_TABLE, pack, record

    src = Path(args.pretrain_dir) / "teacher"
    dest = Path(args.weights_root) / args.name
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for f in ("config.json", "weights.pt", "card.json"):  # the card (with the hash) lets load_checkpoint verify
        shutil.copy2(src / f, dest / f)
    raw_card = _run_record(json.loads((src / "card.json").read_text()))
    manifest = json.loads((Path(args.curated) / "manifest.json").read_text())
    model = load_checkpoint(dest).model
    card = ModelCard(
        name=args.name, architecture="crysgnn", sha256=sha256_of(dest / "weights.pt"),
        config_sha256=sha256_of(dest / "config.json"),
        num_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        data=_data(manifest),
        elements=sorted(atomic_numbers[symbol] for symbol in manifest["element_histogram"]),  # train --distill's check
        training={
            "objectives": raw_card["pretrain_config"],
            "epochs": raw_card["epochs"], "steps": raw_card["steps"], "graphs_seen": raw_card["graphs_seen"],
            "train_crystals": raw_card["train_crystals"], "val_crystals": raw_card["val_crystals"],
            **_throughput(Path(args.pretrain_dir), raw_card), "processes": raw_card["world_size"],
            "machine": f"{platform.machine()}, torch {torch.__version__}, CPU only",
        },
        metrics=_metrics(raw_card, args.probe),
        license="MIT (weights); training data: Materials Project CC BY 4.0, CDVAE sets MIT, JARVIS-DFT public",
        command=f"{args.curate_command} && {raw_card.get('command', 'crysgnn-zoo pretrain ...')}",
        extra={"loss_curve": raw_card.get("loss_curve", [])},
    )
    (dest / "card.json").write_text(json.dumps(card.to_dict(), indent=1))
    (dest / "README.md").write_text(_readme(args, card, model, manifest, raw_card))
    history = Path(args.pretrain_dir) / "history.json"
    if args.curves and history.exists():
        plot_curves(json.loads(history.read_text()), Path(args.curves), f"{args.name} pre-training losses")
    archive = pack(dest, args.name, Path(args.dist) / f"{args.name}.tar.gz")
    record(args.name, archive, card.sha256, Path(args.release_table) if args.release_table else RELEASE_TABLE,
           config_sha256=card.config_sha256)
    print(f"released {args.name}: {dest} (sha256 {card.sha256[:16]}...), archive {archive}")


if __name__ == "__main__":
    main()
