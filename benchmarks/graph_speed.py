"""Graph-building throughput against ASE's ``neighbor_list`` at the same cutoff.

    python -m benchmarks.graph_speed [--cutoff 8] [--mp-sample 2000] [--limit N]
    python -m benchmarks.graph_speed --large 1000,10000,20000   # large cells: time and peak memory
    python -m benchmarks.graph_speed --cache mp_37k [--workers 2]      # a whole data set's graph cache

Sets: ``carbon_24`` (all of it) and a seeded 2,000-crystal sample of
``mp_37k``. Structures are parsed first (not timed); then, on one core, each
method finds the periodic neighbours of every structure:

- ``ase``: ``ase.neighborlist.neighbor_list("ijdS", atoms, cutoff)``;
- ``ours (all)``: :func:`crysgnn_zoo.graphs.find_neighbors` with no cap
  (the same output as ASE: every pair within the cutoff);
- ``ours (k=12)``: the graph the models use (12 nearest within the cutoff);
- ``pymatgen``: ``Structure.get_neighbor_list`` (compiled), when installed;
- ``vesin (all)`` / ``vesin (k=12)``: the compiled cell-list search of ``vesin``
  (``pip install vesin``), when installed, alone and followed by the same nearest-12
  selection as ours (what adopting it for the cutoff search would cost).

It checks that ``ours (all)`` (and ``vesin (all)``) and ASE return identical (centre, neighbour,
bond vector) sets on every structure (bond vectors rather than image labels:
labels depend on how each code wraps atoms that sit on a cell face), and writes ``benchmarks/results/graph_speed/``
(``results.json``, ``results.md``, ``throughput.png``).

With ``--cache``: builds (or loads) the graph cache of a whole data set and prints
crystals, skipped, build seconds and throughput, bytes held by the graph store, and peak
resident memory of (a) the build (parent and workers) and (b) a fresh process that only
loads the cache, which is what every later training run pays.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from crysgnn_zoo.data.sources import open_source  # noqa: E402
from crysgnn_zoo.data.splits import subsample  # noqa: E402
from crysgnn_zoo.data.structures import parse_structure  # noqa: E402
from crysgnn_zoo.graphs.neighbors import find_neighbors, same_neighbors, wrap_fractional  # noqa: E402

RESULTS = Path("runs") / "results" / "graph_speed"  # benchmarks/results/graph_speed holds the committed results


def _load(name: str, n: int | None, seed: int):
    entries = list(open_source(name).entries())
    keep = subsample(len(entries), n, seed)
    return [parse_structure(entries[i].fmt, entries[i].payload, entries[i].where) for i in keep]


def _ase_atoms(atoms):
    from ase import Atoms

    a = Atoms(numbers=atoms.atomic_numbers, cell=atoms.lattice_mat, pbc=True)
    a.set_scaled_positions(wrap_fractional(np.asarray(atoms.frac_coords)))
    return a


def _time(fn, items) -> tuple[float, list]:
    out = []
    t0 = time.perf_counter()
    for item in items:
        out.append(fn(item))
    return time.perf_counter() - t0, out


def vesin_neighbors(lattice: np.ndarray, frac: np.ndarray, cutoff: float, k: int | None = None):
    """``(centre, neighbour, image, distance)`` from vesin, nearest first per centre, capped at ``k``."""
    import vesin

    cart = wrap_fractional(frac) @ lattice
    i, j, shift, d = vesin.NeighborList(cutoff=cutoff, full_list=True).compute(
        points=cart, box=lattice, periodic=True, quantities="ijSd")
    order = np.lexsort((d, i))
    i, j, shift, d = i[order], j[order], shift[order], d[order]
    if k is not None:
        keep = np.arange(len(i)) - np.searchsorted(i, i, side="left") < k
        i, j, shift, d = i[keep], j[keep], shift[keep], d[keep]
    return i, j, shift, d, cart


def _vesin_rows(rows: dict, inputs, cutoff: float):
    try:
        import vesin  # noqa: F401
    except ImportError:
        return None
    t, out = _time(lambda x: vesin_neighbors(x[0], x[1], cutoff), inputs)
    rows["vesin (all)"] = t
    t, _ = _time(lambda x: vesin_neighbors(x[0], x[1], cutoff, 12), inputs)
    rows["vesin (k=12)"] = t
    return out


def _same_as_ase(found, atoms, i, j, vec) -> bool:
    """vesin's (centre, neighbour, bond vector) set equals ASE's."""
    centre, nbr, shift, _, cart = found
    bonds = cart[nbr] + shift @ atoms.cell.array - cart[centre]
    mine = sorted(zip(centre.tolist(), nbr.tolist(), np.round(bonds, 5).tolist()))
    theirs = sorted(zip(i.tolist(), j.tolist(), np.round(vec, 5).tolist()))
    return len(mine) == len(theirs) and all(a[:2] == b[:2] and np.allclose(a[2], b[2], atol=1e-4)
                                            for a, b in zip(mine, theirs))


def bench_set(name: str, structures, cutoff: float) -> dict:
    from ase.neighborlist import neighbor_list

    ase_structs = [_ase_atoms(a) for a in structures]
    inputs = [(a.cell.array, a.get_scaled_positions(wrap=False)) for a in ase_structs]
    rows = {}
    t, ase_out = _time(lambda a: neighbor_list("ijD", a, cutoff), ase_structs)
    rows["ase"] = t
    t, ours_all = _time(lambda x: find_neighbors(x[0], x[1], cutoff, None), inputs)
    rows["ours (all)"] = t
    t, _ = _time(lambda x: find_neighbors(x[0], x[1], cutoff, 12), inputs)
    rows["ours (k=12)"] = t
    try:
        from pymatgen.core import Lattice, Structure

        pmg = [Structure(Lattice(a.cell.array), a.get_chemical_symbols(), a.get_scaled_positions())
               for a in ase_structs]
        t, _ = _time(lambda s: s.get_neighbor_list(cutoff), pmg)
        rows["pymatgen"] = t
    except ImportError:
        pass
    identical = {"ours (all)": sum(same_neighbors(nl, a.cell.array, i, j, vec)
                                   for (i, j, vec), nl, a in zip(ase_out, ours_all, ase_structs))}
    vesin_all = _vesin_rows(rows, inputs, cutoff)
    if vesin_all is not None:
        identical["vesin (all)"] = sum(_same_as_ase(v, a, i, j, vec) for (i, j, vec), v, a in
                                       zip(ase_out, vesin_all, ase_structs))
    n = len(structures)
    return {
        "set": name,
        "structures": n,
        "mean_atoms": float(np.mean([a.num_atoms for a in structures])),
        "cutoff": cutoff,
        "seconds": rows,
        "per_s": {k: n / v for k, v in rows.items()},
        "ratio_vs_ase": {k: rows["ase"] / v for k, v in rows.items()},
        "identical_to_ase": identical,
    }


def _markdown(results: list[dict]) -> str:
    lines = ["| set | structures | mean atoms | method | structures/s | x ASE |", "|---|---|---|---|---|---|"]
    for r in results:
        for method, rate in r["per_s"].items():
            lines.append(f"| {r['set']} | {r['structures']} | {r['mean_atoms']:.1f} | {method} | "
                         f"{rate:,.0f} | {r['ratio_vs_ase'][method]:.1f} |")
    lines.append("")
    for r in results:
        same = ", ".join(f"{m} {n}/{r['structures']}" for m, n in r["identical_to_ase"].items())
        lines.append(f"- {r['set']}: full neighbour sets identical to ASE's (cutoff {r['cutoff']} Angstrom): {same}")
    return "\n".join(lines) + "\n"


def _plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(results[0]["per_s"])
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / len(methods)
    for k, m in enumerate(methods):
        ax.bar(np.arange(len(results)) + k * width, [r["per_s"].get(m, 0) for r in results], width, label=m)
    ax.set_xticks(np.arange(len(results)) + width * (len(methods) - 1) / 2)
    ax.set_xticklabels([f"{r['set']} ({r['structures']})" for r in results])
    ax.set_yscale("log")
    ax.set_ylabel("structures / s (one core)")
    ax.set_title(f"Periodic neighbour search, cutoff {results[0]['cutoff']} Angstrom")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _one_large_cell(n_atoms: int, cutoff: float, dense: bool) -> dict:
    """In a fresh process: time and peak resident memory of the neighbour search (k=12) of a
    supercell of the embedded sample's first crystal with at least ``n_atoms`` atoms."""
    import resource

    from crysgnn_zoo.graphs import neighbors

    entry = next(open_source("mp_37k_sample").entries())
    atoms = parse_structure(entry.fmt, entry.payload, entry.where)
    frac, lattice = np.asarray(atoms.frac_coords), np.asarray(atoms.lattice_mat)
    r = int(np.ceil((n_atoms / len(frac)) ** (1 / 3)))
    cells = np.stack(np.meshgrid(*[np.arange(r)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    frac = ((frac[None] + cells[:, None]) / r).reshape(-1, 3)
    if dense:
        neighbors.DENSE_LIMIT = 10**15
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    found = find_neighbors(lattice * r, frac, cutoff, 12)
    seconds = time.perf_counter() - t0
    predict_seconds = None
    if not dense:  # the whole prediction of that cell (reading checks, graph, model), as a user runs it
        from ase import Atoms

        from crysgnn_zoo.predict import predict

        symbols = [s for s in atoms.elements] * len(cells)
        cell = Atoms(symbols=symbols, scaled_positions=frac, cell=lattice * r, pbc=True)
        t0 = time.perf_counter()
        predict("cgcnn-mp37k-formation-energy", [cell])
        predict_seconds = time.perf_counter() - t0
    return {"atoms": len(frac), "search": "dense" if dense else "default", "seconds": seconds,
            "predict_seconds": predict_seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_mb": before,
            "edges": len(found.src)}


def large_cells(sizes: list[int], cutoff: float, dense_up_to: int) -> list[dict]:
    """:func:`_one_large_cell` for each size, each in its own process (so peaks do not mix)."""
    import multiprocessing as mp

    rows = []
    for n in sizes:
        for dense in ([False, True] if n <= dense_up_to else [False]):
            with mp.get_context("spawn").Pool(1) as pool:
                row = pool.apply(_one_large_cell, (n, cutoff, dense))
            whole = f", whole predict {row['predict_seconds']:.1f} s" if row["predict_seconds"] is not None else ""
            print(f"{row['atoms']:>6} atoms, {row['search']:>7} search: {row['seconds']:7.2f} s{whole}, "
                  f"peak resident {row['peak_rss_mb']:7.0f} MB ({row['rss_before_mb']:.0f} MB before), "
                  f"{row['edges']:,} edges")
            rows.append(row)
    return rows


_LOAD_ONLY = """
import json, sys, time
from benchmarks.graph_speed import peak_rss_mib
from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.sources import open_source
from crysgnn_zoo.graphs.build import build_store
t = time.perf_counter()
r = build_store(open_source(sys.argv[1]), GraphConfig(), progress=False)
print(json.dumps({"from_cache": r.from_cache, "seconds": time.perf_counter() - t,
                  "nbytes": r.store.nbytes,
                  "peak_rss_mib": peak_rss_mib()}))
"""

_BASELINE = """
import crysgnn_zoo.graphs.build, crysgnn_zoo.data.sources
from benchmarks.graph_speed import peak_rss_mib
print(peak_rss_mib())
"""


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM), MiB.

    ``getrusage().ru_maxrss`` is not used for child processes: on Linux it
    survives fork+exec, so a child would report its parent's peak.
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cache_footprint(dataset: str, workers: int | None) -> dict:
    """Build (or load) the graph cache of a whole data set; print and return its footprint."""
    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.graphs.build import build_store

    source = open_source(dataset)
    t = time.perf_counter()
    built = build_store(source, GraphConfig(), workers=workers)
    seconds = time.perf_counter() - t
    n = len(built.store)
    report = {
        "dataset": source.name,
        "crystals": n,
        "skipped": len(built.skipped),
        "isolated_atoms_reconnected": built.n_isolated,
        "atoms": int(built.store.n_atoms.sum()),
        "edges": int(built.store.n_edges.sum()),
        "from_cache": built.from_cache,
        "seconds": seconds,
        "crystals_per_s": (n + len(built.skipped)) / seconds,
        "store_mib": built.store.nbytes / 2**20,
        "build_peak_rss_parent_mib": peak_rss_mib(),
        "build_peak_rss_worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    load = json.loads(subprocess.check_output([sys.executable, "-c", _LOAD_ONLY, dataset]))
    baseline = float(subprocess.check_output([sys.executable, "-c", _BASELINE]))
    report["load_seconds"] = load["seconds"]
    report["load_peak_rss_mib"] = load["peak_rss_mib"]
    report["python_plus_imports_rss_mib"] = baseline
    for k, v in report.items():
        print(f"{k:>30}: {v:.1f}" if isinstance(v, float) else f"{k:>30}: {v}")
    if len(built.skipped):
        print(built.skipped.summary())
    return report


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--large", help="comma-separated atom counts: time and peak memory of the neighbour search "
                                    "of supercells that large (e.g. 1000,10000,20000), then exit")
    ap.add_argument("--dense-up-to", type=int, default=2100,
                    help="with --large: also force the dense search on cells up to this many atoms")
    ap.add_argument("--cutoff", type=float, default=8.0)
    ap.add_argument("--mp-sample", type=int, default=2000)
    ap.add_argument("--limit", type=int, help="use only this many structures per set (quick check)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--cache", metavar="DATASET", help="report the graph cache of this whole data set, then exit")
    ap.add_argument("--workers", type=int, default=None, help="with --cache: graph-building processes")
    args = ap.parse_args(argv)
    if args.cache:
        return [cache_footprint(args.cache, args.workers)]
    if args.large:
        return large_cells([int(n) for n in args.large.split(",")], args.cutoff, args.dense_up_to)
    import torch

    torch.set_num_threads(1)
    sets = [("carbon_24", args.limit), ("mp_37k", min(args.mp_sample, args.limit or args.mp_sample))]
    results = []
    for name, n in sets:
        structures = _load(name, n, args.seed)
        results.append(bench_set(name if n is None else f"{name}", structures, args.cutoff))
        r = results[-1]
        print(f"{name}: " + ", ".join(f"{k} {v:,.0f}/s" for k, v in r["per_s"].items())
              + f"; ours(k=12)/ASE = {r['ratio_vs_ase']['ours (k=12)']:.1f}x; identical sets {r['identical_to_ase']}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.processor() or ''}".strip(),
            "python": platform.python_version()}
    (out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    (out / "results.md").write_text(_markdown(results))
    _plot(results, out / "throughput.png")
    print(_markdown(results))
    return results


if __name__ == "__main__":
    from benchmarks import run_main

    run_main(main)
