"""Resident memory over bf16 training steps with oneDNN/ideep caches at their default vs bounded size.

    python -m benchmarks.dnnl_cache [--steps 120] [--capacities 1024,128]

Each configuration runs in a fresh process with ``ONEDNN_PRIMITIVE_CACHE_CAPACITY``
and ``LRU_CACHE_CAPACITY`` set to the capacity (1,024 is PyTorch's default;
``import crysgnn_zoo`` sets 128 unless you chose). Freed heap pages are handed
back after every step, so what grows is memory still referenced.

The workload: a bf16-autocast 256 -> 256 linear layer, forward and backward,
on a random row count in [20,000, 40,000) per step (a new shape almost every
step, as graph batches give). The same growth in ALIGNN training (~11-13 MB per
fast-recipe step) was measured with an ad-hoc script; see train/memory.py.

Prints resident memory (GiB) at the first and last step and the growth over the second
half of the run; writes ``benchmarks/results/dnnl_cache/results.{json,md}``.
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

RESULTS = Path(__file__).parent / "results" / "dnnl_cache"
VARIABLES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")


def _gemm_steps(steps: int) -> list[float]:
    import numpy as np
    import torch

    from crysgnn_zoo.train.memory import release_free_heap, resident_gib

    torch.manual_seed(0)
    layer = torch.nn.Linear(256, 256)
    rng = np.random.default_rng(0)
    trace = []
    for _ in range(steps):
        x = torch.randn(int(rng.integers(20_000, 40_000)), 256, requires_grad=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = layer(x)
        y.float().sum().backward()
        del x, y
        release_free_heap()
        trace.append(resident_gib())
    return trace


def run_worker(kind: str, steps: int) -> None:
    t0 = time.perf_counter()
    trace = _gemm_steps(steps)
    print(json.dumps({"trace": trace, "seconds": time.perf_counter() - t0}))


def measure(kind: str, steps: int, capacity: int) -> dict:
    env = dict(os.environ, **{name: str(capacity) for name in VARIABLES})
    out = subprocess.run([sys.executable, "-m", "benchmarks.dnnl_cache", "--worker", kind, "--steps", str(steps)],
                         env=env, capture_output=True, text=True, check=True)
    record = json.loads(out.stdout.strip().splitlines()[-1])
    trace = record["trace"]
    half = len(trace) // 2
    return {"kind": kind, "capacity": capacity, "steps": steps, "seconds": record["seconds"],
            "resident_gib": trace, "growth_second_half_mb": (trace[-1] - trace[half - 1]) * 1024}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=120, help="steps of the bare GEMM loop")
    p.add_argument("--capacities", default="1024,128")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--worker", choices=["gemm"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        run_worker(args.worker, args.steps)
        return 0
    import torch
    from tqdm import tqdm

    plan = [("gemm", args.steps)]
    capacities = [int(c) for c in args.capacities.split(",")]
    rows = []
    for kind, steps, capacity in tqdm([(k, s, c) for k, s in plan for c in capacities], desc="configurations"):
        r = measure(kind, steps, capacity)
        rows.append(r)
        tqdm.write(f"{kind:6s} capacity {capacity:5d}: resident {r['resident_gib'][0]:.3f} -> "
                   f"{r['resident_gib'][-1]:.3f} GiB over {steps} steps; second half "
                   f"{r['growth_second_half_mb']:+.0f} MB; {r['seconds']:.1f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    lines = [f"# oneDNN/ideep cache capacity vs resident memory ({platform.machine()}, {os.cpu_count()} CPUs, "
             f"torch {torch.__version__}, {torch.get_num_threads()} threads)", "",
             "| workload | cache capacity | steps | resident first -> last step (GiB) | growth, second half (MB) | seconds |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['kind']} | {r['capacity']} | {r['steps']} | {r['resident_gib'][0]:.3f} -> "
                     f"{r['resident_gib'][-1]:.3f} | {r['growth_second_half_mb']:+.0f} | {r['seconds']:.1f} |")
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
