"""The CrysGNN paper's second claim: distillation against conventional fine-tuning of the teacher.

    python -m benchmarks.finetune grid     # crysgnn-finetune recipes on the quick dev rows, seeds 0-2
    python -m benchmarks.finetune chosen   # the recipe chosen on validation, on every dev row, seeds 0-4
    python -m benchmarks.finetune control  # the same network from a random start (crysgnn), same recipe
    python -m benchmarks.finetune table    # table.md, results.json, plot.png

``crysgnn-finetune`` is the teacher's own pre-trained encoder (crysgnn-v1) with a fresh property head,
everything fine-tuned (the paper's "conventional fine-tuning"); a recipe sets its learning rate and
how many first epochs the encoder stays frozen (``TrainConfig.freeze_encoder_epochs``), under the
row's budget (epochs, batch 64, cosine schedule, best validation epoch) like every student. The
recipe is chosen on the mean validation MAE over the two quick rows (seeds 0-2), never on test.
Every run goes through :mod:`benchmarks.run` on the dev rows' own splits (same seeds, same split
hashes as the students' runs in ``benchmarks/results/teachers``): records in
``benchmarks/results/finetune/<row>/<recipe>/runs.jsonl``. The table sets the fine-tuned teacher
beside vanilla and distilled CGCNN, GATGNN and CrysXPP (each student's default distillation) with
the paired per-seed changes of validation and test MAE. The control, ``crysgnn`` (the same
network from a random start, same recipe), says how much of fine-tuning's result is the
pre-trained start rather than the deeper network.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks import run as runner
from benchmarks.records import read_records

RESULTS = Path(__file__).resolve().parent / "results"
OUT = RESULTS / "finetune"
#: row slug -> (dataset, target, max_train, epochs, profile); the dev protocol's rows and full perov_5
ROWS = {"perov_5_heat_ref": ("perov_5", "heat_ref", None, None, "quick"),
        "mp_elastic_shear_modulus_vrh": ("mp_elastic", "shear_modulus_vrh", None, None, "quick"),
        "mp_formation_energy_per_atom_5000_30": ("mp", "formation_energy_per_atom", 5000, 30, "quick"),
        "perov_5_heat_ref_full": ("perov_5", "heat_ref", None, 100, "paper")}
QUICK_ROWS = ("perov_5_heat_ref", "mp_elastic_shear_modulus_vrh")
#: the rows `chosen` runs unless --rows names others (the full row takes hours: ask for it by name)
DEV_ROWS = ("perov_5_heat_ref", "mp_elastic_shear_modulus_vrh", "mp_formation_energy_per_atom_5000_30")
#: full rows: the students' runs (vanilla and their default distillation) live in the size-rule folders
FULL_STUDENTS = {"perov_5_heat_ref_full": {"cgcnn": "size_rule/perov_5_full",
                                          "gatgnn": "size_rule/perov_5_full_light",
                                          "crysxpp": "size_rule/perov_5_full_light"}}
#: the control: the teacher's architecture trained from a random start with the chosen recipe
CONTROL_SUFFIX = "_random_start"
#: recipe name -> TrainConfig overrides
RECIPES = {"lr1e-3": {"lr": 1e-3}, "lr5e-3": {"lr": 5e-3}, "lr1e-2": {"lr": 1e-2},
           "lr1e-3_freeze3": {"lr": 1e-3, "freeze_encoder_epochs": 3},
           "lr5e-3_freeze3": {"lr": 5e-3, "freeze_encoder_epochs": 3}}
#: student -> the folder of its default distillation (docs/benchmarks.md, the dev protocol)
DISTILLED = {"cgcnn": "crysgnn-v1_spread_0.5_1_half_decay", "gatgnn": "crysgnn-v1_spread_0.5_1_linear_decay",
             "crysxpp": "crysgnn-v1_spread_0.25_1_half_decay"}


def train(row: str, recipe: str, seeds: list[int], control: bool = False) -> int:
    """crysgnn-finetune (``control``: the same network from a random start, ``crysgnn``) on ``row``."""
    dataset, target, max_train, epochs, profile = ROWS[row]
    model, folder = ("crysgnn", f"{recipe}{CONTROL_SUFFIX}") if control else ("crysgnn-finetune", recipe)
    argv = ["--dataset", dataset, "--properties", target, "--profile", profile, "--models", model,
            "--modes", "vanilla", "--seeds", ",".join(map(str, seeds)), "--no-table",
            "--out", str(OUT / row / folder)]
    argv += [a for k, v in RECIPES[recipe].items() for a in ("--train", f"{k}={json.dumps(v)}")]
    argv += ["--max-train", str(max_train)] if max_train else []
    argv += ["--epochs", str(epochs)] if epochs else []
    return runner.main(argv)


def _runs(folder: Path, model: str, mode: str) -> dict[int, dict]:
    return {r["seed"]: r for r in read_records(folder)[1] if r["model"] == model and r["mode"] == mode}


def row_table(row: str, recipe: str) -> dict:
    """Per line (student and mode, or the fine-tuned teacher): seed -> (val MAE, test MAE, test R2, split hash)."""
    teachers = RESULTS / "teachers" / row
    lines = {}
    for student, folder in DISTILLED.items():
        if row in FULL_STUDENTS:
            where = RESULTS / FULL_STUDENTS[row][student]
            lines[f"{student} vanilla"] = _runs(where, student, "vanilla")
            lines[f"{student} distilled"] = _runs(where, student, "distilled")
            continue
        lines[f"{student} vanilla"] = _runs(teachers / "vanilla", student, "vanilla")
        lines[f"{student} distilled"] = _runs(teachers / folder, student, "distilled")
    lines["crysgnn, random start (control)"] = _runs(OUT / row / f"{recipe}{CONTROL_SUFFIX}", "crysgnn", "vanilla")
    lines["crysgnn-finetune"] = _runs(OUT / row / recipe, "crysgnn-finetune", "vanilla")
    return {name: {s: (r["extra"]["val"]["mae"], r["test"]["mae"], r["test"].get("r2"), r["split_hash"])
                   for s, r in runs.items()} for name, runs in lines.items()}


def paired(a: dict, b: dict) -> dict:
    """Per-seed change of ``a`` against ``b`` (validation and test, %) over the seeds both have,
    checking they share the split."""
    seeds = sorted(set(a) & set(b))
    for s in seeds:
        if a[s][3] != b[s][3]:
            raise SystemExit(f"seed {s}: split {a[s][3]} != {b[s][3]}: not the same crystals")
    return {"seeds": seeds, "val": [100 * (a[s][0] / b[s][0] - 1) for s in seeds],
            "test": [100 * (a[s][1] / b[s][1] - 1) for s in seeds]}


def choose_recipe() -> tuple[str, dict]:
    """The recipe with the lowest mean validation MAE over the quick rows, seeds 0-2 (all present)."""
    scores = {}
    for recipe in RECIPES:
        vals = []
        for row in QUICK_ROWS:
            runs = _runs(OUT / row / recipe, "crysgnn-finetune", "vanilla")
            base = _runs(RESULTS / "teachers" / row / "vanilla", "cgcnn", "vanilla")
            if not all(s in runs for s in (0, 1, 2)):
                break
            vals += [runs[s]["extra"]["val"]["mae"] / base[s]["extra"]["val"]["mae"] - 1 for s in (0, 1, 2)]
        else:
            scores[recipe] = 100 * float(np.mean(vals))
    if not scores:
        raise SystemExit("no recipe has all quick rows for seeds 0-2; run `python -m benchmarks.finetune grid` first")
    return min(scores, key=scores.get), scores


def _fmt(values: list[float]) -> str:
    return f"{np.mean(values):+.1f} ({', '.join(f'{v:+.1f}' for v in values)})" if values else "-"


def results(recipe: str) -> list[dict]:
    out = []
    for row in ROWS:
        if not (OUT / row / recipe).is_dir():
            continue  # a row not run yet (the full row takes hours)
        table = row_table(row, recipe)
        ft = table["crysgnn-finetune"]
        entry = {"row": row, "recipe": recipe, "seeds": sorted(ft), "lines": {}}
        for name, runs in table.items():
            common = sorted(set(runs) & set(ft))
            entry["lines"][name] = {
                "val": float(np.mean([runs[s][0] for s in common])) if common else None,
                "test": float(np.mean([runs[s][1] for s in common])) if common else None,
                "test_r2": float(np.mean([runs[s][2] for s in common])) if common and runs[common[0]][2] is not None
                else None, "seeds": common,
                "finetune_vs_this": paired(ft, runs) if name != "crysgnn-finetune" else None}
        out.append(entry)
    return out


def markdown(rows: list[dict], recipe: str, scores: dict) -> str:
    lines = ["# Distillation against fine-tuning the teacher (crysgnn-finetune)", "",
             "- Commands: `python -m benchmarks.finetune grid`, `python -m benchmarks.finetune chosen --recipe "
             f"{recipe}`, `python -m benchmarks.finetune table`",
             "- Recipe chosen on validation (mean change against vanilla CGCNN over perov_5 and shear quick, seeds "
             "0-2): " + ", ".join(f"{k} {v:+.1f} %" for k, v in scores.items()) + f" -> **{recipe}** "
             f"({RECIPES[recipe]}).",
             "- Rows and splits: the dev protocol's (quick profile: at most 1,000/250/500 crystals, 10 epochs; MP "
             "formation energy 5,000/250/500, 30 epochs); the same split hash per seed for every line (checked).",
             "- Means over the seeds each line shares with crysgnn-finetune; `ft vs line`: paired per-seed change "
             "of crysgnn-finetune's MAE against that line's (negative: fine-tuning is lower).", ""]
    for r in rows:
        lines += [f"## {r['row']} (seeds {', '.join(map(str, r['seeds']))})", "",
                  "| line | val MAE | test MAE | test R2 | ft vs line, val % (per seed) | ft vs line, test % (per seed) |",
                  "|---|---|---|---|---|---|"]
        for name, d in r["lines"].items():
            p = d["finetune_vs_this"] or {"val": [], "test": []}
            r2 = f"{d['test_r2']:.3f}" if d["test_r2"] is not None else "-"
            val = f"{d['val']:.4f}" if d["val"] is not None else "-"
            test = f"{d['test']:.4f}" if d["test"] is not None else "-"
            lines.append(f"| {name} | {val} | {test} | {r2} | {_fmt(p['val'])} | {_fmt(p['test'])} |")
        lines.append("")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(rows[0]["lines"])
    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 3.8), squeeze=False)
    for ax, r in zip(axes[0], rows):
        base = r["lines"]["cgcnn vanilla"]["val"]
        vals = [100 * (r["lines"][n]["val"] / base - 1) if r["lines"][n]["val"] else np.nan for n in names]
        colours = ["tab:red" if n == "crysgnn-finetune" else "tab:blue" if "distilled" in n else
                   "tab:orange" if "control" in n else "tab:grey" for n in names]
        ax.barh(names, vals, color=colours)
        ax.axvline(0, color="k", lw=0.8)
        ax.set(title=r["row"], xlabel="validation MAE vs vanilla CGCNN (%)")
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=("grid", "chosen", "control", "table"))
    ap.add_argument("--recipe", help="chosen/table: the recipe (default: the one chosen on validation)")
    ap.add_argument("--seeds", default=None, help="grid: 0,1,2; chosen: 0,1,2,3,4")
    ap.add_argument("--rows", help="comma-separated row slugs (default: the stage's)")
    args = ap.parse_args(argv)
    if args.stage == "grid":
        seeds = [int(s) for s in (args.seeds or "0,1,2").split(",")]
        for row in (args.rows.split(",") if args.rows else QUICK_ROWS):
            for recipe in RECIPES:
                if train(row, recipe, seeds):
                    return 2
        return 0
    recipe, scores = (args.recipe, choose_recipe()[1]) if args.recipe else choose_recipe()
    if args.stage in ("chosen", "control"):
        seeds = [int(s) for s in (args.seeds or "0,1,2,3,4").split(",")]
        for row in (args.rows.split(",") if args.rows else DEV_ROWS):
            if train(row, recipe, seeds, control=args.stage == "control"):
                return 2
        return 0
    rows = results(recipe)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(rows, indent=1))
    (OUT / "table.md").write_text(markdown(rows, recipe, scores))
    plot(rows, OUT / "plot.png")
    print((OUT / "table.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
