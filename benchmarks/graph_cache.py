"""Build (or load) the graph cache of a whole dataset and report its footprint.

    python -m benchmarks.graph_cache --dataset mp_37k [--workers 2]

Prints: crystals, skipped, build seconds and throughput, bytes held by the
graph store, and peak resident memory of (a) the build (parent and workers)
and (b) a fresh process that only loads the cache, which is what every later
training run pays.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.sources import open_source
from crysgnn_zoo.graphs.build import build_store

_LOAD_ONLY = """
import json, sys, time
from benchmarks.graph_cache import peak_rss_mib
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
from benchmarks.graph_cache import peak_rss_mib
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


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mp_37k")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)
    source = open_source(args.dataset)
    t = time.perf_counter()
    built = build_store(source, GraphConfig(), workers=args.workers)
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
    load = json.loads(subprocess.check_output([sys.executable, "-c", _LOAD_ONLY, args.dataset]))
    baseline = float(subprocess.check_output([sys.executable, "-c", _BASELINE]))
    report["load_seconds"] = load["seconds"]
    report["load_peak_rss_mib"] = load["peak_rss_mib"]
    report["python_plus_imports_rss_mib"] = baseline
    for k, v in report.items():
        print(f"{k:>30}: {v:.1f}" if isinstance(v, float) else f"{k:>30}: {v}")
    if len(built.skipped):
        print(built.skipped.summary())
    return report


if __name__ == "__main__":
    from benchmarks import run_main

    run_main(main)
