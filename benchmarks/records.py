"""One machine-readable record per experiment: ``runs.jsonl`` beside its ``table.md`` and ``plot.png``.

A results folder of the runner (``benchmarks.run --out DIR``) keeps one JSON-lines file: its
first line describes the experiment (``"record": "experiment"``: data, profile, budget,
distillation settings, machine), every further line one finished run (``"record": "run"``):
its result (split seed, sizes and hash, test and validation metrics, timings, environment),
the ``run_config`` it was trained from, the student's ``model_config``, the ``split``
(seed, sizes, hash; the ids follow from the seed and are checked by the hash) and the
per-epoch ``history``. The run folders themselves (checkpoints, resume state) live outside
git, under ``runs/``.

    import pandas as pd
    frame = pd.read_json("benchmarks/results/perov_5/runs.jsonl", lines=True)
    runs = frame[frame.record == "run"]
"""
from __future__ import annotations

import json
from pathlib import Path

RECORDS = "runs.jsonl"


def run_key(run: dict) -> tuple[str, str, str, int]:
    """``(target, model, mode, seed)``: what makes a run unique inside one experiment."""
    return run["target"], run["model"], run["mode"], int(run["seed"])


def read_records(folder: Path) -> tuple[dict | None, list[dict]]:
    """``(experiment, runs)`` of a results folder (``(None, [])`` when it has no records).

    Raises:
        ValueError: a line is not JSON, naming the file and line.
    """
    path = Path(folder) / RECORDS
    if not path.exists():
        return None, []
    experiment, runs = None, []
    for k, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}, line {k}: not JSON ({exc.msg})") from None
        kind = item.pop("record", None)
        if kind == "experiment":
            experiment = item
        elif kind == "run":
            runs.append(item)
    return experiment, runs


def write_records(folder: Path, experiment: dict, runs: list[dict]) -> Path:
    """Write ``runs.jsonl``: the experiment line, then the runs sorted by :func:`run_key`;
    written to a temporary file first, so an interrupted write leaves the old file whole."""
    path = Path(folder) / RECORDS
    lines = [json.dumps({"record": "experiment", **experiment})]
    lines += [json.dumps({"record": "run", **r}) for r in sorted(runs, key=run_key)]
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)
    return path


def run_record(folder: Path, result: dict) -> dict:
    """The record of one finished run folder: ``result`` (its ``result.json``) with the files
    that decide and describe it (``run.json``, ``checkpoint/config.json``, ``split.json``
    without the ids, ``history.json``) folded in; files an older run did not write are left out."""
    folder = Path(folder)
    record = dict(result)
    for key, name in (("run_config", "run.json"), ("model_config", "checkpoint/config.json"),
                      ("history", "history.json")):
        if (folder / name).exists():
            record[key] = json.loads((folder / name).read_text())
    if (folder / "split.json").exists():
        split = json.loads((folder / "split.json").read_text())
        record["split"] = {k: split[k] for k in ("seed", "sizes", "hash") if k in split}
    return record
