"""The CrysGNN paper's third claim, measured: does distillation bring predictions of measured
formation enthalpies closer to experiment than DFT itself?

    python -m benchmarks.expt_bias mp                      # CGCNN on MP DFT (mp_37k without mp_expt_hf), vanilla and distilled
    python -m benchmarks.expt_bias expt --seeds 0,1,2,3,4  # every line below, on seeded splits of the measured set
    python -m benchmarks.expt_bias table                   # table.md, parity.png, plot.png
    python -m benchmarks.expt_bias release --line 'ft(mp-distilled)'   # the released model (seed 0's run)

Data: ``mp_expt_hf`` (1,207 measured formation enthalpies at 298 K with the MP structure of the
same crystal), restricted to the 1,198 crystals that also have an MP DFT formation energy, so every
line is scored on the same crystals; split 80/10/10 per seed (the test ids are in the records).
Lines, each scored by its MAE against experiment on the test crystals:

- ``dft``: the MP DFT formation energy itself;
- ``mp-vanilla`` / ``mp-distilled``: CGCNN trained on MP DFT formation energies of ``mp_37k``
  with every ``mp_expt_hf`` crystal left out (``RunConfig.exclude``), predicting directly;
  distilled from crysgnn-v1 with the size rule lifted (``--max-train-crystals none
  --teacher-crystals none``), since the claim is about distillation;
- ``ft(<start>)`` / ``ft(<start>)+distill``: those two fine-tuned on the experimental training
  split (``init``), without and with distillation during fine-tuning;
- ``scratch`` / ``scratch+distill``: CGCNN on the experimental training split alone;
- ``correction`` / ``correction+distill``: CGCNN learning experiment minus DFT, added to DFT;
- ``features(<teacher>)`` (and ``+dft`` for the correction): a frozen teacher's crystal
  embeddings and a regressor chosen on validation (:mod:`benchmarks.features`). CHGNet saw MP
  DFT energies (MPtrj), not these measurements.

Every trained line shares CGCNN's recipe (Adam, cosine schedule, batch 64) and epoch budget; a
line's learning rate comes from ``LINES`` (fine-tuning at 1e-3, and at CGCNN's 5e-3 as ``@5e-3``,
the rate chosen on validation); the epoch kept is the best on validation.
Run folders live under ``runs/expt_bias`` (outside git; resumable); records, tables and plots
under ``benchmarks/results/expt_bias``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "expt_bias"
RUNS = RESULTS.parents[2] / "runs" / "expt_bias"
EXPT, DFT, DELTA = "expt_formation_enthalpy", "dft_formation_energy", "expt_minus_dft"
MP_TARGET = "formation_energy_per_atom"
MP_EPOCHS = 25
MP_SPLIT = (0.9, 0.05, 0.05)
EXPT_SPLIT = (0.8, 0.1, 0.1)
EXPT_EPOCHS = 40
TEACHERS = ("crysgnn-v1", "chgnet-0.3.0")
LIFTED = {"max_train_crystals": None, "teacher_crystals": None}


@dataclass(frozen=True)
class Line:
    """One trained line of the table: what it learns, where it starts, whether it distils."""

    name: str
    target: str = EXPT
    init: str | None = None          # "mp-vanilla" / "mp-distilled": that MP run's checkpoint
    distill: bool = False
    lr: float | None = None          # None: CGCNN's recipe
    extra: dict = field(default_factory=dict)


LINES = (
    Line("scratch"), Line("scratch+distill", distill=True),
    Line("correction", target=DELTA), Line("correction+distill", target=DELTA, distill=True),
    Line("ft(mp-vanilla)", init="mp-vanilla", lr=1e-3),
    Line("ft(mp-vanilla)+distill", init="mp-vanilla", distill=True, lr=1e-3),
    Line("ft(mp-distilled)", init="mp-distilled", lr=1e-3),
    Line("ft(mp-distilled)+distill", init="mp-distilled", distill=True, lr=1e-3),
    Line("ft(mp-vanilla)@5e-3", init="mp-vanilla", lr=5e-3),
    Line("ft(mp-distilled)@5e-3", init="mp-distilled", lr=5e-3),
)


def measured_csv(folder: Path = RUNS / "data") -> Path:
    """The measured set's crystals with both values, plus ``expt_minus_dft`` (eV/atom), as a CSV
    under the runs folder (derived from ``mp_expt_hf`` each time; never committed)."""
    import pandas as pd

    from crysgnn_zoo.data.sources import dataset_source

    source = dataset_source("mp_expt_hf")
    frame = pd.read_csv(source.files[0])
    frame = frame[np.isfinite(frame[EXPT]) & np.isfinite(frame[DFT])]
    frame = frame.assign(**{DELTA: frame[EXPT] - frame[DFT]})[["material_id", "cif", EXPT, DFT, DELTA]]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mp_expt_hf_both.csv"
    text = frame.to_csv(index=False)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def _train(out: Path, **fields) -> dict:
    from crysgnn_zoo.train.run import train_model

    if (out / "result.json").exists():
        return json.loads((out / "result.json").read_text())
    result = train_model(out_dir=out, resume=(out / "split.json").exists(), progress=False, **fields)
    return result.to_dict()


def train_config(epochs: int, seed: int, lr: float | None = None):
    from benchmarks.protocol import PROFILES, train_config as profile_config

    cfg = profile_config(PROFILES["paper"], "cgcnn", seed, epochs)
    return cfg.replace(lr=lr) if lr is not None else cfg


def stage_mp(epochs: int = MP_EPOCHS, modes: tuple[str, ...] = ("vanilla", "distilled")) -> None:
    """CGCNN on MP DFT formation energies without the measured set's crystals (seed 0)."""
    from crysgnn_zoo.config import DistillConfig

    for mode in modes:
        t0 = time.perf_counter()
        distill = DistillConfig(**LIFTED) if mode == "distilled" else None
        r = _train(RUNS / "mp" / mode, data="mp_37k", target=MP_TARGET, model="cgcnn", exclude="mp_expt_hf",
                   split_sizes=MP_SPLIT, split_seed=0, train_config=train_config(epochs, 0), distill=distill)
        print(f"mp {mode}: val {r['extra']['val']['mae']:.4f} test {r['test']['mae']:.4f} eV/atom "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)


def _line_fields(line: Line, data: Path, seed: int, epochs: int) -> dict:
    from crysgnn_zoo.config import DistillConfig

    fields = dict(data=str(data), target=line.target, model=None if line.init else "cgcnn",
                  split_sizes=EXPT_SPLIT, split_seed=seed, train_config=train_config(epochs, seed, line.lr),
                  distill=DistillConfig() if line.distill else None, **line.extra)
    if line.init:
        fields["init"] = str(RUNS / "mp" / line.init.split("-", 1)[1] / "checkpoint")
    return fields


def predictions(checkpoint: Path, store) -> np.ndarray:
    """A checkpoint's predictions (as ``predict`` returns them) for every crystal of ``store``."""
    from crysgnn_zoo.predict import load_model

    return load_model(checkpoint).predict_in_range(store)[0].astype(np.float64)


def stage_expt(seeds: list[int], epochs: int = EXPT_EPOCHS, lines: tuple[Line, ...] = LINES) -> None:
    """Every trained line for every seed (resumable), then the records file."""
    data = measured_csv()
    for seed in seeds:
        for line in lines:
            if line.init and not (RUNS / "mp" / line.init.split("-", 1)[1] / "result.json").exists():
                print(f"seed {seed} {line.name}: skipped, run the mp stage first", flush=True)
                continue
            t0 = time.perf_counter()
            r = _train(RUNS / "expt" / f"seed{seed}" / line.name, **_line_fields(line, data, seed, epochs))
            print(f"seed {seed} {line.name}: val {r['extra']['val']['mae']:.4f} test {r['test']['mae']:.4f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    write_records(seeds)


def _split(data: Path, seed: int):
    """``(store, split)`` of one seed, as every trained line builds them."""
    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.graphs.build import build_store
    from crysgnn_zoo.graphs.select import checked_split, usable_data

    source = open_source(data)
    built = build_store(source, GraphConfig(), progress=False)
    store, _ = usable_data(source, built, EXPT, None, seed)
    return store, checked_split(store, EXPT_SPLIT, seed, source.name, EXPT)


def scores(pred: np.ndarray, truth: np.ndarray) -> dict:
    """MAE, RMSE and R2 of ``pred`` against ``truth`` (eV/atom)."""
    err = pred - truth
    r2 = 1.0 - float((err ** 2).sum() / ((truth - truth.mean()) ** 2).sum())
    return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err ** 2).mean())), "r2": r2}


def _features(teachers: tuple[str, ...], store, split, seed: int) -> dict[str, np.ndarray]:
    """Features-baseline predictions on every crystal of ``store``: direct and as a correction."""
    from benchmarks.features import boosted_trees, ridge
    from crysgnn_zoo.embed import crystal_embeddings, load_encoder

    out = {}
    for teacher in teachers:
        x = _embeddings(teacher, store, crystal_embeddings, load_encoder)
        for suffix, target, offset in (("", EXPT, 0.0), ("+dft", DELTA, store.target(DFT))):
            y = store.target(target)
            fits = {"ridge": ridge(x, y, split, keep=True), "trees": boosted_trees(x, y, split, seed, keep=True)}
            chosen = min(fits, key=lambda k: fits[k]["val_mae"])
            out[f"features({teacher}){suffix}"] = fits[chosen]["model"].predict(x) + offset
    return out


_EMBEDDINGS: dict[tuple[str, str], np.ndarray] = {}


def _embeddings(teacher: str, store, crystal_embeddings, load_model) -> np.ndarray:
    """A teacher's crystal embeddings of ``store``, computed once per teacher and set of crystals
    (every seed splits the same store)."""
    key = (teacher, str(hash(tuple(store.ids.tolist()))))
    if key not in _EMBEDDINGS:
        _EMBEDDINGS[key] = crystal_embeddings(load_model(teacher), store)
    return _EMBEDDINGS[key]


def seed_record(seed: int, data: Path, teachers: tuple[str, ...]) -> dict:
    """Every line's predictions and scores on one seed's validation and test crystals."""
    store, split = _split(data, seed)
    ids, truth, dft = store.ids, store.target(EXPT), store.target(DFT)
    preds: dict[str, np.ndarray] = {"dft": dft}
    for mode in ("vanilla", "distilled"):
        ckpt = RUNS / "mp" / mode / "checkpoint"
        if ckpt.exists():
            preds[f"mp-{mode}"] = predictions(ckpt, store)
    for line in LINES:
        folder = RUNS / "expt" / f"seed{seed}" / line.name
        if (folder / "result.json").exists():
            p = predictions(folder / "checkpoint", store)
            preds[line.name] = p + dft if line.target == DELTA else p
    preds.update(_features(teachers, store, split, seed))
    lines = {name: {part: scores(p[getattr(split, part)], truth[getattr(split, part)]) for part in ("val", "test")}
             for name, p in preds.items()}
    return {"seed": seed, "split": {"sizes": list(split.sizes), "hash": split.hash,
                                    "test_ids": ids[split.test].tolist()},
            "lines": lines, "test_predictions": {k: v[split.test].round(5).tolist() for k, v in preds.items()},
            "test_truth": truth[split.test].round(5).tolist()}


def write_records(seeds: list[int], teachers: tuple[str, ...] = TEACHERS) -> Path:
    """``runs.jsonl`` under the results folder: the experiment line, then one line per seed."""
    from crysgnn_zoo.train.recipes import recipe

    data = measured_csv()
    experiment = {"data": "mp_expt_hf (crystals with both values)", "split": list(EXPT_SPLIT),
                  "mp_split": list(MP_SPLIT), "mp_epochs": MP_EPOCHS, "expt_epochs": EXPT_EPOCHS,
                  "recipe": recipe("cgcnn"), "lines": [line.__dict__ | {"extra": line.extra} for line in LINES],
                  "mp_runs": {m: _mp_summary(m) for m in ("vanilla", "distilled")}}
    records = [seed_record(s, data, teachers) for s in seeds]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "runs.jsonl"
    lines = [json.dumps({"record": "experiment", **experiment})] + [json.dumps({"record": "seed", **r}) for r in records]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)
    return path


def _mp_summary(mode: str) -> dict | None:
    path = RUNS / "mp" / mode / "result.json"
    if not path.exists():
        return None
    r = json.loads(path.read_text())
    return {k: r[k] for k in ("split_seed", "split_hash", "split_sizes", "best_epoch", "epochs_run", "graphs")} | {
        "val": r["extra"]["val"], "test": r["test"], "distill": r["extra"].get("distill")}


RELEASE = "cgcnn-expt-formation-enthalpy"


def release(line: str, seed: int = 0) -> Path:
    """Release line ``line``'s run of ``seed`` as :data:`RELEASE` into ``models/`` (card: its data,
    split and test ids, test MAE against experiment and DFT's on the same crystals)."""
    import importlib.util

    root = RESULTS.parents[2]
    spec = importlib.util.spec_from_file_location("release_model", root / "scripts" / "release_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    chosen = next(l for l in LINES if l.name == line)
    if chosen.target != EXPT:
        raise SystemExit(f"{line} predicts {chosen.target}; the release predicts {EXPT} from the structure alone")
    record = next(r for r in _read_seeds() if r["seed"] == seed)
    dft = record["lines"]["dft"]["test"]
    extra = {"test_ids": record["split"]["test_ids"], "dft_test_mae": dft["mae"], "dft_test_r2": dft["r2"],
             "line": line, "seed": seed, "lines_test_mae": {k: v["test"]["mae"] for k, v in record["lines"].items()}}
    note = (f"the `{line}` line of benchmarks.expt_bias (best structure-only line on validation over seeds "
            f"{', '.join(str(r['seed']) for r in _read_seeds())}); seed {seed}'s run. DFT (MP) formation energies of the "
            f"same {len(record['split']['test_ids'])} test crystals: MAE {dft['mae']:.4f} eV/atom against experiment.")
    data_note = ("mp_expt_hf (measured formation enthalpies at 298 K shipped in pymatgen, the set of Kingsbury et "
                 "al., Phys. Rev. Materials 6, 013801 (2022), with Materials Project structures), the 1,198 crystals "
                 "with an MP DFT value too (benchmarks.expt_bias.measured_csv)")
    start = ("CGCNN trained on the MP DFT formation energies of mp_37k without the mp_expt_hf crystals"
             + (", distilled from crysgnn-v1 (size rule lifted)" if "mp-distilled" in line else "")
             + f", then fine-tuned on the measured values at lr {chosen.lr or 5e-3:g} for {EXPT_EPOCHS} epochs")
    readme_extra = (f"Start: {start}. DFT itself on the same test crystals: MAE {dft['mae']:.4f} eV/atom against "
                    "experiment. It predicts measured standard formation enthalpies (298 K) from the structure "
                    "alone; no DFT value is needed. Test ids: `card.json` (`extra.test_ids`).")
    folder = RUNS / "expt" / f"seed{seed}" / line
    dest = module.release(folder, RELEASE, f"python -m benchmarks.expt_bias expt --seeds {seed} --lines '{line}'",
                          "MIT (weights); measurements: pymatgen (MIT); structures: Materials Project, CC BY 4.0",
                          root / "models" / "crysgnn_zoo_weights", root / "dist", plots=root / "docs" / "models",
                          note=note, data_note=data_note, extra=extra, readme_extra=readme_extra)
    _calibrate_release(dest, seed, module, readme_extra)
    return dest


def _calibrate_release(dest: Path, seed: int, release_model, readme_extra: str) -> None:
    """The release's uncertainty model on its own split (seed ``seed``), its README and archive again."""
    import importlib.util

    from crysgnn_zoo.hub.calibrate import calibrate_checkpoint
    from crysgnn_zoo.hub.release import RELEASE_TABLE, pack, record

    spec = importlib.util.spec_from_file_location("release_uncertainty",
                                                  RESULTS.parents[2] / "scripts" / "release_uncertainty.py")
    words = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(words)
    from crysgnn_zoo.download import sha256_of

    config = json.loads((dest / "config.json").read_text())  # the derived CSV has no card: declare the unit
    config["unit"] = "eV/atom"
    (dest / "config.json").write_text(json.dumps(config, indent=2))
    card = json.loads((dest / "card.json").read_text())
    card["config_sha256"] = sha256_of(dest / "config.json")
    card["data"]["unit"] = card["metrics"]["unit"] = "eV/atom"
    (dest / "card.json").write_text(json.dumps(card, indent=1))
    store, split = _split(measured_csv(), seed)
    rec = calibrate_checkpoint(dest, store, split)
    card = json.loads((dest / "card.json").read_text())
    (dest / "README.md").write_text(release_model.readme(card) + f"\n{readme_extra}\n\n{words.readme_words(rec)}\n")
    archive = pack(dest, dest.name, RESULTS.parents[2] / "dist" / f"{dest.name}.tar.gz")
    record(dest.name, archive, card["sha256"], RELEASE_TABLE, config_sha256=card["config_sha256"])


def _read_seeds() -> list[dict]:
    from benchmarks.expt_table import read

    return read(RESULTS)[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=("mp", "expt", "records", "table", "release"))
    ap.add_argument("--line", help="release stage: the line to release (its seed-0 run)")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--modes", default="vanilla,distilled", help="mp stage: which MP runs")
    ap.add_argument("--lines", help="expt stage: comma-separated line names (default all)")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.stage == "mp":
        stage_mp(modes=tuple(args.modes.split(",")))
    elif args.stage == "expt":
        wanted = set(args.lines.split(",")) if args.lines else None
        stage_expt(seeds, lines=tuple(l for l in LINES if wanted is None or l.name in wanted))
    elif args.stage == "records":
        print(write_records(seeds))
    elif args.stage == "release":
        print(release(args.line))
    else:
        from benchmarks.expt_table import write_table
        print(write_table(RESULTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
