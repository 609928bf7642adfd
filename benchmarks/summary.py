"""One table over every data set the runner has results for.

    python -m benchmarks.summary        # writes benchmarks/results/SUMMARY.md and prints it

Per student: the relative test-MAE change from distillation on each row
(property of a data set) that has both vanilla and distilled runs, and the mean
over those rows, next to the paper's mean over its 11 rows; where rows map to a
paper row (analogs included), also both means over just those rows. Runner output kept
one level deeper (``results/<variant>/<dataset>/``, e.g. an ablation run with
``--out benchmarks/results/embedding_scale_per_dim/<dataset>``) gets a table of
its own, each cell beside the change for the same row in the results whose
settings (epochs, ``--max-train``, alpha and its schedule, embedding scale, ``--set`` overrides) differ from the variant's in exactly
one field: the main table when it does (or when no folder does), else the first
such variant.

    python -m benchmarks.summary --ladder DIR[+DIR] ... --out benchmarks/results/size_rule/ladder.md

``--ladder``: distillation's paired per-seed validation (and test) change against the number of
training crystals, one line per student (``ladder.md`` and ``ladder.png`` beside ``--out``). Each
argument is a results folder holding vanilla and distilled runs, or ``VANILLA+DISTILLED`` when
they live in two folders (``benchmarks.teachers`` keeps them apart); ``@target`` after it keeps one
target, ``@target:model,model`` also only those students.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.protocol import STUDENTS, paper_mean_change
from benchmarks.records import RECORDS, read_records
from benchmarks.run import dataset_name, settings_words, summarize
from crysgnn_zoo import DistillConfig

RESULTS = Path(__file__).resolve().parent / "results"


def _rows(paths) -> list[tuple[dict, dict]]:
    """(experiment, summary row) for every row with a change, from the records files ``paths``."""
    rows = []
    for path in sorted(paths):
        meta, runs = read_records(path.parent)
        if meta is None or not runs or meta.get("kind") == "features":
            continue
        rows += [(meta, r) for r in summarize(runs) if r["change"] is not None]
    return rows


def _changes(rows: list[tuple[dict, dict]]) -> tuple[dict[tuple, dict[str, float]], dict[tuple, int]]:
    keyed: dict[tuple, dict[str, float]] = {}
    paired: dict[tuple, int] = {}  # (dataset, profile, target, model) -> seeds with both runs
    for meta, r in rows:
        key = (meta["dataset"], meta["profile"], r["target"])
        keyed.setdefault(key, {})[r["model"]] = r["change"]
        paired[key + (r["model"],)] = len(r.get("change_per_seed") or [])
    return keyed, paired


def _settings(rows: list[tuple[dict, dict]]) -> tuple:
    """(epochs, training-set cap, teacher, alphas and schedules in words, embedding scale, student overrides) of a
    results folder; runs recorded before the scale was recorded used ``per_dim``, before the schedule existed
    ``constant``, before ``--set`` existed no overrides."""
    found = sorted({(m.get("epochs"), m.get("max_train"), m.get("teacher", "crysgnn-v1"), settings_words(m),
                     m.get("embedding_scale", "per_dim"), _overrides_text(m.get("model_overrides"))) for m, _ in rows},
                   key=str)
    return tuple(v[0] if len(set(v)) == 1 else "/".join(map(str, v)) for v in zip(*found))


def _overrides_text(overrides: dict | None) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted((overrides or {}).items()))


def _describe(settings: tuple) -> str:
    epochs, max_train, teacher, alpha, scale, overrides = settings
    return (f"{epochs} epochs" + (f", at most {max_train} training crystals" if max_train not in (None, "None") else "")
            + f", teacher {teacher}, {alpha}"
            + f", embedding scale {scale}" + (f", students with {overrides}" if overrides else ""))


def _table(rows: list[tuple[dict, dict]], baseline: dict[tuple, dict[str, float]] | None = None,
           baseline_name: str = "main") -> list[str]:
    models = [m for m in STUDENTS if any(r["model"] == m for _, r in rows)]
    models += sorted({r["model"] for _, r in rows} - set(models))
    keyed, paired = _changes(rows)
    most = max(paired.values(), default=0)

    def cell(key: tuple, m: str) -> str:
        if m not in keyed[key]:
            return "-"
        n = paired[key + (m,)]
        text = f"{100 * keyed[key][m]:+.1f}%" + (f" ({n} of {most} seeds)" if n < most else "")
        if baseline is not None and m in baseline.get(key, {}):
            text += f" ({baseline_name}: {100 * baseline[key][m]:+.1f}%)"
        return text

    unclean = _not_clean(rows)
    lines = ["| data set (profile) | property | " + " | ".join(models) + " |", "|---|---|" + "---|" * len(models)]
    for key in keyed:
        dataset, profile, target = key
        mark = "*" if dataset in unclean else ""
        lines.append(f"| {dataset}{mark} ({profile}) | {target} | " + " | ".join(cell(key, m) for m in models) + " |")
    means = []
    for m in models:
        vals = [c[m] for c in keyed.values() if m in c]
        text = f"{100 * float(np.mean(vals)):+.1f}% ({len(vals)} row{'s' if len(vals) != 1 else ''})" if vals else "-"
        if baseline is not None and vals:
            same = [baseline[k][m] for k, c in keyed.items() if m in c and m in baseline.get(k, {})]
            if len(same) == len(vals):
                text += f" ({baseline_name}, same rows: {100 * float(np.mean(same)):+.1f}%)"
        means.append(text)
    lines.append("| **mean over rows run** | | " + " | ".join(means) + " |")
    lines.append("| paper, mean over its 11 rows | | " + " | ".join(
        f"{100 * paper_mean_change(m):+.1f}%" if m in STUDENTS else "-" for m in models) + " |")
    mapped = _paper_changes(rows)
    if mapped:
        ours, theirs = [], []
        for m in models:
            pairs = [(keyed[k][m], mapped[k][m]) for k in keyed if m in keyed[k] and m in mapped.get(k, {})]
            n = f" ({len(pairs)} row{'s' if len(pairs) != 1 else ''})"
            ours.append(f"{100 * float(np.mean([a for a, _ in pairs])):+.1f}%{n}" if pairs else "-")
            theirs.append(f"{100 * float(np.mean([b for _, b in pairs])):+.1f}%{n}" if pairs else "-")
        lines.append("| mean over rows with a paper counterpart | | " + " | ".join(ours) + " |")
        lines.append("| paper, mean over the same rows | | " + " | ".join(theirs) + " |")
    if unclean:
        lines += ["", "\\* not a clean comparison for the teacher: its card says it was trained on labels of "
                  f"these data sets' crystals ({', '.join(sorted(unclean.values()))})."]
    return lines


def _not_clean(rows: list[tuple[dict, dict]]) -> dict[str, str]:
    """Results-folder data set -> the data set its runs read, for those whose labels the teacher saw."""
    return {meta["dataset"]: dataset_name(meta) for meta, _ in rows
            if dataset_name(meta) in meta.get("teacher_not_clean_for", [])}


def _paper_changes(rows: list[tuple[dict, dict]]) -> dict[tuple, dict[str, float]]:
    """The paper's relative change for every row that maps to one of its rows (analogs included)."""
    mapped: dict[tuple, dict[str, float]] = {}
    for meta, r in rows:
        change = (r.get("paper") or {}).get("change")
        if change is not None:
            mapped.setdefault((meta["dataset"], meta["profile"], r["target"]), {})[r["model"]] = change
    return mapped


def summary(results: Path = RESULTS) -> str:
    main_rows = _rows(results.glob(f"*/{RECORDS}"))
    lines = ["# Distillation across data sets (benchmarks.run results)", "",
             "Relative test-MAE change, distilled / vanilla - 1 (mean over seeds of each). "
             "Negative = distillation helped." + (f" Settings: {_describe(_settings(main_rows))}." if main_rows else ""),
             "", *_table(main_rows)]
    folders = {"main": main_rows}
    for variant in sorted(p for p in results.iterdir() if p.is_dir()):
        rows = _rows(variant.glob(f"*/{RECORDS}"))
        if rows:
            folders[variant.name] = rows
    settings = {name: _settings(rows) for name, rows in folders.items()}
    for name, rows in folders.items():
        if name == "main":
            continue
        one_off = [other for other in folders if other != name
                   and sum(a != b for a, b in zip(settings[other], settings[name])) == 1]
        base = "main" if "main" in one_off or not one_off or not main_rows else one_off[0]
        baseline = _changes(folders[base])[0]
        shared = set(_changes(rows)[0]) & set(baseline)
        compared = (f"Same protocol as the main table except these settings; each cell gives the change for the "
                    f"same row in `{base}` ({_describe(settings[base])}) beside it." if shared else
                    f"None of its rows (data set, profile, property) is in `{base}`, so its cells stand alone.")
        lines += ["", f"## Variant `{name}` ({_describe(settings[name])})", "", compared, "",
                  *_table(rows, baseline, base)]
    return "\n".join(lines + _features(results)) + "\n"


def _features(results: Path) -> list[str]:
    """The features baselines (``benchmarks.features``) recorded under ``results/features/<teacher>``."""
    from benchmarks.features import markdown, table_rows
    from crysgnn_zoo.distill.teachers import teacher_card

    lines = []
    for folder in sorted((results / "features").glob(f"*/{RECORDS}")):
        meta, runs = read_records(folder.parent)
        if not meta or not runs:
            continue
        text = markdown(table_rows(runs, meta["seeds"]), meta["teacher"], meta["seeds"],
                        teacher_card(meta["teacher"]).get("not_clean_for", []))
        lines += ["", "## " + text.splitlines()[0].lstrip("# "), *text.splitlines()[1:]]
    return lines


def _over_limit(n_train: int) -> bool:
    """Whether the default DistillConfig trains without the teacher on ``n_train`` crystals."""
    limit = DistillConfig().max_train_crystals
    return limit is not None and n_train > limit


def ladder(specs: list[str]) -> list[dict]:
    """Per folder spec, target and student: training crystals, epochs, the teacher's epochs and the
    paired per-seed changes (distilled / vanilla - 1) of validation and test MAE."""
    points = []
    for spec in specs:
        spec_dirs, _, only = spec.partition("@")
        target, _, models = only.partition(":")
        runs = [r for f in spec_dirs.split("+") for r in read_records(Path(f))[1]
                if target in ("", r["target"]) and (not models or r["model"] in models.split(","))]
        key = lambda r: (r["target"], r["model"], r["split_seed"])  # noqa: E731
        vanilla = {key(r): r for r in runs if r["mode"] == "vanilla"}
        for (target, model) in sorted({(r["target"], r["model"]) for r in runs if r["mode"] == "distilled"}):
            pairs = [(vanilla[key(r)], r) for r in runs if r["mode"] == "distilled" and (target, model) == key(r)[:2]
                     and key(r) in vanilla and vanilla[key(r)]["split_hash"] == r["split_hash"]]
            if not pairs:
                continue
            pairs.sort(key=lambda p: p[1]["split_seed"])
            d = pairs[0][1]
            points.append({
                "folder": spec, "dataset": d["dataset"], "target": target, "model": model,
                "train": d["split_sizes"][0], "epochs": d["extra"]["train_config"]["epochs"],
                "teacher_epochs": (d["extra"]["distill"].get("teacher_epochs") if d["extra"].get("distill")
                                   else 0.0),  # None: a run before the size rule, its schedule over all epochs
                "seeds": [p[1]["split_seed"] for p in pairs],
                "val": [p[1]["extra"]["val"]["mae"] / p[0]["extra"]["val"]["mae"] - 1 for p in pairs],
                "test": [p[1]["test"]["mae"] / p[0]["test"]["mae"] - 1 for p in pairs],
                "default_off": _over_limit(d["split_sizes"][0])})
    return sorted(points, key=lambda p: (p["model"], p["train"]))


def ladder_markdown(points: list[dict]) -> str:
    pct = lambda v: ", ".join(f"{100 * x:+.1f}" for x in v)  # noqa: E731
    lines = ["| data set, target | student | training crystals | epochs | schedule over (epochs) | seeds | "
             "validation change per seed (%) | mean | test change per seed (%) | mean | default's mean validation "
             "change |", "|" + "---|" * 11]
    for p in points:
        te = "all" if p["teacher_epochs"] is None else ("off" if p["teacher_epochs"] == 0 else f"{p['teacher_epochs']:.3g}")
        now = "0.0% (teacher off: the vanilla run)" if p["default_off"] else f"{100 * np.mean(p['val']):+.1f}%"
        lines.append(f"| {p['dataset']} {p['target']} | {p['model']} | {p['train']:,} | {p['epochs']} | {te} | "
                     f"{','.join(map(str, p['seeds']))} | {pct(p['val'])} | {100 * np.mean(p['val']):+.1f}% | "
                     f"{pct(p['test'])} | {100 * np.mean(p['test']):+.1f}% | {now} |")
    return "\n".join(lines) + "\n"


def ladder_plot(points: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.5, 4.2))
    for model in sorted({p["model"] for p in points}):
        mine = [p for p in points if p["model"] == model]
        now = [0.0 if p["default_off"] else 100 * np.mean(p["val"]) for p in mine]
        line, = ax.plot([p["train"] for p in mine], now, "o", label=f"{model}, the default")
        for p in mine:
            if p["default_off"]:  # what the teacher did there, before max_train_crystals turned it off
                ax.plot(p["train"], 100 * np.mean(p["val"]), "o", mfc="none", color=line.get_color())
            ax.annotate(f"{p['dataset']} {p['target'][:10]}", (p["train"], 100 * np.mean(p["val"])), fontsize=6)
    limit = DistillConfig().max_train_crystals
    if limit:
        ax.axvline(limit, color="grey", lw=0.6, ls=":", label=f"max_train_crystals {limit:,}: above it\n"
                                                             "no teacher (open circle: with it)")
    ax.axhline(0, color="black", lw=0.8)
    ax.axhline(1, color="grey", lw=0.6, ls="--", label="vanilla + 1 %")
    ax.set_xscale("log")
    ax.set_xlabel("training crystals")
    ax.set_ylabel("validation MAE change from distillation (%)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=RESULTS, help="results folder (default: benchmarks/results)")
    ap.add_argument("--out", type=Path, help="where to write (default: <results>/SUMMARY.md)")
    ap.add_argument("--ladder", nargs="*", metavar="DIR[+DIR][@TARGET[:MODELS]]",
                    help="write the size ladder (table and plot) of these results folders to --out instead")
    args = ap.parse_args(argv)
    if args.ladder:
        points = ladder(args.ladder)
        out = args.out or Path("runs/results/ladder.md")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(ladder_markdown(points))
        out.with_suffix(".json").write_text(json.dumps(points, indent=1))
        ladder_plot(points, out.with_suffix(".png"))
        print(out.read_text())
        return
    text = summary(args.results)
    (args.out or args.results / "SUMMARY.md").write_text(text)
    print(text)


if __name__ == "__main__":
    from benchmarks import run_main

    run_main(main)
