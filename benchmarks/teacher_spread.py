"""How much do the teacher's atom embeddings vary on a data set, and in how many directions?

    python -m benchmarks.teacher_spread [--teacher crysgnn-v1] [--datasets carbon_24,perov_5,...]

For each data set: a seeded sample of up to ``--crystals`` crystals
(``subsample(n, crystals, seed=0)``), every atom embedded by the frozen teacher,
then

- the per-dimension standard deviation (min / median / max) and the ratio of
  largest to smallest: the weights the ``per_dim`` embedding MSE gives
  each dimension are ``1 / std_d**2``, so this ratio squared is how much more a
  barely varying dimension counts than the teacher's main direction;
- the participation ratio of the embedding covariance's eigenvalues
  ``(sum l)^2 / sum l^2``: the effective number of directions the embeddings
  spread in (1 to the embedding width), and the variance share of the top 5;
- ``mean |mu_d| / std_d``: how far the teacher's mean embedding lies from zero in
  per-dimension units (the embedding MSE of a student that starts near zero).

Writes ``benchmarks/results/teacher_spread/`` (table.md, results.json).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.sources import open_source
from crysgnn_zoo.data.splits import subsample
from crysgnn_zoo.distill.model import TeacherEmbeddingCache
from crysgnn_zoo.graphs.build import build_store
from crysgnn_zoo.hub.resolve import load_teacher

RESULTS = Path(__file__).resolve().parent / "results" / "teacher_spread"
DATASETS = ("carbon_24", "perov_5", "mp_ehull", "mp_elastic", "mp_37k")


def spread_statistics(embeddings: torch.Tensor) -> dict:
    """Statistics of an ``(n_atoms, d)`` embedding matrix (see the module docstring)."""
    e = embeddings.double()
    std = e.std(dim=0)
    eig = torch.linalg.eigvalsh(torch.cov(e.T)).clamp_min(0).flip(0)
    return {
        "atoms": int(e.shape[0]), "dim": int(e.shape[1]),
        "std_min": float(std.min()), "std_median": float(std.median()), "std_max": float(std.max()),
        "std_max_over_min": float(std.max() / std.min().clamp_min(1e-12)),
        "participation_ratio": float(eig.sum() ** 2 / (eig ** 2).sum().clamp_min(1e-300)),
        "top5_variance_share": float(eig[:5].sum() / eig.sum().clamp_min(1e-300)),
        "mean_abs_mean_over_std": float((e.mean(dim=0).abs() / std.clamp_min(1e-12)).mean()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--teacher", default="crysgnn-v1")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--crystals", type=int, default=1000, help="crystals sampled per data set")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    teacher = load_teacher(args.teacher)
    rows = []
    for name in tqdm(args.datasets.split(","), desc="data sets", unit="set"):
        store = build_store(open_source(name), GraphConfig(), progress=False).store
        store = store.subset(subsample(len(store), args.crystals, 0))
        rows.append({"dataset": name, "crystals": len(store),
                     **spread_statistics(TeacherEmbeddingCache(teacher, store).embeddings)})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"teacher": args.teacher, "rows": rows}, indent=1))
    lines = [f"# Teacher `{args.teacher}` atom embeddings per data set (`python -m benchmarks.teacher_spread`)", "",
             "| data set | crystals | atoms | std min / median / max | max/min | participation ratio (of d) "
             "| top-5 variance share | mean abs(mean)/std |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['crystals']} | {r['atoms']} | {r['std_min']:.3f} / {r['std_median']:.3f} / "
                     f"{r['std_max']:.3f} | {r['std_max_over_min']:.0f} | {r['participation_ratio']:.1f} (of {r['dim']}) "
                     f"| {r['top5_variance_share']:.2f} | {r['mean_abs_mean_over_std']:.2f} |")
    text = "\n".join(lines) + "\n"
    (out / "table.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
