"""One table over every data set the runner has results for.

    python -m benchmarks.summary        # writes benchmarks/results/SUMMARY.md and prints it

Per student: the relative test-MAE change from distillation on each row
(property of a data set) that has both vanilla and distilled runs, and the mean
over those rows, next to the paper's mean over its 11 rows.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.paper import STUDENTS, paper_mean_change

RESULTS = Path(__file__).resolve().parent / "results"


def summary(results: Path = RESULTS) -> str:
    rows = []
    for path in sorted(results.glob("*/results.json")):
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "summary" not in data or "meta" not in data:
            continue  # another benchmark's results
        for r in data["summary"]:
            if r["change"] is not None:
                rows.append((data["meta"], r))
    models = [m for m in STUDENTS if any(r["model"] == m for _, r in rows)]
    models += sorted({r["model"] for _, r in rows} - set(models))
    lines = ["# Distillation across data sets (benchmarks.run results)", "",
             "Relative test-MAE change, distilled / vanilla - 1 (mean over seeds of each). "
             "Negative = distillation helped.", "",
             "| data set (profile) | property | " + " | ".join(models) + " |",
             "|---|---|" + "---|" * len(models)]
    keyed: dict[tuple, dict[str, float]] = {}
    paired: dict[tuple, int] = {}  # (dataset, profile, target, model) -> seeds with both runs
    for meta, r in rows:
        key = (meta["dataset"], meta["profile"], r["target"])
        keyed.setdefault(key, {})[r["model"]] = r["change"]
        paired[key + (r["model"],)] = len(r.get("change_per_seed") or [])
    most = max(paired.values(), default=0)

    def cell(key: tuple, m: str) -> str:
        if m not in keyed[key]:
            return "-"
        n = paired[key + (m,)]
        return f"{100 * keyed[key][m]:+.1f}%" + (f" ({n} of {most} seeds)" if n < most else "")

    for key in keyed:
        dataset, profile, target = key
        lines.append(f"| {dataset} ({profile}) | {target} | " + " | ".join(cell(key, m) for m in models) + " |")
    means = []
    for m in models:
        vals = [c[m] for c in keyed.values() if m in c]
        means.append(f"{100 * float(np.mean(vals)):+.1f}% ({len(vals)} rows)" if vals else "-")
    lines.append("| **mean over rows run** | | " + " | ".join(means) + " |")
    lines.append("| paper, mean over its 11 rows | | " + " | ".join(
        f"{100 * paper_mean_change(m):+.1f}%" if m in STUDENTS else "-" for m in models) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    text = summary()
    (RESULTS / "SUMMARY.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
