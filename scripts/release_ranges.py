"""Physical ranges of the released property models: declare them, and check that predictions stay in them.

    python scripts/release_ranges.py            # report: raw and as-predicted MAE, values outside the range
    python scripts/release_ranges.py --update   # write each model's range into its config.json and card

For every released property model whose data set card declares a range for its target, the report
rebuilds the model's own split (checked against the card's split hash), predicts its validation
and test crystals and the JARVIS sample, and gives, per part: the MAE of the raw output and of the
predictions as :func:`crysgnn_zoo.predict` returns them (clipped to the range), how many raw values
fell outside the range and how many returned values do (always 0). For a band gap it splits the
test MAE into metals (gap = 0) and gap > 0. ``--update`` writes ``"range"`` into ``config.json``
(new config hash in the card and ``releases.json``), the range and those metrics into the card, and
repacks the archive under ``dist/``; the weights do not change. Writes
``benchmarks/results/output_bound/releases.json`` (``--out`` to move it).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "models" / "crysgnn_zoo_weights"
RESULTS = ROOT / "benchmarks" / "results" / "output_bound" / "releases.json"
GAP_TARGETS = ("band_gap", "optb88vdw_bandgap", "dir_gap", "ind_gap")


def release_split(card: dict):
    """``(store, split)`` of a released model's data, rebuilt as its run built them.

    Raises:
        SystemExit: the rebuilt split's hash is not the card's (other data or code).
    """
    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.graphs.build import build_store
    from crysgnn_zoo.graphs.select import checked_split, usable_data

    data = card["data"]
    source = open_source(data["dataset"])
    built = build_store(source, GraphConfig.from_dict(card["training"]["graph_config"]), progress=False)
    sizes = tuple(data["split_sizes"])
    store, _ = usable_data(source, built, data["target"], sum(sizes), data["split_seed"])
    split = checked_split(store, sizes, data["split_seed"], source.name, data["target"])
    if split.hash != data["split_hash"]:
        raise SystemExit(f"{card['name']}: rebuilt split hash {split.hash} != card's {data['split_hash']}")
    return store, split


def part_metrics(predictor, store, index: np.ndarray, target: str) -> dict:
    """Raw and as-predicted metrics of ``predictor`` on crystals ``index`` of ``store``."""
    from crysgnn_zoo.train.metrics import regression_metrics

    part = store.subset(index)
    y = part.target(target)
    raw = predictor.predict(part)
    clipped, outside = predictor.predict_in_range(part)
    out = {"raw": regression_metrics(y, raw), "as_predicted": regression_metrics(y, clipped),
           "n_outside_raw": int(outside.sum()), "raw_min": float(raw.min()), "raw_max": float(raw.max()),
           "n_outside_returned": int(_outside(clipped, predictor.target_range).sum())}
    if target in GAP_TARGETS:
        out["by_part"] = {name: {"mae": float(np.abs(clipped[mask] - y[mask]).mean()), "n": int(mask.sum())}
                          for name, mask in (("metals (gap = 0)", y == 0), ("gap > 0", y > 0))}
    return out


def _outside(values: np.ndarray, rng) -> np.ndarray:
    lo = -np.inf if rng.lower is None else rng.lower
    hi = np.inf if rng.upper is None else rng.upper
    return (values < lo) | (values > hi)


def jarvis_check(predictor) -> dict:
    """Predictions on the JARVIS sample through :func:`crysgnn_zoo.predict`: how many were clipped and
    how many returned values lie outside the range."""
    from crysgnn_zoo.predict import predict

    table = predict(predictor, "jarvis_sample")
    ok = table[table.error == ""]
    return {"n": len(ok), "n_clipped": table.attrs["n_clipped"],
            "n_outside_returned": int(_outside(ok.prediction.to_numpy(), predictor.target_range).sum())}


def declare_range(name: str, rng) -> None:
    """Write ``rng`` into the release's config.json and card, with the new config hash in both tables."""
    from crysgnn_zoo.download import sha256_of
    from crysgnn_zoo.hub.release import RELEASE_TABLE

    folder = WEIGHTS / name
    config = json.loads((folder / "config.json").read_text())
    config.update(range=rng.to_json(), output_bound=config.get("output_bound", "clip"))
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    card = json.loads((folder / "card.json").read_text())
    card["config_sha256"] = sha256_of(folder / "config.json")
    card["data"]["range"] = rng.to_json()
    (folder / "card.json").write_text(json.dumps(card, indent=1))
    rows = json.loads(RELEASE_TABLE.read_text())
    for row in rows:
        if row["name"] == name:
            row["config_sha256"] = card["config_sha256"]
    RELEASE_TABLE.write_text(json.dumps(rows, indent=1) + "\n")


def _release_model():
    """scripts/release_model.py as a module (its README writer)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("release_model", Path(__file__).with_name("release_model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record_metrics(name: str, report: dict) -> None:
    """The as-predicted metrics in the card, then the archive and its hash."""
    from crysgnn_zoo.hub.release import RELEASE_TABLE, pack, record

    folder = WEIGHTS / name
    card = json.loads((folder / "card.json").read_text())
    for part, key in (("val", "validation_in_range"), ("test", "test_in_range")):
        card["metrics"][key] = {**report[part]["as_predicted"], "n_clipped": report[part]["n_outside_raw"]}
    if "by_part" in report["test"]:
        card["metrics"]["test_by_part"] = report["test"]["by_part"]
    (folder / "card.json").write_text(json.dumps(card, indent=1))
    (folder / "README.md").write_text(_release_model().readme(card))
    archive = pack(folder, name, ROOT / "dist" / f"{name}.tar.gz")
    record(name, archive, card["sha256"], RELEASE_TABLE, config_sha256=card["config_sha256"])


def check(name: str, card: dict, update: bool) -> dict | None:
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.predict import load_model

    data = card.get("data", {})
    if "test" not in card.get("metrics", {}):
        return None  # an encoder
    rng = open_source(data["dataset"]).range(data["target"])
    if rng is None:
        return None
    if update:
        declare_range(name, rng)
    predictor = load_model(name)
    if predictor.target_range is None:
        raise SystemExit(f"{name}: config.json declares no range; run with --update")
    store, split = release_split(card)
    report = {"name": name, "dataset": data["dataset"], "target": data["target"], "unit": data["unit"],
              "range": rng.to_json(), "split_hash": split.hash,
              "val": part_metrics(predictor, store, split.val, data["target"]),
              "test": part_metrics(predictor, store, split.test, data["target"]),
              "jarvis_sample": jarvis_check(predictor)}
    if update:
        record_metrics(name, report)
    return report


def markdown(reports: list[dict]) -> str:
    from crysgnn_zoo.ranges import TargetRange

    lines = ["| model | range | val MAE raw -> as predicted | test MAE raw -> as predicted | test raw outside "
             "(min) | returned outside (test, JARVIS) |", "|---|---|---|---|---|---|"]
    for r in reports:
        v, t = r["val"], r["test"]
        lines.append(f"| `{r['name']}` | {TargetRange.from_json(r['range'])} {r['unit']} | {v['raw']['mae']:.4f} -> "
                     f"{v['as_predicted']['mae']:.4f} | {t['raw']['mae']:.4f} -> {t['as_predicted']['mae']:.4f} | "
                     f"{t['n_outside_raw']} of {t['raw']['n']} ({t['raw_min']:.3g}) | "
                     f"{t['n_outside_returned']}, {r['jarvis_sample']['n_outside_returned']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--update", action="store_true", help="write ranges and metrics into the released files")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"report JSON (default {RESULTS.relative_to(ROOT)})")
    args = ap.parse_args(argv)
    from crysgnn_zoo.hub.resolve import released_models

    reports = [r for card in released_models() if (r := check(card["name"], card, args.update))]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(reports, indent=1))
    print(markdown(reports))
    for r in reports:
        if "by_part" in r["test"]:
            parts = "; ".join(f"{k}: MAE {v['mae']:.4f} {r['unit']} ({v['n']})" for k, v in r["test"]["by_part"].items())
            print(f"{r['name']} test, as predicted: {parts}")
    bad = [r["name"] for r in reports if r["test"]["n_outside_returned"] or r["jarvis_sample"]["n_outside_returned"]]
    if bad:
        print(f"error: {', '.join(bad)} returned values outside the range", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
