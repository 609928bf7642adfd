"""Package a pre-trained teacher as a release: weights folder, model card, archive, hash table.

    python scripts/release_teacher.py --pretrain-dir runs/pretrain_v1 --curated runs/curated_all \
        --name crysgnn-v1 [--probe benchmarks/results/linear_probe/results.json]

- copies ``<pretrain-dir>/teacher`` into ``models/crysgnn_zoo_weights/<name>/``;
- writes its ``card.json`` (crysgnn_zoo.hub.ModelCard: data, budget, metrics,
  SHA-256, parameter count, commands) and a human-readable ``README.md``;
- packs ``dist/<name>.tar.gz`` reproducibly (fixed mtimes and owners) for a
  download host, and records both hashes in ``crysgnn_zoo/hub/releases.json``.
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
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
    args = ap.parse_args()

    import torch

    from crysgnn_zoo.download import sha256_of
    from crysgnn_zoo.hub.card import ModelCard
    from crysgnn_zoo.hub.checkpoint import load_checkpoint
    from crysgnn_zoo.hub.release import pack, record

    src = Path(args.pretrain_dir) / "teacher"
    dest = ROOT / "models" / "crysgnn_zoo_weights" / args.name
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for f in ("config.json", "weights.pt", "card.json"):  # the card (with the hash) lets load_checkpoint verify
        shutil.copy2(src / f, dest / f)
    raw_card = json.loads((src / "card.json").read_text())
    manifest = json.loads((Path(args.curated) / "manifest.json").read_text())
    model = load_checkpoint(dest).model
    num_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    last_val = raw_card["loss_curve"][-1]["val"] if raw_card.get("loss_curve") else None
    metrics = {"final_validation_losses": last_val,
               "note": ("pre-training objectives on a held-out 2% of the curated set (BCE, BCE, cross-entropy, SupCon), "
                        "evaluated in batches of 256 crystals; training used batches of 64, so the contrastive "
                        "value (which grows with the number of in-batch negatives) is not comparable between the two")}
    if args.probe:
        probe = json.loads(Path(args.probe).read_text())
        metrics["linear_probe"] = [
            {"dataset": r["dataset"], "target": r["target"], "unit": r["unit"], "split_seed": r["split_seed"],
             "split_hash": r["split_hash"], "split_sizes": r["split_sizes"],
             "teacher_test_mae": r["teacher"]["test_mae"], "random_init_test_mae": r["random"]["test_mae"],
             "mean_predictor_mae": r["mean_predictor_mae"]} for r in probe["rows"]]
    card = ModelCard(
        name=args.name,
        architecture="crysgnn",
        sha256=sha256_of(dest / "weights.pt"),
        num_params=num_params,
        data={
            "sources": manifest["sources"],
            "entries": manifest["entries"], "skipped": manifest["skipped"],
            "duplicates_removed": manifest["duplicates"], "crystals": manifest["kept"],
            "per_source": manifest["per_source"],
            "deduplication": "same reduced formula + same spglib space group (symprec 0.1) + volume/atom within 2%",
            "labels_used": "none (space group and crystal system are computed from the structures)",
            "elements": len(manifest["element_histogram"]),
            "atoms_per_crystal": {k: manifest["atoms_per_crystal"][k] for k in ("min", "median", "mean", "p95", "max")},
            "graph_config": manifest["graph_config"],
        },
        training={
            "objectives": raw_card["pretrain_config"],
            "epochs": raw_card["epochs"], "steps": raw_card["steps"], "graphs_seen": raw_card["graphs_seen"],
            "train_crystals": raw_card["train_crystals"], "val_crystals": raw_card["val_crystals"],
            "wall_seconds": raw_card["wall_seconds"], "graphs_per_second": raw_card["graphs_per_second"],
            "processes": raw_card["world_size"],
            "machine": f"{platform.machine()}, torch {torch.__version__}, CPU only",
        },
        metrics=metrics,
        license="MIT (weights); training data: Materials Project CC BY 4.0, CDVAE sets MIT, JARVIS-DFT public",
        command=f"{args.curate_command} && {raw_card.get('command', 'crysgnn-zoo pretrain ...')}",
        extra={"loss_curve": raw_card.get("loss_curve", [])},
    )
    (dest / "card.json").write_text(json.dumps(card.to_dict(), indent=1))
    pc = raw_card["pretrain_config"]
    names = {"feature_weight": "atom-feature reconstruction", "connectivity_weight": "connectivity reconstruction",
             "spacegroup_weight": "space-group classification", "contrastive_weight": f"{pc['contrast_on']} contrastive loss"}
    objectives = ", ".join(f"{label} (weight {pc[key]:g})" for key, label in names.items() if pc[key] > 0)
    mc = model.config
    probe_lines = ""
    for r in metrics.get("linear_probe", []):
        probe_lines += (f"| {r['dataset']} {r['target']} ({r['unit']}) | {r['teacher_test_mae']:.4f} | "
                        f"{r['random_init_test_mae']:.4f} | {r['mean_predictor_mae']:.4f} |\n")
    probe_block = ("Linear probe (ridge on frozen mean embeddings, seeded 80/10/10 split; MAE, lower is better):\n\n"
                   "| task | teacher | random init | mean predictor |\n|---|---|---|---|\n" + probe_lines) if probe_lines else ""
    (dest / "README.md").write_text(f"""# {args.name}

{args.description} ({mc.n_conv} gated graph convolutions, {mc.atom_dim} wide; {num_params:,} parameters), pre-trained
without property labels on {manifest['kept']:,} de-duplicated crystals: every structure in the
project's offline datasets ({', '.join(manifest['sources'])}; {manifest['entries']:,} entries,
{manifest['duplicates']:,} duplicates and {manifest['skipped']} invalid removed). {args.pool_note}

Objectives: {objectives}.
Budget: {raw_card['epochs']} epochs, {raw_card['steps']:,} steps of {raw_card['pretrain_config']['batch_size']}, {raw_card['wall_seconds'] / 60:.0f} min on
{raw_card['world_size']} CPU process(es) ({raw_card['graphs_per_second']:.0f} graphs/s).

{probe_block}
SHA-256 of weights.pt: `{card.sha256}`. Full record: `card.json`.
""")
    archive = pack(dest, args.name, ROOT / "dist" / f"{args.name}.tar.gz")
    record(args.name, archive, card.sha256)
    print(f"released {args.name}: {dest} (sha256 {card.sha256[:16]}...), archive {archive}")


if __name__ == "__main__":
    main()
