"""Choosing the distillation defaults on validation: teacher x objective x alpha x weight.

    python -m benchmarks.teachers --rows perov_5:heat_ref,mp_elastic:shear_modulus_vrh --models cgcnn \
        --settings crysgnn-v1:spread:0.5:1 crysgnn-v1:normalized:0.5:16 chgnet-0.3.0:spread:0.5:1
    python -m benchmarks.teachers --rows mp:formation_energy_per_atom:5000:30 ...   # the dev protocol's MP row

A row is ``dataset:target`` (quick profile: at most 1,000/250/500 crystals, 10
epochs) or ``dataset:target:max_train:epochs``. A setting is
``teacher:objective:alpha:embedding_weight[:alpha_schedule]`` (``DistillConfig``). Every run goes
through ``benchmarks.run`` (same splits, seeds, recipes; resumable): the records of
a row's vanilla runs once in ``<out>/<row>/vanilla/runs.jsonl``, each setting's distilled
runs in ``<out>/<row>/<setting>/runs.jsonl``. The table gives, per row, student and setting, the
paired per-seed change of the **validation** MAE (what defaults are chosen on)
and, beside it, of the test MAE (reported, never used to choose). Writes
``table.md``, ``results.json`` (the grid's rows) and ``plot.png`` under ``--out``: every student and every setting
found in the rows' folders, so running a few settings never drops the others from the table;
``--table-only`` (settings optional) rebuilds them without running.

``--pool-curve TEACHER=PROBE_FOLDER ...`` adds ``pool_curve.png`` and ``pool_curve.md``: teacher quality
against the number of crystals each teacher was pre-trained on (from its card): held-out pre-training
loss, linear-probe MAEs (``benchmarks.linear_probe`` results in PROBE_FOLDER) and the mean validation
change of each row of the table under that teacher's ``spread:0.5:1:half_decay`` setting (CGCNN's default).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks import run as runner
from benchmarks.records import RECORDS
from crysgnn_zoo.config import ALPHA_SCHEDULES, DISTILL_MODES
from crysgnn_zoo.distill.teachers import teacher_card
from crysgnn_zoo.errors import WeightsNotFoundError

RESULTS = Path(__file__).resolve().parent / "results" / "teachers"


def parse_row(text: str) -> dict:
    parts = text.split(":")
    if len(parts) not in (2, 4):
        raise ValueError(f"a row is dataset:target or dataset:target:max_train:epochs, got {text!r}")
    row = {"dataset": parts[0], "target": parts[1], "max_train": None, "epochs": None}
    if len(parts) == 4:
        row.update(max_train=int(parts[2]), epochs=int(parts[3]))
    row["slug"] = text.replace(":", "_")
    return row


def parse_setting(text: str) -> dict:
    """``teacher:objective:alpha:embedding_weight[:alpha_schedule[:mode]]`` (no 5th field: constant, whatever
    the default; no 6th: the ``embedding`` mode)."""
    parts = text.split(":")
    if len(parts) not in (4, 5, 6):
        raise ValueError("a setting is teacher:objective:alpha:embedding_weight[:alpha_schedule[:mode]], "
                         f"got {text!r}")
    teacher, objective, alpha, weight = parts[:4]
    mode = parts[5] if len(parts) == 6 else "embedding"
    return {"teacher": teacher, "objective": objective, "alpha": float(alpha), "embedding_weight": float(weight),
            "alpha_schedule": parts[4] if len(parts) >= 5 else "constant", "mode": mode,
            "slug": text.replace(":", "_")}


def setting_from_folder(name: str) -> dict | None:
    """The setting a folder under a row was run with (its name is the setting's slug), or None (``vanilla``,
    anything else). Teacher names hold no ``_`` (release names use ``-``); the schedule may (``half_decay``),
    and a mode follows it after one more ``_``."""
    parts = name.split("_", 4)
    if name == "vanilla" or len(parts) < 4:
        return None
    if len(parts) == 5:
        schedule = next((a for a in sorted(ALPHA_SCHEDULES, key=len, reverse=True)
                         if parts[4] == a or parts[4].startswith(a + "_")), None)
        if schedule is None:
            return None
        parts = [*parts[:4], schedule, *([parts[4][len(schedule) + 1:]] if parts[4] != schedule else [])]
    try:
        setting = parse_setting(":".join(parts))
    except ValueError:
        return None
    return setting if setting["mode"] in DISTILL_MODES else None


def settings_found(rows: list[dict], given: list[dict], out: Path) -> list[dict]:
    """The given settings, then every other setting with a results folder under one of the rows (sorted), so a
    run of a few settings rewrites the table without dropping the others."""
    slugs = {s["slug"] for s in given}
    found = {}
    for row in rows:
        for folder in sorted((out / row["slug"]).glob(f"*/{RECORDS}")):
            setting = setting_from_folder(folder.parent.name)
            if setting and setting["slug"] not in slugs:
                found[setting["slug"]] = setting
    return [*given, *(found[k] for k in sorted(found))]


def _run_args(row: dict, models: str, seeds: str, output_bound: str | None = None) -> list[str]:
    args = ["--dataset", row["dataset"], "--properties", row["target"], "--profile", "quick",
            "--models", models, "--seeds", seeds, *(["--output-bound", output_bound] if output_bound else [])]
    if row["max_train"]:
        args += ["--max-train", str(row["max_train"]), "--epochs", str(row["epochs"])]
    return args


def run_grid(rows: list[dict], settings: list[dict], models: str, seeds: str, out: Path,
             output_bound: str | None = None) -> None:
    for row in rows:
        base = _run_args(row, models, seeds, output_bound)
        if runner.main([*base, "--modes", "vanilla", "--no-table", "--out", str(out / row["slug"] / "vanilla")]):
            raise SystemExit(f"vanilla runs of {row['slug']} failed")
        for s in settings:
            dist = ["--modes", "distilled", "--teacher", s["teacher"], "--objective", s["objective"],
                    "--alpha", str(s["alpha"]), "--embedding-weight", str(s["embedding_weight"]),
                    "--alpha-schedule", s["alpha_schedule"], "--mode", s["mode"]]
            if runner.main([*base, *dist, "--no-table", "--out", str(out / row["slug"] / s["slug"])]):
                raise SystemExit(f"{s['slug']} on {row['slug']} failed")


def _clean(row: dict, setting: dict) -> bool | None:
    """Whether the row's data set is clean for the setting's teacher (it saw none of its labels);
    ``None`` when the teacher is not on this machine (a folder another machine ran)."""
    dataset = "mp_37k" if row["dataset"] == "mp" else row["dataset"]
    try:
        card = teacher_card(setting["teacher"])
    except WeightsNotFoundError:
        return None
    return dataset not in card.get("not_clean_for", [])


def _by_seed(folder: Path, mode: str) -> dict[tuple[str, int], dict]:
    return {(r["model"], r["seed"]): r for r in runner.collect(folder) if r["mode"] == mode}


def summarize_grid(rows: list[dict], settings: list[dict], out: Path) -> list[dict]:
    """Per row x setting x student: paired per-seed changes of validation and test MAE."""
    table = []
    for row in rows:
        vanilla = _by_seed(out / row["slug"] / "vanilla", "vanilla")
        for s in settings:
            distilled = _by_seed(out / row["slug"] / s["slug"], "distilled")
            for model in sorted({m for m, _ in distilled}):
                seeds = sorted(k for m, k in distilled if m == model and (m, k) in vanilla)
                val = [distilled[(model, k)]["extra"]["val"]["mae"] / vanilla[(model, k)]["extra"]["val"]["mae"] - 1
                       for k in seeds]
                test = [distilled[(model, k)]["test"]["mae"] / vanilla[(model, k)]["test"]["mae"] - 1 for k in seeds]
                table.append({"row": row["slug"], "setting": s["slug"], "model": model, "seeds": seeds,
                              "clean": _clean(row, s),
                              "val_change": val, "test_change": test,
                              "val_r2": [_mean_r2([vanilla[(model, k)] for k in seeds]),
                                         _mean_r2([distilled[(model, k)] for k in seeds])],
                              "val_mean": float(np.mean(val)) if val else None,
                              "test_mean": float(np.mean(test)) if test else None,
                              "split_hashes": [vanilla[(model, k)]["split_hash"] for k in seeds]})
    return table


def _mean_r2(runs: list[dict]) -> float:
    """Mean validation R2 of ``runs`` (NaN where a record predates it): beside the MAE, since on a
    zero-inflated target a model that predicts the bound has a low MAE and R2 <= 0."""
    values = [r["extra"].get("val", {}).get("r2", np.nan) for r in runs]
    return float(np.mean(values)) if values else float("nan")


def _r2_pair(pair: list[float]) -> str:
    return "/".join("-" if not np.isfinite(v) else f"{v:.3f}" for v in pair)


def _pct(values: list[float]) -> str:
    return ", ".join(f"{100 * v:+.1f}" for v in values)


def write_outputs(table: list[dict], meta: dict, out: Path) -> None:
    lines = ["# Distillation settings, chosen on validation", "",
             f"- Command: `{meta['command']}`",
             "- Change = distilled / vanilla - 1 of the MAE, per seed (same split, recipe and budget); "
             "settings are teacher:objective:alpha:embedding_weight[:alpha_schedule]; choose on the validation columns. "
             "Validation R2, mean over the seeds, vanilla/distilled (R2 <= 0: no better than the mean, whatever the "
             "MAE; '-': recorded before R2 was).", "",
             "| row | student | setting | seeds | validation change per seed (%) | mean | val R2 (van./dist.) | "
             "test change per seed (%) | mean |",
             "|---|---|---|---|---|---|---|---|---|"]
    for t in table:
        mark = {False: " (teacher saw this set's labels: not clean)",
                None: " (teacher not on this machine: what it saw is unknown)"}.get(t.get("clean", True), "")
        lines.append(f"| {t['row']} | {t['model']} | {t['setting']}{mark} | {','.join(map(str, t['seeds']))} | "
                     f"{_pct(t['val_change'])} | {100 * t['val_mean']:+.1f}% | {_r2_pair(t['val_r2'])} | "
                     f"{_pct(t['test_change'])} | "
                     f"{100 * t['test_mean']:+.1f}% |")
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(json.dumps({"meta": meta, "rows": table}, indent=1))
    _plot(table, out / "plot.png")


def _plot(table: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{t['row']}\n{t['model']} {t['setting']}" for t in table]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.2))
    y = np.arange(len(table))
    ax.barh(y, [100 * t["val_mean"] for t in table], color="tab:blue", label="validation (chosen on)")
    ax.scatter([100 * t["test_mean"] for t in table], y, color="tab:orange", zorder=3, label="test")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlabel("MAE change from distillation, mean of per-seed changes (%)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _card_numbers(name: str) -> tuple[int, float]:
    """``(training crystals, held-out total pre-training loss)`` of teacher ``name`` from its card
    (a release's ``training``/``metrics`` or a pre-training run's ``train_crystals``/``loss_curve``)."""
    card = teacher_card(name)
    if "training" in card:
        return card["training"]["train_crystals"], card["metrics"]["final_validation_losses"]["total"]
    return card["train_crystals"], card["loss_curve"][-1]["val"]["total"]


def pool_curve(table: list[dict], teachers: dict[str, Path], out: Path,
               setting: str = "spread_0.5_1_half_decay") -> list[dict]:
    """Teacher quality against pool size (see the module docstring), the dev rows under each teacher's
    ``setting`` (objective_alpha_weight_schedule, CGCNN's default); writes ``pool_curve.md/png``."""
    points = []
    for name, probe in teachers.items():
        crystals, held_out = _card_numbers(name)
        probes = json.loads((Path(probe) / "results.json").read_text())
        rows = {t["row"]: t["val_mean"] for t in table if t["setting"] == f"{name}_{setting}" and t["model"] == "cgcnn"}
        points.append({"teacher": name, "crystals": crystals, "held_out_loss": held_out, "dev_rows": rows,
                       "dev_mean": float(np.mean(list(rows.values()))) if rows else None,
                       "probes": {f"{p['dataset']} {p['target']}": p["teacher_mae"] for p in _probe_rows(probes)}})
    points.sort(key=lambda p: p["crystals"])
    _pool_table(points, out / "pool_curve.md")
    _pool_plot(points, out / "pool_curve.png")
    return points


def _probe_rows(probes) -> list[dict]:
    rows = probes["rows"] if isinstance(probes, dict) else probes
    return [{"dataset": r["dataset"], "target": r["target"], "teacher_mae": r["teacher"]["test_mae"]} for r in rows]


def _pool_table(points: list[dict], path: Path) -> None:
    rows = sorted({r for p in points for r in p["dev_rows"]})
    probes = sorted({k for p in points for k in p["probes"]})
    head = ["teacher", "pre-training crystals", "held-out loss", *[f"probe {k}" for k in probes],
            *[f"{r} val change" for r in rows], "mean val change"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for p in points:
        cells = [p["teacher"], f"{p['crystals']:,}", f"{p['held_out_loss']:.2f}",
                 *[f"{p['probes'].get(k, float('nan')):.4f}" for k in probes],
                 *[f"{100 * p['dev_rows'][r]:+.1f}%" if r in p["dev_rows"] else "-" for r in rows],
                 f"{100 * p['dev_mean']:+.1f}%" if p["dev_mean"] is not None else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n")


def _pool_plot(points: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [p["crystals"] for p in points]
    probes = sorted({k for p in points for k in p["probes"]})
    fig, axes = plt.subplots(1, 2 + len(probes), figsize=(4 * (2 + len(probes)), 3.2))
    axes[0].plot(x, [p["held_out_loss"] for p in points], "o-")
    axes[0].set_title("held-out pre-training loss", fontsize=9)
    for ax, k in zip(axes[1:], probes):
        ax.plot(x, [p["probes"].get(k, np.nan) for p in points], "o-")
        ax.set_title(f"linear probe test MAE, {k}", fontsize=9)
    ax = axes[-1]
    for row in sorted({r for p in points for r in p["dev_rows"]}):
        ax.plot(x, [100 * p["dev_rows"].get(row, np.nan) for p in points], "o-", lw=0.8, label=row)
    ax.plot(x, [100 * (p["dev_mean"] if p["dev_mean"] is not None else np.nan) for p in points], "ks-", lw=2,
            label="mean of rows")
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_title("CGCNN validation change (dev protocol)", fontsize=9)
    ax.set_ylabel("%")
    ax.legend(fontsize=6)
    for ax in axes:
        ax.set_xlabel("pre-training crystals (same optimiser steps)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", required=True, help="comma-separated dataset:target[:max_train:epochs]")
    ap.add_argument("--settings", nargs="*", default=[],
                    help="teacher:objective:alpha:embedding_weight[:alpha_schedule] ... to run (the table also lists "
                         "every setting already run on these rows)")
    ap.add_argument("--models", default="cgcnn")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--output-bound", choices=("auto", "clip", "softplus"),
                    help="benchmarks.run's --output-bound (default: its own); the grid folders recorded before the "
                         "auto bound ran with clip, and new settings there must too to pair with them")
    ap.add_argument("--out", type=Path, default=Path("runs/results/teachers"),
                    help="results folder (default runs/results/teachers; benchmarks/results/teachers updates the "
                         "committed grid)")
    ap.add_argument("--table-only", action="store_true",
                    help="no runs: rebuild the table from every finished run of these rows and settings")
    ap.add_argument("--pool-curve", nargs="*", default=[], metavar="TEACHER=PROBE_FOLDER",
                    help="also write pool_curve.md/png: each teacher's pool size, held-out loss, linear probe "
                         "(results of benchmarks.linear_probe in PROBE_FOLDER) and dev-protocol changes")
    args = ap.parse_args(argv)
    rows = [parse_row(r) for r in args.rows.split(",")]
    settings = [parse_setting(s) for s in args.settings]
    if not args.table_only:
        if not settings:
            ap.error("give --settings to run (or --table-only)")
        run_grid(rows, settings, args.models, args.seeds, args.out, args.output_bound)
    settings = settings_found(rows, settings, args.out)
    table = summarize_grid(rows, settings, args.out)
    meta = {"command": "python -m benchmarks.teachers " + " ".join(argv if argv is not None else sys.argv[1:]),
            "rows": rows, "settings": settings, "models": args.models, "seeds": args.seeds}
    write_outputs(table, meta, args.out)
    print((args.out / "table.md").read_text())
    if args.pool_curve:
        pool_curve(table, dict(item.split("=", 1) for item in args.pool_curve), args.out)
        print((args.out / "pool_curve.md").read_text())
    return 0


if __name__ == "__main__":
    from benchmarks import run_main

    run_main(main)
