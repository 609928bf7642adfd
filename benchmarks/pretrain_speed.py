"""Pre-training throughput, one process vs data-parallel processes (torchrun, gloo on CPU).

    python -m benchmarks.pretrain_speed --curated runs/curated_all [--steps 30] [--procs 1 2]

Each configuration runs ``crysgnn-zoo pretrain`` for ``--steps`` optimiser
steps with ``--batch-size`` crystals per process and reports graphs/s over
those steps. Torch threads are split evenly between processes
(``OMP_NUM_THREADS = cores // procs``), so 1 x 2 threads is compared with
2 x 1 thread on a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def run(curated: str, procs: int, steps: int, batch_size: int) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"pt{procs}-"))
    threads = max(1, (os.cpu_count() or 1) // procs)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    base = ["-m", "crysgnn_zoo", "pretrain", "--curated", curated, "--out", str(out), "--epochs", "1",
            "--max-steps", str(steps), "--batch-size", str(batch_size), "--no-progress"]
    if procs == 1:
        cmd = [sys.executable, *base]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(procs), *base]
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    epoch = json.loads((out / "history.json").read_text())[0]
    return {"processes": procs, "threads_per_process": threads, "steps": steps,
            "batch_per_process": batch_size, "seconds": epoch["seconds"], "graphs_per_s": epoch["graphs_per_s"]}


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--curated", required=True)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)
    rows = [run(args.curated, p, args.steps, args.batch_size) for p in args.procs]
    for r in rows:
        print(f"{r['processes']} process(es) x {r['threads_per_process']} thread(s): "
              f"{r['graphs_per_s']:.1f} graphs/s ({r['steps']} steps of {r['batch_per_process']} per process, {r['seconds']:.1f} s)")
    return rows


if __name__ == "__main__":
    from benchmarks import run_main

    run_main(main)
