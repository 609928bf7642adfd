"""Transfer modes x teachers: how much each channel moves CGCNN, and how much of it is knowledge.

    python -m benchmarks.teachers --rows perov_5:heat_ref,mp_elastic:shear_modulus_vrh --models cgcnn \
        --seeds 0,1,2,3,4 --output-bound clip --settings crysgnn-v1:spread:0.5:1:half_decay:crystal ...
    python -m benchmarks.teachers ... --settings crysgnn-random0:spread:0.5:1:half_decay:crystal ... \
        --out benchmarks/results/teacher_control
    python -m benchmarks.modes            # table.md, results.json, plot.png in benchmarks/results/modes
    python -m benchmarks.modes --input-cost   # what the input mode's teacher costs per crystal at prediction

Reads the runs the teachers grid recorded: the trained teacher's (crysgnn-v1) under
``benchmarks/results/teachers/<row>/`` and the untrained control's (crysgnn-random0, v1's
architecture at random initialisation) under ``benchmarks/results/teacher_control/<row>/``, each
mode a setting ``crysgnn-*:spread:0.5:1:half_decay[:mode]`` (CGCNN's default alpha and schedule),
vanilla runs in ``<row>/vanilla`` of the teachers folder (the control folder's are copies; same
splits, checked by hash). Per row, mode and teacher: the paired per-seed change of the validation
MAE (what a default is chosen on) and of the test MAE against vanilla CGCNN, test R2; and the
**knowledge share**: the paired per-seed difference between the trained and the untrained
teacher's change (points; negative: the trained teacher's knowledge lowers the MAE), and that
difference as a share of the trained teacher's change.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.records import read_records

RESULTS = Path(__file__).resolve().parent / "results"
OUT = RESULTS / "modes"
ROWS = ("perov_5_heat_ref", "mp_elastic_shear_modulus_vrh", "mp_formation_energy_per_atom_5000_30",
        "carbon_24_energy_per_atom", "carbon_24_energy_per_atom_1000_50", "mp_ehull_e_above_hull")
MODES = ("embedding", "crystal", "embedding+crystal", "soft_targets", "embedding+soft_targets", "input")
#: each teacher's results folder; the knowledge share compares a trained teacher with its untrained control
TEACHERS = {"crysgnn-v1": RESULTS / "teachers", "chgnet-0.3.0": RESULTS / "teachers",
            "crysgnn-random0": RESULTS / "teacher_control"}
CONTROL = {"crysgnn-v1": "crysgnn-random0"}
BASE = "spread_0.5_1_half_decay"


def _runs(folder: Path, mode: str) -> dict[int, dict]:
    return {r["split_seed"]: r for r in read_records(folder)[1] if r["model"] == "cgcnn" and r["mode"] == mode}


def folder(teacher: str, row: str, mode: str) -> Path:
    suffix = "" if mode == "embedding" else f"_{mode}"
    return TEACHERS[teacher] / row / f"{teacher}_{BASE}{suffix}"


def _change(runs: dict, vanilla: dict, key) -> dict[int, float]:
    out = {}
    for seed in sorted(set(runs) & set(vanilla)):
        if runs[seed]["split_hash"] != vanilla[seed]["split_hash"]:
            raise SystemExit(f"seed {seed}: split {runs[seed]['split_hash']} != {vanilla[seed]['split_hash']}")
        out[seed] = 100 * (key(runs[seed]) / key(vanilla[seed]) - 1)
    return out


def _test_means(runs: dict, seeds) -> dict:
    return {"test_mae": float(np.mean([runs[s]["test"]["mae"] for s in seeds])),
            "test_r2": float(np.mean([runs[s]["test"].get("r2", np.nan) for s in seeds]))}


def cell(row: str, mode: str, teacher: str, vanilla: dict) -> dict | None:
    """One teacher's runs of ``mode`` on ``row``: per-seed validation and test change against
    vanilla, mean test MAE and R2 over the paired seeds; ``None`` when none ran."""
    runs = _runs(folder(teacher, row, mode), "distilled")
    if not runs:
        return None
    val = _change(runs, vanilla, lambda r: r["extra"]["val"]["mae"])
    test = _change(runs, vanilla, lambda r: r["test"]["mae"])
    return {"val": val, "test": test, **_test_means(runs, val)}


def _knowledge(trained: dict, control: dict | None) -> dict | None:
    """The trained teacher's validation change minus its untrained control's, per paired seed."""
    if control is None:
        return None
    seeds = sorted(set(trained["val"]) & set(control["val"]))
    diff = [trained["val"][s] - control["val"][s] for s in seeds]
    mean_trained = float(np.mean([trained["val"][s] for s in seeds]))
    return {"seeds": seeds, "val_points": diff,
            "share": float(np.mean(diff) / mean_trained) if mean_trained < 0 else None}


def results() -> list[dict]:
    """One entry per row, mode and teacher that ran (the untrained control included)."""
    out = []
    for row in ROWS:
        vanilla = _runs(RESULTS / "teachers" / row / "vanilla", "vanilla")
        if not vanilla:
            continue
        for mode in MODES:
            cells = {t: cell(row, mode, t, vanilla) for t in TEACHERS}
            for teacher, c in cells.items():
                if c is None:
                    continue
                control = cells.get(CONTROL.get(teacher, ""))
                out.append({"row": row, "mode": mode, "teacher": teacher, **c,
                            "vanilla": _test_means(vanilla, sorted(vanilla)), "knowledge": _knowledge(c, control)})
    return out


def _fmt(changes: dict | None) -> str:
    if not changes:
        return "-"
    values = list(changes.values())
    return f"{np.mean(values):+.1f} ({', '.join(f'{v:+.1f}' for v in values)})"


def markdown(rows: list[dict]) -> str:
    lines = ["# Transfer modes x teachers (CGCNN, alpha 0.5, half_decay, spread units)", "",
             "Per row (`dataset_target[_max-train_epochs]`; no suffix: quick profile, 1,000 training crystals and "
             "10 epochs) and mode: validation change against vanilla CGCNN, % (per seed); test change; test MAE and "
             "R2 (means over the seeds). Knowledge: the trained teacher's validation change minus its untrained "
             "control's (crysgnn-random0 for crysgnn-v1), points, and its share of the trained teacher's change "
             "(`python -m benchmarks.modes`).", ""]
    for row in ROWS:
        mine = [r for r in rows if r["row"] == row]
        if not mine:
            continue
        v = mine[0]["vanilla"]
        lines += [f"## {row} (vanilla: test MAE {v['test_mae']:.4g}, R2 {v['test_r2']:.3f})", "",
                  "| mode | teacher | val % | test % | test MAE | test R2 | knowledge, points (share) |",
                  "|---|---|---|---|---|---|---|"]
        for r in mine:
            k = r["knowledge"]
            share = f" ({100 * k['share']:.0f} %)" if k and k["share"] is not None else ""
            know = f"{np.mean(k['val_points']):+.1f}{share}" if k else "-"
            lines.append(f"| {r['mode']} | {r['teacher']} | {_fmt(r['val'])} | {_fmt(r['test'])} | "
                         f"{r['test_mae']:.4g} | {r['test_r2']:.3f} | {know} |")
        lines.append("")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [row for row in ROWS if any(r["row"] == row for r in rows)]
    colours = {"crysgnn-v1": "tab:blue", "chgnet-0.3.0": "tab:orange", "crysgnn-random0": "tab:grey"}
    cols = min(3, len(present))
    rows_n = -(-len(present) // cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(5.2 * cols, 3.8 * rows_n), squeeze=False)
    for ax in axes.flat[len(present):]:
        ax.set_visible(False)
    for ax, row in zip(axes.flat, present):
        mine = [r for r in rows if r["row"] == row]
        modes = [m for m in MODES if any(r["mode"] == m for r in mine)]
        width = 0.8 / len(TEACHERS)
        for i, teacher in enumerate(TEACHERS):
            values = [next((np.mean(list(r["val"].values())) for r in mine
                            if r["mode"] == m and r["teacher"] == teacher), np.nan) for m in modes]
            ax.barh(np.arange(len(modes)) + (i - 1) * width, values, height=width, color=colours[teacher],
                    label=teacher)
        ax.set_yticks(np.arange(len(modes)), modes)
        ax.axvline(0, color="k", lw=0.8)
        ax.invert_yaxis()
        ax.set(title=row, xlabel="validation MAE vs vanilla (%)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def input_cost(repeats: int = 3) -> dict:
    """Milliseconds per crystal of CGCNN alone and of CGCNN fed by crysgnn-v1 (the input mode), forward
    passes over the embedded 1,000-crystal sample in batches of 256 (graphs built beforehand), best of
    ``repeats``."""
    import time

    import torch

    from crysgnn_zoo.config import DistillConfig, GraphConfig
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.factory import get_model
    from crysgnn_zoo.graphs.build import build_store
    from crysgnn_zoo.graphs.collate import collate

    store = build_store(open_source("mp_37k_sample"), GraphConfig(), progress=False).store
    batches = [collate(store, np.arange(i, min(i + 256, len(store)))) for i in range(0, len(store), 256)]
    out = {}
    for name, model in (("cgcnn", get_model("cgcnn")), ("cgcnn fed by crysgnn-v1",
                                                        get_model("cgcnn", distill=DistillConfig(mode="input")))):
        model.eval()
        best = np.inf
        with torch.no_grad():
            for _ in range(repeats):
                t0 = time.perf_counter()
                for g in batches:
                    model(g)
                best = min(best, time.perf_counter() - t0)
        out[name] = 1000 * best / len(store)
    return {"ms_per_crystal": out, "threads": torch.get_num_threads(), "crystals": len(store)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--input-cost", action="store_true", help="only time the input mode's teacher at prediction")
    args = ap.parse_args(argv)
    if args.input_cost:
        args.out.mkdir(parents=True, exist_ok=True)
        cost = input_cost()
        (args.out / "input_cost.json").write_text(json.dumps(cost, indent=1))
        print(json.dumps(cost, indent=1))
        return 0
    rows = results()
    if not rows:
        raise SystemExit("no mode runs found; run the benchmarks.teachers commands in this module's docstring")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    (args.out / "table.md").write_text(markdown(rows))
    plot(rows, args.out / "plot.png")
    print((args.out / "table.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
