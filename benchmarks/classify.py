"""Metal / non-metal classification on mp_37k (band gap > 0), vanilla against distilled CGCNN.

    python -m benchmarks.classify          # runs (resumable) and table: benchmarks/results/classification
    python -m benchmarks.classify --table  # the table from the recorded runs only

The quick profile's draw of mp_37k (1,000/250/500 crystals per seed, 10 epochs, batch 64, CGCNN's
recipe), seeds 0-2, through :mod:`benchmarks.run` with ``TrainConfig(task="classification",
threshold=0)``: the label is band gap > 0 eV, the loss binary cross-entropy, the output a
probability. Vanilla and distilled (CGCNN's default distillation: crysgnn-v1, alpha 0.5,
half_decay) share split, seed and budget. Reported: test ROC-AUC and accuracy per seed and their
paired changes, beside CGCNN's published metal/non-metal AUC on Materials Project (0.95, Xie &
Grossman 2018, on their own, much larger split: not the same data or budget).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from benchmarks import run as runner
from benchmarks.records import read_records

OUT = Path(__file__).resolve().parent / "results" / "classification"
PAPER_AUC = 0.95  # CGCNN (Xie & Grossman, PRL 2018), metal / semiconductor classification on MP


def run(seeds: str) -> int:
    return runner.main(["--dataset", "mp", "--properties", "band_gap", "--profile", "quick", "--models", "cgcnn",
                        "--seeds", seeds, "--train", "task=classification", "--train", "threshold=0.0",
                        "--no-table", "--out", str(OUT)])


def table() -> str:
    runs = read_records(OUT)[1]
    by = {(r["mode"], r["split_seed"]): r for r in runs}
    seeds = sorted({s for m, s in by if m == "vanilla"} & {s for m, s in by if m == "distilled"})
    lines = ["# mp_37k metal / non-metal (band gap > 0 eV), CGCNN, quick profile", "",
             "`python -m benchmarks.classify`; test crystals per seed: 500; label: band gap > 0 eV.", "",
             "| seed | split hash | positive share (test) | vanilla AUC | distilled AUC | vanilla accuracy | "
             "distilled accuracy |", "|---|---|---|---|---|---|---|"]
    for s in seeds:
        v, d = by[("vanilla", s)]["test"], by[("distilled", s)]["test"]
        lines.append(f"| {s} | {by[('vanilla', s)]['split_hash']} | {v['positive_share']:.3f} | {v['roc_auc']:.4f} | "
                     f"{d['roc_auc']:.4f} | {v['accuracy']:.3f} | {d['accuracy']:.3f} |")
    if seeds:
        mean = {k: {m: float(np.mean([by[(m, s)]["test"][k] for s in seeds])) for m in ("vanilla", "distilled")}
                for k in ("roc_auc", "accuracy")}
        diff = [by[("distilled", s)]["test"]["roc_auc"] - by[("vanilla", s)]["test"]["roc_auc"] for s in seeds]
        lines += [f"| mean | | | {mean['roc_auc']['vanilla']:.4f} | {mean['roc_auc']['distilled']:.4f} | "
                  f"{mean['accuracy']['vanilla']:.3f} | {mean['accuracy']['distilled']:.3f} |", "",
                  f"Paired AUC change, distilled minus vanilla: {', '.join(f'{x:+.4f}' for x in diff)} "
                  f"(mean {np.mean(diff):+.4f}). CGCNN's paper: AUC {PAPER_AUC} on its own MP split (not this data "
                  "or budget)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--table", action="store_true", help="only rebuild the table from the recorded runs")
    args = ap.parse_args(argv)
    if not args.table and run(args.seeds):
        return 2
    text = table()
    (OUT / "table.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
