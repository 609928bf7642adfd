"""The features baseline: a frozen teacher's crystal embeddings and a scikit-learn regressor, on the
quick table's own splits, beside its vanilla and distilled students.

    python -m benchmarks.features --teacher crysgnn-v1 --seeds 0,1,2
    python -m benchmarks.features --teacher chgnet-0.3.0      # needs the chgnet extra

For every row of the main quick table (the records in ``benchmarks/results/<dataset>/runs.jsonl``)
and seed, the same crystals and split as the row's runs are rebuilt (checked against the recorded
split hash) and embedded by the teacher (:func:`crysgnn_zoo.embed.crystal_embeddings`: the mean of
its atom embeddings). Two regressors are fitted on the training part, their hyper-parameters
chosen on validation MAE: ridge on standardised features (penalty 10^-4 .. 10^4) and gradient-
boosted trees (scikit-learn's HistGradientBoostingRegressor, 500 rounds, learning rate x leaves
grid). The baseline is the one with the lower validation MAE; its test MAE is reported. The table
sets it beside each student's vanilla and distilled test MAE (means over the same seeds) and names
the row's winner on test MAE. A teacher that saw a row's labels is marked (not clean).

Writes ``runs.jsonl`` (one line per row x seed), ``table.md`` and ``plot.png`` under
``--out`` (default ``runs/results/features/<teacher>``; ``benchmarks/results/features/<teacher>`` updates
the committed results).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from benchmarks import run as runner
from benchmarks.records import read_records, write_records

RESULTS = Path(__file__).resolve().parent / "results"
QUICK_ROWS = ("carbon_24", "mp", "mp_ehull", "mp_elastic", "perov_5")
RIDGE_ALPHAS = tuple(float(a) for a in 10.0 ** np.arange(-4, 4.5, 0.5))
GBM_GRID = tuple((lr, leaves) for lr in (0.03, 0.1) for leaves in (15, 31))


def ridge(x: np.ndarray, y: np.ndarray, split, keep: bool = False) -> dict:
    """Ridge on standardised features; the penalty with the lowest validation MAE (``keep``:
    the fitted regressor too, as ``"model"``)."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return _choose(lambda a: make_pipeline(StandardScaler(), Ridge(alpha=a)), RIDGE_ALPHAS, x, y, split, "alpha", keep)


def boosted_trees(x: np.ndarray, y: np.ndarray, split, seed: int, keep: bool = False) -> dict:
    """Gradient-boosted trees; learning rate and leaves with the lowest validation MAE (``keep``:
    the fitted regressor too)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    def make(params):
        lr, leaves = params
        return HistGradientBoostingRegressor(learning_rate=lr, max_leaf_nodes=leaves, max_iter=500,
                                             early_stopping=False, random_state=seed)

    return _choose(make, GBM_GRID, x, y, split, "learning_rate, max_leaf_nodes", keep)


def _choose(make, grid, x, y, split, name: str, keep: bool = False) -> dict:
    best = None
    for params in grid:
        fitted = make(params).fit(x[split.train], y[split.train])
        val = float(np.abs(fitted.predict(x[split.val]) - y[split.val]).mean())
        if best is None or val < best[0]:
            best = (val, params, fitted)
    val, params, fitted = best
    return {"params": {name: params}, "val_mae": val,
            "test_mae": float(np.abs(fitted.predict(x[split.test]) - y[split.test]).mean()),
            **({"model": fitted} if keep else {})}


def rebuild(dataset: str, target: str, sizes: tuple, seed: int, split_hash: str):
    """``(store, split)`` of a quick-table run, as the runner built them (checked by hash)."""
    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.graphs.build import build_store
    from crysgnn_zoo.graphs.select import checked_split, usable_data

    source = runner.plan_for(dataset, None, [target]).source
    built = build_store(source, GraphConfig(), progress=False)
    store, _ = usable_data(source, built, target, sum(sizes), seed)
    split = checked_split(store, sizes, seed, source.name, target)
    if split.hash != split_hash:
        raise SystemExit(f"{dataset}/{target} seed {seed}: rebuilt split {split.hash} != recorded {split_hash}")
    return store, split


def row_seed(encoder, dataset: str, target: str, runs: list[dict], seed: int) -> dict:
    """The features baseline for one row and seed (``runs``: the row's recorded runs)."""
    from crysgnn_zoo.embed import crystal_embeddings

    ref = next(r for r in runs if r["target"] == target and r["seed"] == seed and r["mode"] == "vanilla")
    store, split = rebuild(dataset, target, tuple(ref["split_sizes"]), seed, ref["split_hash"])
    x = crystal_embeddings(encoder, store)
    y = store.target(target)
    fits = {"ridge": ridge(x, y, split), "boosted_trees": boosted_trees(x, y, split, seed)}
    chosen = min(fits, key=lambda k: fits[k]["val_mae"])
    return {"dataset": dataset, "target": target, "unit": ref.get("unit", ""), "seed": seed, "model": "features",
            "mode": encoder.name, "split": {"seed": seed, "sizes": list(split.sizes), "hash": split.hash},
            "regressors": fits, "chosen": chosen, "val_mae": fits[chosen]["val_mae"],
            "test_mae": fits[chosen]["test_mae"]}


def students(dataset: str, target: str, seeds: list[int]) -> dict[tuple[str, str], float]:
    """``(student, mode) -> mean test MAE`` over ``seeds`` of the row's recorded quick runs (all seeds present)."""
    _, runs = read_records(RESULTS / dataset)
    out = {}
    for model in sorted({r["model"] for r in runs}):
        for mode in ("vanilla", "distilled"):
            maes = {r["seed"]: r["test"]["mae"] for r in runs
                    if r["target"] == target and r["model"] == model and r["mode"] == mode}
            if all(s in maes for s in seeds):
                out[(model, mode)] = float(np.mean([maes[s] for s in seeds]))
    return out


def table_rows(records: list[dict], seeds: list[int]) -> list[dict]:
    rows = []
    for dataset, target in dict.fromkeys((r["dataset"], r["target"]) for r in records):
        mine = [r for r in records if r["dataset"] == dataset and r["target"] == target and r["seed"] in seeds]
        if sorted(r["seed"] for r in mine) != sorted(seeds):
            continue
        others = students(dataset, target, seeds)
        features = float(np.mean([r["test_mae"] for r in mine]))
        candidates = {"features": features, **{f"{m} {mode}": v for (m, mode), v in others.items()}}
        rows.append({"dataset": dataset, "target": target, "unit": mine[0]["unit"], "features": features,
                     "chosen": [r["chosen"] for r in sorted(mine, key=lambda r: r["seed"])],
                     "students": {f"{m} {mode}": v for (m, mode), v in others.items()},
                     "winner": min(candidates, key=candidates.get)})
    return rows


def markdown(rows: list[dict], teacher: str, seeds: list[int], not_clean: list[str]) -> str:
    names = sorted({k for r in rows for k in r["students"]})
    lines = [f"# Features baseline: {teacher} crystal embeddings + a regressor chosen on validation", "",
             f"- Command: `python -m benchmarks.features --teacher {teacher} --seeds {','.join(map(str, seeds))}`",
             "- Quick profile (at most 1,000 train / 250 validation / 500 test crystals per seed), the same splits as "
             "the students' runs; mean test MAE over the seeds; the regressor (ridge or boosted trees) chosen per "
             "seed on validation MAE.", "",
             "| data set | property | features | " + " | ".join(names) + " | best |",
             "|---|---|---|" + "---|" * len(names) + "---|"]
    for r in rows:
        mark = " (teacher saw these labels: not clean)" if _data_name(r["dataset"]) in not_clean else ""
        cells = " | ".join(f"{r['students'][n]:.4g}" if n in r["students"] else "-" for n in names)
        lines.append(f"| {_data_name(r['dataset'])} | {r['target']} ({r['unit']}){mark} | {r['features']:.4g} "
                     f"({'/'.join(c.replace('boosted_trees', 'trees') for c in r['chosen'])}) | {cells} | "
                     f"{r['winner']} |")
    return "\n".join(lines) + "\n"


def _data_name(dataset: str) -> str:
    return "mp_37k" if dataset == "mp" else dataset


def plot(rows: list[dict], path: Path) -> None:
    """Per row: each student's vanilla and distilled test MAE and the features baseline, relative to
    CGCNN vanilla."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5))
    y = np.arange(len(rows))
    for k, name in enumerate(sorted({n for r in rows for n in r["students"]})):
        ax.scatter([100 * (r["students"].get(name, np.nan) / r["students"]["cgcnn vanilla"] - 1) for r in rows], y,
                   marker="o" if name.endswith("vanilla") else "x", color=f"C{k // 2}", label=name, s=22)
    ax.scatter([100 * (r["features"] / r["students"]["cgcnn vanilla"] - 1) for r in rows], y, marker="s",
               color="black", label="features baseline", s=36)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(y, [f"{_data_name(r['dataset'])}\n{r['target']}" for r in rows], fontsize=7)
    ax.set_xlabel("test MAE relative to CGCNN vanilla (%), mean over seeds")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", default="crysgnn-v1", help="teacher name or checkpoint folder (crysgnn_zoo.embed)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--rows", default=",".join(QUICK_ROWS), help="quick-table results folders to follow")
    ap.add_argument("--out", type=Path, help="results folder (default runs/results/features/<teacher>)")
    args = ap.parse_args(argv)
    from crysgnn_zoo.distill.teachers import teacher_card
    from crysgnn_zoo.embed import load_encoder

    seeds = [int(s) for s in args.seeds.split(",")]
    encoder = load_encoder(args.teacher)
    out = args.out or Path("runs") / "results" / "features" / encoder.name
    out.mkdir(parents=True, exist_ok=True)
    _, done = read_records(out)
    have = {(r["dataset"], r["target"], r["seed"]) for r in done}
    for dataset in args.rows.split(","):
        if not (RESULTS / dataset / "runs.jsonl").exists():
            raise SystemExit(f"error: no quick-table records in {RESULTS / dataset} (run benchmarks.run first)")
        _, runs = read_records(RESULTS / dataset)
        for target in dict.fromkeys(r["target"] for r in runs):
            for seed in seeds:
                if (dataset, target, seed) not in have:
                    done.append(row_seed(encoder, dataset, target, runs, seed))
                    print(f"{dataset}/{target} seed {seed}: {done[-1]['chosen']}, "
                          f"test MAE {done[-1]['test_mae']:.4g}", file=sys.stderr)
                    write_records(out, {"kind": "features", "teacher": encoder.name, "seeds": seeds}, done)
    rows = table_rows(done, seeds)
    (out / "table.md").write_text(markdown(rows, encoder.name, seeds, teacher_card(args.teacher).get("not_clean_for", [])))
    plot(rows, out / "plot.png")
    print((out / "table.md").read_text())
    return 0


if __name__ == "__main__":
    from benchmarks import run_main

    run_main(main)
