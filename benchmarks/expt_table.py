"""The table and plots of :mod:`benchmarks.expt_bias`, from its ``runs.jsonl``.

    python -m benchmarks.expt_bias table

``table.md``: per line, the mean over seeds of validation and test MAE against experiment (eV/atom),
test R2, the change against DFT's own MAE on the same test crystals, and the paired per-seed change
of each distilled line against its vanilla twin; the best line on validation is named.
``parity.png``: predicted against measured for the best line and for DFT (every seed's test
crystals); ``plot.png``: test MAE per line with DFT's as a reference line.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

PAIRS = {"mp-distilled": "mp-vanilla", "scratch+distill": "scratch", "correction+distill": "correction",
         "ft(mp-vanilla)+distill": "ft(mp-vanilla)", "ft(mp-distilled)": "ft(mp-vanilla)",
         "ft(mp-distilled)+distill": "ft(mp-vanilla)", "ft(mp-distilled)@5e-3": "ft(mp-vanilla)@5e-3"}
NOT_CLEAN = ("features(chgnet-0.3.0)",)


def structure_only(line: str) -> bool:
    """Whether a line predicts from the structure alone (no DFT value as input)."""
    return line != "dft" and not line.startswith("correction") and not line.endswith("+dft")


def read(folder: Path) -> tuple[dict, list[dict]]:
    """``(experiment, seed records)`` of ``folder/runs.jsonl``."""
    experiment, seeds = {}, []
    for line in (folder / "runs.jsonl").read_text().splitlines():
        item = json.loads(line)
        kind = item.pop("record")
        if kind == "experiment":
            experiment = item
        else:
            seeds.append(item)
    return experiment, seeds


def rows(seeds: list[dict]) -> list[dict]:
    """One row per line present in every seed, with means and paired changes."""
    names = [n for n in seeds[0]["lines"] if all(n in s["lines"] for s in seeds)]
    out = []
    for name in names:
        val = np.array([s["lines"][name]["val"]["mae"] for s in seeds])
        test = np.array([s["lines"][name]["test"]["mae"] for s in seeds])
        dft = np.array([s["lines"]["dft"]["test"]["mae"] for s in seeds])
        row = {"line": name, "val": val, "test": test, "r2": np.mean([s["lines"][name]["test"]["r2"] for s in seeds]),
               "vs_dft": test / dft - 1}
        twin = PAIRS.get(name)
        if twin in names:
            row["twin"] = twin
            row["paired_val"] = val / np.array([s["lines"][twin]["val"]["mae"] for s in seeds]) - 1
            row["paired_test"] = test / np.array([s["lines"][twin]["test"]["mae"] for s in seeds]) - 1
        out.append(row)
    return out


def _pct(values: np.ndarray) -> str:
    return ", ".join(f"{100 * v:+.1f}" for v in values)


def markdown(experiment: dict, seeds: list[dict], table: list[dict]) -> str:
    best = min((r for r in table if r["line"] != "dft"), key=lambda r: r["val"].mean())
    mp = experiment.get("mp_runs") or {}
    lines = [
        "# DFT-induced bias: MAE against measured formation enthalpies (mp_expt_hf)", "",
        "- Commands: `python -m benchmarks.expt_bias mp`, `python -m benchmarks.expt_bias expt --seeds "
        f"{','.join(str(s['seed']) for s in seeds)}`, `python -m benchmarks.expt_bias table`",
        f"- Data: {experiment['data']}; split {experiment['split']} per seed; seeds and split hashes: "
        + ", ".join(f"{s['seed']} ({s['split']['hash']}, {s['split']['sizes']})" for s in seeds)
        + "; test ids in runs.jsonl.",
        f"- Trained lines: CGCNN, recipe {experiment['recipe']}, {experiment['expt_epochs']} epochs, best "
        "validation epoch; fine-tuning lines at the learning rate in `LINES`. MP starts: mp_37k formation energy "
        f"without the mp_expt_hf crystals, split {experiment['mp_split']} seed 0, {experiment['mp_epochs']} epochs"
        + "".join(f"; {m}: val {r['val']['mae']:.4f} / test {r['test']['mae']:.4f} eV/atom (MP DFT), "
                  f"split {r['split_hash']} {r['split_sizes']}" for m, r in mp.items() if r) + ".",
        "- `features(...)`: frozen teacher crystal embeddings + ridge or boosted trees chosen on validation; "
        "`+dft`: the same learning experiment minus DFT. chgnet-0.3.0 was trained on MP DFT energies (MPtrj), "
        "not on these measurements.", "",
        "| line | val MAE | test MAE (mean +- sd) | test R2 | vs DFT, test (per seed, %) | vs twin | "
        "paired val change (%) | paired test change (%) |",
        "|---|---|---|---|---|---|---|---|"]
    for r in table:
        twin = r.get("twin")
        lines.append(
            f"| {'**' + r['line'] + '**' if r is best else r['line']} | {r['val'].mean():.4f} | "
            f"{r['test'].mean():.4f} +- {r['test'].std(ddof=1) if len(r['test']) > 1 else 0:.4f} | {r['r2']:.3f} | "
            f"{100 * r['vs_dft'].mean():+.1f} ({_pct(r['vs_dft'])}) | {twin or ''} | "
            f"{_pct(r['paired_val']) if twin else ''} | {_pct(r['paired_test']) if twin else ''} |")
    dft = next(r for r in table if r["line"] == "dft")
    alone = min((r for r in table if structure_only(r["line"])), key=lambda r: r["val"].mean())
    lines += ["", f"Best line on validation: **{best['line']}**, test MAE {best['test'].mean():.4f} eV/atom against "
                  f"DFT's {dft['test'].mean():.4f} on the same crystals ({100 * best['vs_dft'].mean():+.1f} %). "
                  f"Best from the structure alone: **{alone['line']}**, {alone['test'].mean():.4f} eV/atom "
                  f"({100 * alone['vs_dft'].mean():+.1f} %).", ""]
    return "\n".join(lines)


def plots(seeds: list[dict], table: list[dict], folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best = min((r for r in table if r["line"] != "dft"), key=lambda r: r["val"].mean())
    alone = min((r for r in table if structure_only(r["line"])), key=lambda r: r["val"].mean())
    truth = np.concatenate([s["test_truth"] for s in seeds])
    fig, ax = plt.subplots(figsize=(5.2, 5))
    shown = [("dft", "tab:grey"), (best["line"], "tab:blue")]
    shown += [(alone["line"], "tab:orange")] if alone is not best else []
    for name, colour in shown:
        pred = np.concatenate([s["test_predictions"][name] for s in seeds])
        ax.scatter(truth, pred, s=7, alpha=0.5, color=colour,
                   label=f"{name}: MAE {np.abs(pred - truth).mean():.3f} eV/atom")
    lo, hi = float(truth.min()) - 0.2, float(truth.max()) + 0.2
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    ax.set(xlabel="measured formation enthalpy (eV/atom)", ylabel="predicted (eV/atom)",
           title=f"mp_expt_hf test crystals, {len(seeds)} seeds")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "parity.png", dpi=120)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7.5, 4))
    names = [r["line"] for r in table]
    ax.barh(names, [r["test"].mean() for r in table],
            xerr=[r["test"].std(ddof=1) if len(r["test"]) > 1 else 0 for r in table], color="tab:blue")
    ax.axvline(next(r for r in table if r["line"] == "dft")["test"].mean(), color="tab:red", ls="--", label="DFT")
    ax.invert_yaxis()
    ax.set(xlabel="test MAE against experiment (eV/atom)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "plot.png", dpi=120)
    plt.close(fig)


def write_table(folder: Path) -> Path:
    """Write ``table.md``, ``parity.png`` and ``plot.png`` in ``folder``; returns the table's path."""
    experiment, seeds = read(folder)
    table = rows(seeds)
    (folder / "table.md").write_text(markdown(experiment, seeds, table))
    plots(seeds, table, folder)
    return folder / "table.md"
