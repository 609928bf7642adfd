"""Vanilla vs distilled training of each student, same data, split, seed and budget,
and the epoch-time cost of distillation with and without the teacher-embedding cache.

    python -m benchmarks.distill_check --models cgcnn,crysxpp,gatgnn --dataset perov_5 --target heat_ref --epochs 30
    python -m benchmarks.distill_check --models alignn --epochs 2     # timing of the slow student

Per student three trainings: vanilla; distilled with the teacher's atom
embeddings cached up front; distilled with the teacher run on every batch.
Optimiser settings per student come from ``benchmarks.profiles.RECIPES``.
Writes ``benchmarks/results/distill_check/<student>_<dataset>_<target>.json``
and rewrites ``table.md`` there from every JSON present. The committed results
were measured with ``--embedding-scale per_dim`` (then the default; records
without the field used it).
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from benchmarks.profiles import PROFILES, train_config
from crysgnn_zoo.config import EMBEDDING_SCALES
from crysgnn_zoo.train.run import train_model

OUT = Path(__file__).resolve().parent / "results" / "distill_check"
RUNS = (("vanilla", False, False), ("distilled, cached teacher", True, True), ("distilled, live teacher", True, False))


def check(model: str, dataset: str, target: str, epochs: int, seed: int, teacher: str, alpha: float,
          max_samples: int | None, embedding_scale: str = "global") -> dict:
    profile = PROFILES["paper"]  # full split fractions 80/10/10, no early stopping
    cfg = train_config(profile, model, seed, epochs)
    rows = []
    for label, distill, cache in RUNS:
        result = train_model(dataset, target, model, train_config=cfg, split_seed=seed, max_samples=max_samples,
                             distill=distill, teacher=teacher, alpha=alpha, embedding_scale=embedding_scale,
                             cache_teacher=cache,
                             out_dir=tempfile.mkdtemp(), progress=False)
        rows.append({"run": label, "test_mae": result.test["mae"], "val_mae": result.extra["val"]["mae"],
                     "seconds_per_epoch": result.seconds_per_epoch, "best_epoch": result.best_epoch,
                     "teacher_seconds": (result.extra.get("distill") or {}).get("teacher_cache_seconds")})
        print(json.dumps({"model": model, **rows[-1]}), flush=True)
    return {"model": model, "dataset": dataset, "target": target, "unit": result.unit, "split_seed": seed,
            "split_hash": result.split_hash, "split_sizes": result.split_sizes, "epochs": epochs,
            "train_config": cfg.to_dict(), "teacher": teacher, "alpha": alpha, "embedding_scale": embedding_scale,
            "max_samples": max_samples, "runs": rows}


def table(records: list[dict]) -> str:
    lines = ["# Distillation check: vanilla vs distilled, and what the teacher costs per epoch", "",
             "One seeded split per data set, same budget for the three runs of a student; "
             "`python -m benchmarks.distill_check` (see the module docstring).", "",
             "| student | data (split seed, hash, sizes) | epochs | run | val MAE | test MAE | change | s/epoch | epoch-time overhead |",
             "|---|---|---|---|---|---|---|---|---|"]
    for rec in records:
        base = rec["runs"][0]
        for r in rec["runs"]:
            change = f"{100 * (r['test_mae'] / base['test_mae'] - 1):+.1f}%"
            over = f"{100 * (r['seconds_per_epoch'] / base['seconds_per_epoch'] - 1):+.0f}%"
            extra = f" (+{r['teacher_seconds']:.1f} s once)" if r["run"].endswith("cached teacher") and r["teacher_seconds"] else ""
            lines.append(
                f"| {rec['model']} | {rec['dataset']}/{rec['target']} ({rec['split_seed']}, {rec['split_hash']}, "
                f"{'/'.join(map(str, rec['split_sizes']))}) | {rec['epochs']} | {r['run']} | {r['val_mae']:.4f} | "
                f"{r['test_mae']:.4f} {rec['unit']} | {change} | {r['seconds_per_epoch']:.2f} | {over}{extra} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="cgcnn")
    ap.add_argument("--dataset", default="perov_5")
    ap.add_argument("--target", default="heat_ref")
    ap.add_argument("--teacher", default="crysgnn-v1")
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--embedding-scale", default=EMBEDDING_SCALES[0], choices=EMBEDDING_SCALES)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-samples", type=int)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for model in args.models.split(","):
        rec = check(model, args.dataset, args.target, args.epochs, args.seed, args.teacher, args.alpha, args.max_samples,
                    args.embedding_scale)
        (out / f"{model}_{args.dataset}_{args.target}.json").write_text(json.dumps(rec, indent=1))
        records.append(rec)
        everything = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
        (out / "table.md").write_text(table(everything))
    print((out / "table.md").read_text())
    return records


if __name__ == "__main__":
    main()
