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
        "carbon_24_energy_per_atom")
MODES = ("embedding", "crystal", "embedding+crystal", "soft_targets", "embedding+soft_targets", "input")
TEACHERS = {"crysgnn-v1": RESULTS / "teachers", "crysgnn-random0": RESULTS / "teacher_control"}
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


def cell(row: str, mode: str, teacher: str, vanilla: dict) -> dict | None:
    runs = _runs(folder(teacher, row, mode), "distilled")
    if not runs:
        return None
    val = _change(runs, vanilla, lambda r: r["extra"]["val"]["mae"])
    test = _change(runs, vanilla, lambda r: r["test"]["mae"])
    return {"val": val, "test": test, "test_r2": float(np.mean([runs[s]["test"].get("r2", np.nan) for s in val]))}


def results() -> list[dict]:
    out = []
    for row in ROWS:
        vanilla = _runs(RESULTS / "teachers" / row / "vanilla", "vanilla")
        if not vanilla:
            continue
        for mode in MODES:
            cells = {t: cell(row, mode, t, vanilla) for t in TEACHERS}
            trained, random = cells["crysgnn-v1"], cells["crysgnn-random0"]
            if trained is None:
                continue
            entry = {"row": row, "mode": mode, "vanilla_test_r2": float(np.mean([v["test"].get("r2", np.nan)
                                                                                for v in vanilla.values()])),
                     **{t: c for t, c in cells.items()}}
            if random is not None:
                seeds = sorted(set(trained["val"]) & set(random["val"]))
                diff = [trained["val"][s] - random["val"][s] for s in seeds]
                mean_trained = float(np.mean([trained["val"][s] for s in seeds]))
                entry["knowledge"] = {"seeds": seeds, "val_points": diff,
                                      "share": float(np.mean(diff) / mean_trained) if mean_trained < 0 else None}
            out.append(entry)
    return out


def _fmt(changes: dict | None) -> str:
    if not changes:
        return "-"
    values = list(changes.values())
    return f"{np.mean(values):+.1f} ({', '.join(f'{v:+.1f}' for v in values)})"


def markdown(rows: list[dict]) -> str:
    lines = ["# Transfer modes x teachers (CGCNN, alpha 0.5, half_decay, spread units; quick profile)", "",
             "Validation change against vanilla CGCNN, % (per seed); test change; test R2 (vanilla's in the row "
             "title). Knowledge: trained minus untrained teacher's validation change, points per seed, and its "
             "share of the trained teacher's change (`python -m benchmarks.modes`).", ""]
    for row in ROWS:
        mine = [r for r in rows if r["row"] == row]
        if not mine:
            continue
        lines += [f"## {row} (vanilla test R2 {mine[0]['vanilla_test_r2']:.3f})", "",
                  "| mode | crysgnn-v1 val % | v1 test % | v1 test R2 | random val % | random test % | "
                  "knowledge, points (share) |", "|---|---|---|---|---|---|---|"]
        for r in mine:
            v1, rnd, k = r["crysgnn-v1"], r.get("crysgnn-random0"), r.get("knowledge")
            share = f" ({100 * k['share']:.0f} %)" if k and k["share"] is not None else ""
            know = f"{np.mean(k['val_points']):+.1f}{share}" if k else "-"
            lines.append(f"| {r['mode']} | {_fmt(v1['val'])} | {_fmt(v1['test'])} | {v1['test_r2']:.3f} | "
                         f"{_fmt(rnd['val']) if rnd else '-'} | {_fmt(rnd['test']) if rnd else '-'} | {know} |")
        lines.append("")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [row for row in ROWS if any(r["row"] == row for r in rows)]
    fig, axes = plt.subplots(1, len(present), figsize=(4.6 * len(present), 3.6), squeeze=False)
    for ax, row in zip(axes[0], present):
        mine = [r for r in rows if r["row"] == row]
        y = np.arange(len(mine))
        for offset, (teacher, colour) in zip((-0.18, 0.18), (("crysgnn-v1", "tab:blue"), ("crysgnn-random0", "tab:grey"))):
            values = [np.mean(list(r[teacher]["val"].values())) if r.get(teacher) else np.nan for r in mine]
            ax.barh(y + offset, values, height=0.34, color=colour, label=teacher)
        ax.set_yticks(y, [r["mode"] for r in mine])
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
