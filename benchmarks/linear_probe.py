"""Did pre-training learn something? A linear probe on frozen crystal embeddings.

    python -m benchmarks.linear_probe --teacher crysgnn-v1

For each (dataset, target) below, every crystal is embedded by the frozen
encoder (mean of its atom embeddings), a ridge regression is fitted on the
training part (its penalty chosen on the validation part from a log grid) and
scored on the test part. The same is done with the same architecture at a
random initialisation (seed 0), on the same seeded split. Lower test MAE for
the teacher means its embeddings carry more linearly usable information.

Writes ``benchmarks/results/linear_probe/<teacher>/`` (results.json, results.md, probe.png;
``<teacher>`` is the release name or the folder's name).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from crysgnn_zoo.data.sources import open_source
from crysgnn_zoo.data.splits import random_split, subsample
from crysgnn_zoo.distill.teachers import load_teacher
from crysgnn_zoo.graphs.build import build_store
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.nets.crysgnn import CrysGNN
from crysgnn_zoo.train.metrics import mean_predictor_mae

RESULTS = Path("runs") / "results" / "linear_probe"  # benchmarks/results/linear_probe holds the committed results
TASKS = (("perov_5", "heat_ref"), ("carbon_24", "energy_per_atom"))


@torch.no_grad()
def crystal_embeddings(encoder, store, batch_size: int = 256) -> np.ndarray:
    """(n_crystals, d) mean-pooled atom embeddings."""
    from crysgnn_zoo._dgl import dgl

    encoder.eval()
    out = []
    for start in range(0, len(store), batch_size):
        g = collate(store, np.arange(start, min(start + batch_size, len(store))))
        with g.local_scope():
            g.ndata["h"] = encoder.embed(g)
            out.append(dgl.mean_nodes(g, "h").numpy())
    return np.concatenate(out)


def ridge_probe(x: np.ndarray, y: np.ndarray, split) -> dict:
    """scikit-learn ridge on standardised features (unpenalised intercept); the penalty is
    picked by validation MAE over 10^-4 .. 10^4."""
    best = None
    for alpha in 10.0 ** np.arange(-4, 4.5, 0.5):
        probe = make_pipeline(StandardScaler(), Ridge(alpha=float(alpha))).fit(x[split.train], y[split.train])
        val = float(mean_absolute_error(y[split.val], probe.predict(x[split.val])))
        if best is None or val < best[0]:
            best = (val, alpha, probe)
    val_mae, alpha, probe = best
    return {"alpha": float(alpha), "val_mae": val_mae,
            "test_mae": float(mean_absolute_error(y[split.test], probe.predict(x[split.test])))}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", default="crysgnn-v1", help="release name or checkpoint folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-samples", type=int, help="sub-sample each set (seeded)")
    ap.add_argument("--out", help="results folder (default: benchmarks/results/linear_probe/<teacher>)")
    args = ap.parse_args(argv)
    teacher = load_teacher(args.teacher)
    torch.manual_seed(0)
    random_net = CrysGNN(teacher.config)
    rows = []
    for dataset, target in TASKS:
        source = open_source(dataset)
        store = build_store(source, teacher.graph_config).store
        store = store.subset(subsample(len(store), args.max_samples, args.seed))
        y = store.target(target)
        split = random_split(store.ids, (0.8, 0.1, 0.1), args.seed)
        row = {"dataset": dataset, "target": target, "unit": source.unit(target), "split_seed": args.seed,
               "split_hash": split.hash, "split_sizes": list(split.sizes),
               "mean_predictor_mae": mean_predictor_mae(y[split.train], y[split.test])}
        for label, net in (("teacher", teacher), ("random", random_net)):
            row[label] = ridge_probe(crystal_embeddings(net, store), y, split)
        rows.append(row)
        print(f"{dataset}/{target} ({row['unit']}), split {split.hash}: teacher {row['teacher']['test_mae']:.4f}, "
              f"random {row['random']['test_mae']:.4f}, mean predictor {row['mean_predictor_mae']:.4f}")
    out = Path(args.out) if args.out else RESULTS / Path(str(args.teacher)).name
    out.mkdir(parents=True, exist_ok=True)
    report = {"teacher": str(args.teacher), "teacher_card": {k: teacher.card.get(k) for k in ("name", "sha256", "crystals", "epochs", "steps")}, "rows": rows}
    (out / "results.json").write_text(json.dumps(report, indent=1))
    lines = ["| dataset | target | split (seed, hash) | teacher probe MAE | random-init probe MAE | mean predictor |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        u = r["unit"]
        lines.append(f"| {r['dataset']} | {r['target']} ({u}) | {r['split_seed']}, {r['split_hash']} "
                     f"({'/'.join(map(str, r['split_sizes']))}) | {r['teacher']['test_mae']:.4f} | "
                     f"{r['random']['test_mae']:.4f} | {r['mean_predictor_mae']:.4f} |")
    (out / "results.md").write_text("\n".join(lines) + "\n")
    _plot(rows, out / "probe.png")
    return report


def _plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(rows), figsize=(3.2 * len(rows), 3))
    for ax, r in zip(np.atleast_1d(axes), rows):
        vals = [r["teacher"]["test_mae"], r["random"]["test_mae"], r["mean_predictor_mae"]]
        ax.bar(["teacher", "random", "mean"], vals, color=["C0", "C1", "C7"])
        ax.set_title(f"{r['dataset']}\n{r['target']}", fontsize=9)
        ax.set_ylabel(f"test MAE ({r['unit']})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    from benchmarks import run_main

    run_main(main)
