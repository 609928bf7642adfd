"""Release a trained property model: weights folder with card and README, archive, hash table.

    python scripts/release_model.py --run runs/benchmarks/full/mp/formation_energy_per_atom/cgcnn/vanilla/seed0 \
        --name cgcnn-mp37k-formation-energy --command "python -m benchmarks.run ..."

The run folder is one of ``train_model``'s (``result.json``, ``history.json``,
``checkpoint/``). The release gets the weights only (no optimiser state), a
``card.json`` (data set and its content fingerprint, split seed/hash/sizes,
test MAE/RMSE/R2 with units, mean-predictor MAE, validation curve, teacher if
distilled, elements seen in training, command, data licence) and a README.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks.protocol: the paper's table


def _data_record(result: dict, run: Path, data_note: str = "") -> dict:
    """The card's data: a named set's card and fingerprint; another file (a derived set) by its
    run's data path, described by ``data_note``."""
    from crysgnn_zoo.data.sources import list_datasets, open_source

    named = result["dataset"] in list_datasets()
    source = open_source(result["dataset"] if named else json.loads((run / "run.json").read_text())["data"])
    card = source.card or {}
    return {"dataset": result["dataset"], "fingerprint": source.fingerprint(),
            "source": data_note or card.get("source", ""),
            "target": result["target"], "unit": result["unit"], "split_seed": result["split_seed"],
            "split_hash": result["split_hash"], "split_sizes": result["split_sizes"],
            "n_skipped": result["n_skipped"], "paper_row": result.get("paper_row"),
            "analog": result.get("analog", False), "range": result["extra"].get("range")}


def _paper(row: str | None, student: str) -> dict | None:
    """The paper's full-data MAE for ``student`` on ``row`` (its own data, not ours), if the row maps."""
    from benchmarks.protocol import PAPER_TABLE

    if not row or row not in PAPER_TABLE or student not in PAPER_TABLE[row][1]:
        return None
    vanilla, distilled = PAPER_TABLE[row][1][student]
    return {"row": row, "vanilla": vanilla, "distilled": distilled}


def _distill_record(distill: dict) -> dict:
    """The run's DistillConfig fields (a field the run predates: the value runs had then)."""
    from crysgnn_zoo.config import DISTILL_RECORDED_BEFORE, DistillConfig

    record = {**DISTILL_RECORDED_BEFORE, **distill}
    return {k: record[k] for k in DistillConfig().to_dict()}


def build_card(run: Path, name: str, command: str, license_: str, note: str = "", data_note: str = "",
               extra: dict | None = None) -> dict:
    """The card of the model trained in ``run`` (see the module docstring)."""
    from crysgnn_zoo.download import sha256_of
    from crysgnn_zoo.hub.card import ModelCard
    from crysgnn_zoo.hub.checkpoint import load_checkpoint

    result = json.loads((run / "result.json").read_text())
    history = json.loads((run / "history.json").read_text())
    predictor = load_checkpoint(run / "checkpoint")
    distill = result["extra"].get("distill")
    card = ModelCard(
        name=name,
        architecture=result["model"],
        sha256=sha256_of(run / "checkpoint" / "weights.pt"),
        config_sha256=sha256_of(run / "checkpoint" / "config.json"),
        num_params=sum(p.numel() for p in predictor.model.parameters() if p.requires_grad),
        data=_data_record(result, run, data_note),
        training={"train_config": result["extra"]["train_config"], "graph_config": result["extra"]["graph_config"],
                  "epochs_run": result["epochs_run"], "best_epoch": result["best_epoch"],
                  "seconds_per_epoch": result["seconds_per_epoch"], "train_seconds": result["train_seconds"],
                  "distilled_from": distill and _distill_record(distill),
                  "selection": "weights of the epoch with the lowest validation MAE"},
        metrics={"unit": result["unit"], "test": result["test"], "validation": result["extra"]["val"],
                 **{k: result["extra"][k] for k in ("test_in_range", "val_in_range") if k in result["extra"]},
                 "mean_predictor_mae": result["mean_predictor_mae"], "paper": _paper(result.get("paper_row"),
                                                                                    result["model"])},
        license=license_,
        command=command,
        elements=predictor.card.get("elements", []),  # read by predict() for its unseen-element warning
        extra={"note": note, **(extra or {}),
               "validation_curve": [{"epoch": e["epoch"], "val_mae": e["val_mae"], "train_loss": e["train_loss"]}
                                    for e in history["epochs"]]},
    )
    return card.to_dict()


def _teacher_words(record: dict) -> str:
    """``crysgnn-v1 (alpha 0.5 decaying linearly to 0)`` for a card's ``distilled_from``."""
    from crysgnn_zoo.distill.schedules import alpha_words

    return f"{record['teacher']} ({alpha_words(record['alpha'], record['alpha_schedule'])})"


def _range_words(card: dict) -> str:
    """The README's paragraph on the target's physical range (empty for a target without one)."""
    rng, m = card["data"].get("range"), card["metrics"]
    if not rng:
        return ""
    u = m["unit"]
    bound = card["training"]["train_config"].get("output_bound", "clip")
    from crysgnn_zoo.ranges import TargetRange

    how = "softplus output bound, trained as such" if bound == "softplus" else "clipped"
    text = f"Predictions are kept in {TargetRange.from_json(rng)} {u} ({how}"
    within = m.get("test_in_range")
    if within:
        text += f"; test MAE as predicted {within['mae']:.4f} {u}, {within['n_clipped']} of {within['n']} clipped"
    text += ")."
    parts = m.get("test_by_part") or {}
    if parts:
        text += " Test MAE by part: " + "; ".join(f"{k} {v['mae']:.4f} {u} ({v['n']} crystals)" for k, v in parts.items()) + "."
    return text + "\n\n"


def readme(card: dict) -> str:
    """The release's README.md, from its card."""
    d, m, t = card["data"], card["metrics"], card["training"]
    u = m["unit"]
    teacher = f"distilled from {_teacher_words(t['distilled_from'])}" if t["distilled_from"] else \
        "trained without distillation"
    return f"""# {card['name']}

{card['architecture'].upper()} predicting {d['target']} ({u}) of a crystal, trained on {d['dataset']}
(content fingerprint `{d['fingerprint']}`; {d['source']}), {teacher}.

Split seed {d['split_seed']}, hash `{d['split_hash']}`, {d['split_sizes'][0]}/{d['split_sizes'][1]}/{d['split_sizes'][2]}
train/validation/test crystals. {t['epochs_run']} epochs ({t['seconds_per_epoch']:.0f} s/epoch on 2 CPU cores shared with other jobs), weights of
epoch {t['best_epoch']} (lowest validation MAE).

| test MAE | test RMSE | test R2 | mean-predictor MAE |
|---|---|---|---|
| {m['test']['mae']:.4f} {u} | {m['test']['rmse']:.4f} {u} | {m['test']['r2']:.3f} | {m['mean_predictor_mae']:.4f} {u} |

{_range_words(card)}    crysgnn-zoo predict --model {card['name']} structure.cif

Command: `{card['command']}`. Licence: {card['license']}.
SHA-256 of weights.pt: `{card['sha256']}`. Full record: `card.json`.
"""


def plot_curve(card: dict, path: Path) -> Path:
    """Validation MAE per epoch of a released model, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = card["extra"]["validation_curve"]
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot([e["epoch"] + 1 for e in curve], [e["val_mae"] for e in curve], lw=1.5)
    best = card["training"]["best_epoch"]
    ax.axvline(best + 1, color="grey", ls=":", lw=1, label=f"kept: epoch {best + 1}")
    ax.set(xlabel="epoch", ylabel=f"validation MAE ({card['metrics']['unit']})", yscale="log")
    ax.set_title(f"{card['name']}: test MAE {card['metrics']['test']['mae']:.4g} {card['metrics']['unit']}", fontsize=9)
    ax.legend(frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def release(run: Path, name: str, command: str, license_: str, weights_root: Path, dist: Path,
            table: Path | None = None, plots: Path | None = None, note: str = "", data_note: str = "",
            extra: dict | None = None, readme_extra: str = "") -> Path:
    """Write ``weights_root/<name>/`` and ``dist/<name>.tar.gz`` and record both hashes (and the
    validation curve as ``plots/<name>.png``); returns the folder. ``extra`` joins the card's
    ``extra``; ``readme_extra`` is a paragraph added to its README."""
    from crysgnn_zoo.hub.release import RELEASE_TABLE, pack, record

    card = build_card(run, name, command, license_, note, data_note, extra)
    dest = weights_root / name
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for f in ("config.json", "weights.pt"):
        shutil.copy2(run / "checkpoint" / f, dest / f)
    (dest / "card.json").write_text(json.dumps(card, indent=1))
    (dest / "README.md").write_text(readme(card) + (f"\n{readme_extra}\n" if readme_extra else ""))
    archive = pack(dest, name, dist / f"{name}.tar.gz")
    record(name, archive, card["sha256"], table or RELEASE_TABLE, config_sha256=card["config_sha256"])
    if plots is not None:
        plot_curve(card, plots / f"{name}.png")
    return dest


def markdown_table(weights_root: Path) -> str:
    """The README's table of released property models, from their cards."""
    rows = ["| model | data set, target | split (seed, hash) | test MAE | mean predictor | distilled from | paper, full data |",
            "|---|---|---|---|---|---|---|"]
    for folder in sorted(p for p in weights_root.iterdir() if (p / "card.json").exists()):
        card = json.loads((folder / "card.json").read_text())
        if "test" not in card.get("metrics", {}):
            continue
        d, m, t = card["data"], card["metrics"], card["training"]
        paper = m.get("paper")
        label = f", analog of {paper['row']}" if paper and d.get("analog") else ""
        paper_txt = "-" if not paper else (f"{paper['distilled']} (distilled)" if t["distilled_from"]
                                           else f"{paper['vanilla']} (vanilla)")
        sizes = "/".join(map(str, d["split_sizes"]))
        teacher = _teacher_words(t["distilled_from"]) if t["distilled_from"] else "-"
        rows.append(f"| `{card['name']}` | {d['dataset']} {d['target']}{label} | {sizes} ({d['split_seed']}, "
                    f"{d['split_hash']}) | {m['test']['mae']:.4g} {m['unit']} | {m['mean_predictor_mae']:.4g} | "
                    f"{teacher} | {paper_txt} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="a train_model run folder (result.json, checkpoint/)")
    ap.add_argument("--name", help="release name, e.g. cgcnn-mp37k-formation-energy")
    ap.add_argument("--command", help="the command that trained it")
    ap.add_argument("--license", default="MIT (weights); training data: Materials Project, CC BY 4.0")
    ap.add_argument("--table", action="store_true", help="print the README's table of released models and exit")
    ap.add_argument("--note", default="", help="why this run was chosen (e.g. over a distilled run, on validation)")
    ap.add_argument("--into-package", action="store_true",
                    help="write into models/, dist/, docs/models/ and the package's release table (default: runs/releases/)")
    args = ap.parse_args()
    if args.table:
        print(markdown_table(ROOT / "models" / "crysgnn_zoo_weights"))
        return
    if not (args.run and args.name and args.command):
        ap.error("--run, --name and --command are required to release")
    if not (Path(args.run) / "result.json").exists():
        ap.error(f"--run {args.run}: no finished run there (a train_model run folder holds result.json)")
    if args.into_package:
        dest = release(Path(args.run), args.name, args.command, args.license, ROOT / "models" / "crysgnn_zoo_weights",
                       ROOT / "dist", plots=ROOT / "docs" / "models", note=args.note)
    else:
        mine = Path("runs/releases")
        dest = release(Path(args.run), args.name, args.command, args.license, mine / "weights", mine / "dist",
                       table=mine / "releases.json", plots=mine / "plots", note=args.note)
    card = json.loads((dest / "card.json").read_text())
    print(f"released {args.name}: {dest} (sha256 {card['sha256'][:16]}...), test MAE "
          f"{card['metrics']['test']['mae']:.4f} {card['metrics']['unit']}")


if __name__ == "__main__":
    main()
