"""Speed, memory and accuracy against the reference packages cgcnn2 and alignn.

    python -m benchmarks.peers [--n 3000] [--cgcnn-epochs 30] [--alignn-epochs 4] [--only cgcnn]

One seeded sample of mp_37k (default 3,000 crystals, split 2,400/300/300,
formation_energy_per_atom) is written once as a CIF folder that every
implementation reads. Each implementation trains in its own process (so peak
memory is its own) with the pair's shared recipe (``peer_runners.RECIPES``),
batch size and epochs. Reported per implementation: graph preprocessing
seconds, median seconds per epoch (train + validation), peak resident memory,
test MAE with a 95 % bootstrap interval; per pair: our/peer ratios.

Peers not installed (``pip install .[peers]``) are skipped with a message; our
models still run.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.peer_runners import RECIPES, RUNNERS, peak_rss_gib, read_sample

RESULTS = Path("runs") / "results" / "peers"  # benchmarks/results/peers holds the committed results


def write_sample(out: Path, n: int, sizes: tuple[int, int, int], seed: int, dataset: str = "mp_37k",
                 target: str = "formation_energy_per_atom") -> Path:
    """Draw ``n`` crystals of ``dataset`` (seeded) into ``out/cif`` with a seeded split."""
    from crysgnn_zoo.data.sources import dataset_source

    if (out / "split.json").exists():
        return out
    source = dataset_source(dataset)
    entries = [e for e in source.entries() if e.fmt == "cif" and np.isfinite(e.targets.get(target, np.nan))]
    pick = np.sort(np.random.default_rng(seed).choice(len(entries), n, replace=False))
    (out / "cif").mkdir(parents=True, exist_ok=True)
    rows = []
    for k in pick:
        e = entries[k]
        (out / "cif" / f"{e.id}.cif").write_text(e.payload)
        rows.append(f"{e.id},{e.targets[target]!r}")
    (out / "cif" / "id_prop.csv").write_text("\n".join(rows) + "\n")
    perm = np.random.default_rng(seed).permutation(n)
    a, b = sizes[0], sizes[0] + sizes[1]
    split = {"train": perm[:a].tolist(), "val": perm[a:b].tolist(), "test": perm[b : b + sizes[2]].tolist(),
             "seed": seed, "dataset": dataset, "target": target}
    (out / "split.json").write_text(json.dumps(split))
    return out


def bootstrap_mae(err: np.ndarray, n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of the MAE over test-set resamples."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(err), size=(n_boot, len(err)))
    means = np.abs(err)[idx].mean(1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def run_worker(name: str, folder: Path, epochs: int, batch_size: int, seed: int, out_json: Path) -> int:
    family, runner, _ = RUNNERS[name]
    t0 = time.perf_counter()
    record = runner(folder, epochs, batch_size, seed)
    record.update(name=name, family=family, epochs=epochs, batch_size=batch_size, seed=seed,
                  wall_seconds=time.perf_counter() - t0, peak_rss_gib=peak_rss_gib(),
                  threads=__import__("torch").get_num_threads())
    out_json.write_text(json.dumps(record))
    return 0


def summarise(record: dict, y_test: np.ndarray) -> dict:
    err = np.asarray(record["test_pred"]) - y_test
    secs = [e["seconds"] for e in record["history"]]
    lo, hi = bootstrap_mae(err)
    return {"name": record["name"], "family": record["family"], "epochs": record["epochs"],
            "prep_seconds": record["prep_seconds"], "seconds_per_epoch": float(np.median(secs)),
            "peak_rss_gib": record["peak_rss_gib"], "test_mae": float(np.abs(err).mean()),
            "mae_ci95": [lo, hi], "n_params": record["n_params"], "wall_seconds": record["wall_seconds"]}


def write_outputs(rows: list[dict], meta: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    by = {r["name"]: r for r in rows}
    lines = [f"# Peers: {meta['sample']}", "", f"Machine: {meta['machine']}. {meta['recipes']}", "",
             "| implementation | params | epochs | graphs s | s/epoch | peak GiB | test MAE (eV/atom) [95% CI] |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lo, hi = r["mae_ci95"]
        lines.append(f"| {r['name']} | {r['n_params']:,} | {r['epochs']} | {r['prep_seconds']:.1f} | "
                     f"{r['seconds_per_epoch']:.1f} | {r['peak_rss_gib']:.2f} | {r['test_mae']:.4f} [{lo:.4f}, {hi:.4f}] |")
    ratios = []
    for ours, peer in (("crysgnn-zoo CGCNN", "cgcnn2"), ("crysgnn-zoo ALIGNN", "alignn"),
                       ("crysgnn-zoo ALIGNN bf16", "alignn"), ("crysgnn-zoo ALIGNN fast", "alignn")):
        if ours in by and peer in by:
            a, b = by[ours], by[peer]
            ratios.append({"ours": ours, "peer": peer,
                           "seconds_per_epoch": a["seconds_per_epoch"] / b["seconds_per_epoch"],
                           "peak_memory": a["peak_rss_gib"] / b["peak_rss_gib"],
                           "test_mae": a["test_mae"] / b["test_mae"],
                           "prep_seconds": a["prep_seconds"] / b["prep_seconds"]})
    if ratios:
        lines += ["", "| ours / peer | s/epoch | peak memory | test MAE | graph preprocessing |", "|---|---|---|---|---|"]
        for q in ratios:
            lines.append(f"| {q['ours']} / {q['peer']} | {q['seconds_per_epoch']:.2f} | {q['peak_memory']:.2f} | "
                         f"{q['test_mae']:.2f} | {q['prep_seconds']:.2f} |")
    lines += [""] + [f"- {r['name']}: {r['description']}" for r in rows if r.get("description")]
    for note in meta.get("notes", []):
        lines += ["", note]
    (out / "table.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(json.dumps({"meta": meta, "rows": rows, "ratios": ratios}, indent=1))
    _plot(rows, out / "plot.png")


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    names = [r["name"] for r in rows]
    colors = ["tab:blue" if n.startswith("crysgnn-zoo") else "tab:gray" for n in names]
    for ax, key, label in ((axes[0], "seconds_per_epoch", "seconds per epoch"),
                           (axes[1], "peak_rss_gib", "peak memory (GiB)")):
        ax.barh(names, [r[key] for r in rows], color=colors)
        ax.set_xlabel(label)
        ax.set_xscale("log")
    mae = np.array([r["test_mae"] for r in rows])
    ci = np.array([r["mae_ci95"] for r in rows])
    axes[2].barh(names, mae, xerr=[mae - ci[:, 0], ci[:, 1] - mae], color=colors, capsize=3)
    axes[2].set_xlabel("test MAE (eV/atom), 95% bootstrap CI")
    for ax in axes[1:]:
        ax.set_yticklabels([])
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=3000, help="crystals drawn from mp_37k")
    p.add_argument("--split", default="2400,300,300")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dataset", default="mp_37k", help="named set with formation_energy_per_atom")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--cgcnn-epochs", type=int, default=30)
    p.add_argument("--alignn-epochs", type=int, default=4)
    p.add_argument("--only", choices=["cgcnn", "alignn"], help="run one pair")
    p.add_argument("--skip", default="", help="comma-separated implementation names not to run")
    p.add_argument("--sample-dir", type=Path, default=Path("runs/peers_sample"))
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--worker-epochs", type=int, help=argparse.SUPPRESS)
    p.add_argument("--worker-json", type=Path, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        return run_worker(args.worker, args.sample_dir, args.worker_epochs, args.batch_size, args.seed, args.worker_json)

    sizes = tuple(int(v) for v in args.split.split(","))
    if sum(sizes) > args.n:
        print(f"error: --split {args.split} needs {sum(sizes)} crystals, --n is {args.n}", file=sys.stderr)
        return 2
    folder = write_sample(args.sample_dir / f"{args.dataset}_n{args.n}_seed{args.seed}", args.n, sizes, args.seed,
                          dataset=args.dataset)
    _, y, split = read_sample(folder)
    y_test = y[split["test"]]
    epochs = {"cgcnn": args.cgcnn_epochs, "alignn": args.alignn_epochs}
    notes, rows = [], []
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (family, _, package) in RUNNERS.items():
        raw = args.out / f"run_{name.replace(' ', '_')}.json"  # finished implementations are not re-run
        selected = not (args.only and family != args.only) and name not in args.skip.split(",")
        if selected and not raw.exists():
            if package and importlib.util.find_spec(package) is None:
                msg = f"{name}: not installed (pip install '.[peers]'), so only our implementation ran for {family}"
                print(msg)
                notes.append(msg)
                continue
            cmd = [sys.executable, "-m", "benchmarks.peers", "--worker", name, "--worker-epochs", str(epochs[family]),
                   "--worker-json", str(raw), "--sample-dir", str(folder), "--batch-size", str(args.batch_size),
                   "--seed", str(args.seed)]
            print(f"== {name}: {epochs[family]} epochs")
            if subprocess.run(cmd).returncode != 0:
                print(f"error: {name} failed", file=sys.stderr)
                return 1
        if raw.exists():
            rows.append(summarise(json.loads(raw.read_text()), y_test))
            rows[-1]["description"] = " ".join((RUNNERS[name][1].__doc__ or "").split())
    meta = {
        "sample": f"{args.dataset}, {args.n} crystals drawn with numpy default_rng({args.seed}), split "
                  f"{'/'.join(map(str, sizes))} (seed {args.seed}), formation_energy_per_atom, batch {args.batch_size}",
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, CPU only",
        "recipes": "Recipes per pair: " + "; ".join(f"{k}: {v.optimizer} lr {v.lr} wd {v.weight_decay} "
                                                    f"scheduler {v.scheduler}" for k, v in RECIPES.items()) +
                   ". Targets standardised with the training mean/std; best-validation weights tested.",
        "notes": notes, "epochs": epochs,
    }
    write_outputs(rows, meta, args.out)
    print((args.out / "table.md").read_text())
    return 0


if __name__ == "__main__":
    from benchmarks import run_main

    run_main(main)
