"""Give every released property model its uncertainty model, without retraining.

    python scripts/release_uncertainty.py            # fit, calibrate, measure; write into the releases
    python scripts/release_uncertainty.py --report   # only print the table from the cards

For each release with a target: its own split is rebuilt (checked against the card's split hash),
:func:`crysgnn_zoo.hub.calibrate.calibrate_checkpoint` fits the Laplace and nearest-neighbour
uncertainties on its training crystals, calibrates them on its validation crystals (method chosen
by validation NLL) and measures them on its test crystals; ``uncertainty.npz`` is written beside
the weights with its SHA-256 in the card, a card without training elements gets them (so predict
flags unseen elements for every release), the README gains the figures, and the archive and release
table are rewritten (weights and config unchanged). The same figures on the 50 JARVIS sample
crystals (another database) go to ``benchmarks/results/uncertainty/releases.json`` with
``calibration.png`` (expected against observed coverage) and ``error_vs_std.png`` (``--plots``
redraws the latter alone).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "models" / "crysgnn_zoo_weights"
RESULTS = ROOT / "benchmarks" / "results" / "uncertainty"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def jarvis_figures(name: str) -> dict | None:
    """Coverage on the JARVIS sample (its OptB88vdW gap) for a band-gap model; in_domain share for every model."""
    from crysgnn_zoo.data.sources import dataset_source
    from crysgnn_zoo.hub.uncertainty import coverage_report
    from crysgnn_zoo.predict import load_model, predict

    predictor = load_model(name)
    table = predict(predictor, "jarvis_sample")
    ok = table[table.error == ""]
    out = {"n": len(ok), "in_domain_share": float(ok.in_domain.astype(bool).mean())}
    if predictor.target == "band_gap":
        labels = {e.id: e.targets["optb88vdw_bandgap"] for e in dataset_source("jarvis_sample").entries()}
        y = np.array([labels[i] for i in ok.id])
        out["band_gap_vs_optb88vdw"] = coverage_report(ok.prediction.to_numpy() - y, ok["std"].to_numpy(),
                                                       ok.in_domain.astype(bool).to_numpy(), predictor.uncertainty)
    return out


def readme_words(record: dict) -> str:
    t, u = record["test"], record["unit"]
    return (f"Uncertainty ({record['method']}, calibrated on the validation crystals; `predict` gives `std` and "
            f"`in_domain`): on the test crystals {100 * t['coverage_68']:.1f} % lie inside the 68 % interval and "
            f"{100 * t['coverage_95']:.1f} % inside the 95 % interval; Spearman(|error|, std) {t['spearman']:.2f}; "
            f"NLL {t['nll']:.3f} (std in {u}).")


def update(name: str) -> dict:
    from crysgnn_zoo.hub.calibrate import calibrate_checkpoint
    from crysgnn_zoo.hub.release import RELEASE_TABLE, pack, record

    folder = WEIGHTS / name
    card = json.loads((folder / "card.json").read_text())
    store, split = _script("release_ranges").release_split(card)
    rec = calibrate_checkpoint(folder, store, split)
    card = json.loads((folder / "card.json").read_text())
    if not card.get("elements"):  # predict flags elements a model never saw: every card lists its own
        card["elements"] = store.elements(split.train)
        (folder / "card.json").write_text(json.dumps(card, indent=1))
    (folder / "README.md").write_text(_script("release_model").readme(card) + "\n" + readme_words(rec) + "\n")
    archive = pack(folder, name, ROOT / "dist" / f"{name}.tar.gz")
    record(name, archive, card["sha256"], RELEASE_TABLE, config_sha256=card["config_sha256"])
    return rec


def plots(reports: dict, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    for name, r in reports.items():
        curve = np.array(r["test"]["curve"])
        ax.plot(curve[:, 0], curve[:, 1], marker=".", label=name)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="expected coverage", ylabel="observed coverage (test crystals)", title="calibration of the releases")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(folder / "calibration.png", dpi=110)
    plt.close(fig)


def error_vs_std(names: list[str], folder: Path) -> Path:
    """``error_vs_std.png``: |error| against std on each release's own test crystals (log axes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crysgnn_zoo.predict import load_model

    fig, axes = plt.subplots(2, 3, figsize=(11, 7))
    for ax, name in zip(axes.ravel(), names):
        predictor = load_model(name)
        card = json.loads((WEIGHTS / name / "card.json").read_text())
        store, split = _script("release_ranges").release_split(card)
        test = store.subset(split.test)
        values, _, std, _ = predictor.predict_with_uncertainty(test)
        err = np.abs(values - test.target(predictor.target))
        ax.loglog(std, np.maximum(err, 1e-6), ".", ms=3, alpha=0.5)
        lo, hi = float(std.min()), float(std.max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="|error| = std")
        ax.set(title=name, xlabel=f"std ({predictor.unit})", ylabel="|error|")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(folder / "error_vs_std.png", dpi=100)
    plt.close(fig)
    return folder / "error_vs_std.png"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", action="store_true", help="print the table from the cards, change nothing")
    ap.add_argument("--only", help="comma-separated release names (default: every property model)")
    ap.add_argument("--plots", action="store_true", help="only redraw error_vs_std.png from the releases as they are")
    args = ap.parse_args(argv)
    from crysgnn_zoo.hub.resolve import released_models

    names = [c["name"] for c in released_models() if "test" in c.get("metrics", {})]
    names = [n for n in names if not args.only or n in args.only.split(",")]
    if args.plots:
        print(error_vs_std(names, RESULTS))
        return 0
    reports = {}
    for name in names:
        rec = json.loads((WEIGHTS / name / "card.json").read_text())["extra"].get("uncertainty") if args.report \
            else update(name)
        if rec:
            reports[name] = {**rec, "jarvis_sample": jarvis_figures(name)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.report:
        (RESULTS / "releases.json").write_text(json.dumps(reports, indent=1))
        plots(reports, RESULTS)
        error_vs_std(names, RESULTS)
    print("| release | method | test 68 % coverage | test 95 % coverage | Spearman(abs error, std) | test NLL | "
          "JARVIS sample in domain |\n|---|---|---|---|---|---|---|")
    for name, r in reports.items():
        t = r["test"]
        print(f"| `{name}` | {r['method']} | {100 * t['coverage_68']:.1f} % | {100 * t['coverage_95']:.1f} % | "
              f"{t['spearman']:.2f} | {t['nll']:.3f} | {100 * r['jarvis_sample']['in_domain_share']:.0f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
