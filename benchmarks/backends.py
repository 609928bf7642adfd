"""The two message-passing backends side by side: equal results, and speed on a device.

    python -m benchmarks.backends speed [--device cpu] [--models cgcnn,crysxpp,gatgnn,alignn]
    python -m benchmarks.backends equal [--device cpu] [--releases all|sample]

``speed``: for each student and each backend (``dgl`` only on the CPU), a 3-epoch training run on
the 3,000-crystal mp_37k split of the peers benchmark (2,400/300/300, seed 0,
formation_energy_per_atom, batch 64, the student's recipe): median seconds per epoch (training and
validation), peak GPU memory on a GPU; and prediction throughput of the trained model on the 3,000
crystals (crystals per second, batch 256). On the CPU, ALIGNN (~500 s per epoch there) runs one
epoch on the first 320 training and 64 validation crystals of the split and predicts 384 crystals
(``--small alignn``). Graphs come from the cache (built once, not timed).
Results: ``benchmarks/results/backends/speed_<device>.json`` and ``.md``.

``equal``: the largest relative difference between the reference (CPU, DGL) and the device's torch
backend for every network's outputs on a fixed batch, and for every release's predictions on its
own test crystals (``--releases sample``: on the embedded sample's crystals instead, seconds).
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

RESULTS = Path(__file__).resolve().parent / "results" / "backends"
STUDENTS = ("cgcnn", "crysxpp", "gatgnn", "alignn")
#: the networks of the output check, each at its default size (config overrides by name)
NETWORKS = {"cgcnn": {}, "crysxpp": {}, "gatgnn": {}, "crysgnn": {}, "alignn": {}}


def machine(device: str) -> str:
    import os

    where = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else "CPU"
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} torch threads, {where}"


def mp_split(n: int = 3000, sizes: tuple[int, int, int] = (2400, 300, 300), seed: int = 0):
    """``(store, split, y)``: the peers benchmark's draw of mp_37k, graphs from the cache."""
    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.graphs.select import checked_split, labelled_graphs

    source = open_source("mp_37k")
    _, store, _ = labelled_graphs(source, GraphConfig(), "formation_energy_per_atom", n, seed, None, False,
                                  frozenset())
    split = checked_split(store, sizes, seed, source.name, "formation_energy_per_atom")
    return store, split, store.target("formation_energy_per_atom")


def epoch_speed(model_name: str, backend: str, device: str, data, epochs: int = 3, precision: str = "fp32",
                small: bool = False) -> dict:
    """Median s/epoch of a seeded run and the trained model's prediction throughput (``small``: one
    epoch on 320 training and 64 validation crystals, prediction of those 384)."""
    from crysgnn_zoo.config import TrainConfig
    from crysgnn_zoo.factory import get_model
    from crysgnn_zoo.graphs.loader import GraphLoader
    from crysgnn_zoo.train.recipes import recipe
    from crysgnn_zoo.train.trainer import Trainer

    store, split, y = data
    train, val = (split.train[:320], split.val[:64]) if small else (split.train, split.val)
    epochs = 1 if small else epochs
    torch.manual_seed(0)
    model = get_model(model_name)
    kw = {"with_vectors": getattr(model, "needs_vectors", False), "backend": backend}
    config = TrainConfig(epochs=epochs, patience=None, backend=backend, precision=precision, **recipe(model_name))
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    trainer = Trainer(model, config, device=device, progress=False)
    history = trainer.fit(GraphLoader(store, train, y, 64, shuffle=True, **kw), GraphLoader(store, val, y, 256, **kw))
    predicted = np.concatenate([train, val]) if small else np.arange(len(store))
    t0 = time.perf_counter()
    trainer.predict(GraphLoader(store, predicted, y, 256, **kw))
    predict_seconds = time.perf_counter() - t0
    return {"model": model_name, "backend": backend, "device": device, "precision": precision,
            "train_crystals": len(train), "val_crystals": len(val), "epochs": epochs,
            "seconds_per_epoch": statistics.median(e["seconds"] for e in history.epochs),
            "epoch_seconds": [e["seconds"] for e in history.epochs],
            "val_mae": history.epochs[-1]["val_mae"],
            "predict_crystals_per_second": len(predicted) / predict_seconds,
            "peak_gpu_gib": torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None}


def speed(device: str, models: list[str], small: tuple[str, ...] = ()) -> list[dict]:
    data = mp_split()
    backends = ("dgl", "torch") if device == "cpu" else ("torch",)
    rows = []
    for model_name in models:
        for backend in backends:  # interleaved, so slow drift of the machine hits both alike
            row = epoch_speed(model_name, backend, device, data, small=model_name in small)
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def speed_table(rows: list[dict], device: str) -> str:
    lines = [f"Machine: {machine(device)}; mp_37k 3,000 crystals (2,400/300/300, seed 0), batch 64.", "",
             "| student | backend | training / validation crystals, epochs | s/epoch (median) | predict, crystals/s "
             "| peak GPU memory (GiB) |", "|---|---|---|---|---|---|"]
    for r in rows:
        gpu = f"{r['peak_gpu_gib']:.2f}" if r["peak_gpu_gib"] is not None else "-"
        lines.append(f"| {r['model']} | {r['backend']} | {r['train_crystals']:,} / {r['val_crystals']}, {r['epochs']} | "
                     f"{r['seconds_per_epoch']:.2f} | {r['predict_crystals_per_second']:.0f} | {gpu} |")
    return "\n".join(lines) + "\n"


def _network_outputs(name: str, g, device: str) -> torch.Tensor:
    from crysgnn_zoo.factory import get_model

    torch.manual_seed(0)
    model = get_model(name, **NETWORKS[name]).eval().to(device)
    with torch.no_grad():
        return model(g.to(device) if device != "cpu" else g).float().cpu()


def rel_diff(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-12))


def equal_networks(device: str) -> dict[str, float]:
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.graphs.build import build_store
    from crysgnn_zoo.graphs.collate import collate

    store = build_store(open_source("mp_37k_sample"), GraphConfig(), progress=False).store
    index = np.arange(64)
    out = {}
    for name in NETWORKS:
        vec = name == "alignn"
        ref = _network_outputs(name, collate(store, index, with_vectors=vec, backend="dgl"), "cpu")
        new = _network_outputs(name, collate(store, index, with_vectors=vec, backend="torch"), device)
        out[name] = rel_diff(ref, new)
    return out


def equal_releases(device: str, own_test: bool) -> dict[str, dict]:
    """Per release: crystals compared and the largest relative difference of the predictions."""
    import importlib.util

    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.errors import CrysgnnZooError
    from crysgnn_zoo.graphs.build import build_store
    from crysgnn_zoo.hub.resolve import load_released, released_models

    sample = None
    out = {}
    for card in released_models():
        if not (card.get("data") or {}).get("target"):
            continue  # an encoder: its embeddings are compared in equal_networks' crysgnn row
        if own_test:
            spec = importlib.util.spec_from_file_location(
                "release_ranges", Path(__file__).resolve().parents[1] / "scripts" / "release_ranges.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            try:
                store, split = module.release_split(card)
            except (CrysgnnZooError, SystemExit) as exc:  # e.g. a data set written by a benchmark
                out[card["name"]] = {"skipped": str(exc)}
                continue
            store = store.subset(split.test)
        else:
            sample = sample or build_store(open_source("mp_37k_sample"), GraphConfig(), progress=False).store
            store = sample
        preds = {}
        for dev, backend in (("cpu", "dgl"), (device, "torch")):
            predictor = load_released(card["name"], device=dev)
            predictor.model.to(dev)
            preds[backend] = _predict(predictor, store, dev, backend)
        out[card["name"]] = {"crystals": len(store), "rel_diff": rel_diff(preds["dgl"], preds["torch"])}
    return out


def _predict(predictor, store, device: str, backend: str) -> np.ndarray:
    from crysgnn_zoo.graphs.loader import GraphLoader

    loader = GraphLoader(store, np.arange(len(store)), None, 256, backend=backend,
                         with_vectors=getattr(predictor.model, "needs_vectors", False))
    model = predictor.model.eval()
    with torch.no_grad():
        return np.concatenate([model(g.to(device) if device != "cpu" else g)[:, 0].float().cpu().numpy()
                               for g, _, _ in loader])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=("speed", "equal"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--models", default=",".join(STUDENTS))
    ap.add_argument("--small", default="alignn", help="speed: students measured on the small subset (comma-separated; "
                                                      "'' for none)")
    ap.add_argument("--releases", choices=("all", "sample"), default="all",
                    help="equal: each release's own test crystals (all) or the embedded sample's crystals")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    tag = args.device.replace(":", "")
    if args.stage == "speed":
        rows = speed(args.device, args.models.split(","), tuple(filter(None, args.small.split(","))))
        table = speed_table(rows, args.device)
        (args.out / f"speed_{tag}.json").write_text(json.dumps({"machine": machine(args.device), "rows": rows}, indent=1))
        (args.out / f"speed_{tag}.md").write_text(table)
        print(table)
        return 0
    record = {"machine": machine(args.device), "reference": "cpu, dgl", "compared": f"{args.device}, torch",
              "networks": equal_networks(args.device), "releases": equal_releases(args.device, args.releases == "all")}
    (args.out / f"equal_{tag}.json").write_text(json.dumps(record, indent=1))
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
