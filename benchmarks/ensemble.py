"""An ensemble beside the post-hoc uncertainty of a release, on the release's own test crystals.

    python -m benchmarks.ensemble --release cgcnn-mpelastic-shear-modulus --members 5

Trains ``members - 1`` more models with the release's own recipe (its card's train config and
distillation, size rule lifted as the release had none) on the release's split (rebuilt, checked
by hash), each from another initialisation seed (1, 2, ...); with the release itself they make the
ensemble. On the validation and test crystals it compares the ensemble's spread (the standard
deviation of the members' predictions, raw and scaled by one factor fitted on validation by NLL)
with the release's post-hoc uncertainty (:mod:`crysgnn_zoo.hub.uncertainty`): 68 % and 95 %
coverage, Spearman(|error|, std), NLL; the error is the release's own. Runs train under
``runs/ensemble/<release>/seed<k>`` (resumable); the report goes to
``benchmarks/results/uncertainty/ensemble_<release>.json`` and ``.md``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "uncertainty"


def _release_split(card: dict):
    spec = importlib.util.spec_from_file_location("release_ranges", ROOT / "scripts" / "release_ranges.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.release_split(card)


def member(card: dict, seed: int, folder: Path):
    """The release's recipe from initialisation seed ``seed``, trained in ``folder`` (or read back)."""
    from crysgnn_zoo.config import DistillConfig, TrainConfig
    from crysgnn_zoo.predict import load_model
    from crysgnn_zoo.train.run import train_model

    if not (folder / "result.json").exists():
        d, t = card["data"], card["training"]
        distill = t.get("distilled_from")
        train_model(d["dataset"], d["target"], card["architecture"], split_sizes=tuple(d["split_sizes"]),
                    split_seed=d["split_seed"], max_samples=sum(d["split_sizes"]),
                    train_config=TrainConfig.from_dict({**t["train_config"], "seed": seed}),
                    distill=DistillConfig.from_dict({**distill, "teacher_crystals": None, "max_train_crystals": None})
                    if distill else None, out_dir=folder, resume=(folder / "split.json").exists(), progress=False)
    return load_model(folder / "checkpoint")


def fit_scale(spread: np.ndarray, err: np.ndarray) -> float:
    """The one factor ``a`` maximising the Gaussian likelihood of ``err`` under ``a * spread``."""
    return float(np.sqrt(np.mean(err ** 2 / np.maximum(spread, 1e-12) ** 2)))


def main(argv: list[str] | None = None) -> int:
    from crysgnn_zoo.hub.uncertainty import coverage_report
    from crysgnn_zoo.predict import load_model

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--release", default="cgcnn-mpelastic-shear-modulus")
    ap.add_argument("--members", type=int, default=5)
    args = ap.parse_args(argv)
    release = load_model(args.release)
    card = release.card
    store, split = _release_split(card)
    members = [release] + [member(card, k, ROOT / "runs" / "ensemble" / args.release / f"seed{k}")
                           for k in range(1, args.members)]
    parts = {p: store.subset(getattr(split, p)) for p in ("val", "test")}
    out = {"release": args.release, "members": args.members, "split_hash": split.hash}
    for name, part in parts.items():
        y = part.target(release.target)
        preds = np.stack([m.predict_in_range(part)[0] for m in members]).astype(np.float64)
        values, _, post_std, _ = release.predict_with_uncertainty(part)
        out[name] = {"err": values - y, "spread": preds.std(0, ddof=1), "post": post_std,
                     "ensemble_mae": float(np.abs(preds.mean(0) - y).mean()), "release_mae": float(np.abs(values - y).mean())}
    scale = fit_scale(out["val"]["spread"], out["val"]["err"])
    t = out["test"]
    report = {"release": args.release, "members": args.members, "split_hash": split.hash, "scale": scale,
              "test_release_mae": t["release_mae"], "test_ensemble_mean_mae": t["ensemble_mae"],
              "post_hoc": coverage_report(t["err"], t["post"], unc=release.uncertainty),
              "ensemble_raw": coverage_report(t["err"], t["spread"]),
              "ensemble_scaled": coverage_report(t["err"], scale * t["spread"])}
    for v in report.values():
        if isinstance(v, dict):
            v.pop("curve", None)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"ensemble_{args.release}.json").write_text(json.dumps(report, indent=1))
    rows = ["| uncertainty | 68 % covers | 95 % covers | Spearman(abs error, std) | NLL |", "|---|---|---|---|---|"]
    for key, label in (("post_hoc", "post-hoc (the release's)"), ("ensemble_raw", f"{args.members}-member spread"),
                       ("ensemble_scaled", f"{args.members}-member spread x {scale:.2f} (fitted on validation)")):
        r = report[key]
        rows.append(f"| {label} | {100 * r['coverage_68']:.1f} % | {100 * r['coverage_95']:.1f} % | "
                    f"{r['spearman']:.2f} | {r['nll']:.3f} |")
    text = (f"# {args.release}: ensemble against post-hoc uncertainty\n\n- Command: `python -m benchmarks.ensemble "
            f"--release {args.release} --members {args.members}`\n- Test crystals of split {split.hash}: "
            f"{report['post_hoc']['n']}; release test MAE {t['release_mae']:.4f}, ensemble mean "
            f"{t['ensemble_mae']:.4f} ({release.unit}).\n\n" + "\n".join(rows) + "\n")
    (OUT / f"ensemble_{args.release}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
