"""Vanilla vs distilled training of one student, same data, split, seed and budget.

    python -m benchmarks.distill_check --model cgcnn --dataset perov_5 --target heat_ref --epochs 30

Runs three trainings: vanilla; distilled from the teacher with its atom
embeddings cached up front; distilled with the teacher run on every batch.
Prints test MAE and seconds per epoch of each, i.e. the MAE change and the
epoch-time overhead of distillation with and without the cache.
"""
from __future__ import annotations

import argparse
import json
import tempfile

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.train.run import train_model


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="cgcnn")
    ap.add_argument("--dataset", default="perov_5")
    ap.add_argument("--target", default="heat_ref")
    ap.add_argument("--teacher", default="crysgnn-v1")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-samples", type=int)
    args = ap.parse_args(argv)
    cfg = TrainConfig(epochs=args.epochs, lr=args.lr, patience=None, seed=args.seed)
    rows = []
    for label, distill, cache in (("vanilla", False, False), ("distilled, cached teacher", True, True),
                                  ("distilled, live teacher", True, False)):
        result = train_model(args.dataset, args.target, args.model, train_config=cfg, split_seed=args.seed,
                             max_samples=args.max_samples, distill=distill, teacher=args.teacher,
                             cache_teacher=cache, out_dir=tempfile.mkdtemp(), progress=False)
        rows.append({"run": label, "test_mae": result.test["mae"], "unit": result.unit,
                     "seconds_per_epoch": result.seconds_per_epoch, "split_hash": result.split_hash,
                     "split_sizes": result.split_sizes, "best_epoch": result.best_epoch,
                     "teacher_cache_seconds": (result.extra.get("distill") or {}).get("teacher_cache_seconds")})
        print(json.dumps(rows[-1]))
    base = rows[0]
    for r in rows:
        print(f"{r['run']:28s} test MAE {r['test_mae']:.4f} {r['unit']} ({100 * (r['test_mae'] / base['test_mae'] - 1):+.1f}%), "
              f"{r['seconds_per_epoch']:.2f} s/epoch ({100 * (r['seconds_per_epoch'] / base['seconds_per_epoch'] - 1):+.0f}%)")
    return rows


if __name__ == "__main__":
    main()
