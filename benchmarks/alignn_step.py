"""Time and memory of one ALIGNN training step on a seeded mp_37k batch.

    python -m benchmarks.alignn_step [--precision fp32|bf16] [--checkpoint] [--compile] [--batch-size 64]
        [--reps 3] [--profile N] [--seed 0] [--heaviest-of 1] [--heap trim|retain] [--json out.json]

Builds the graphs of ``--batch-size`` crystals drawn with ``default_rng(seed)``
from mp_37k (12 neighbours within 8 Angstrom, as the peers benchmark), then
runs ``--reps`` AdamW steps (forward, MSE loss, backward, step) of the
paper-size ALIGNN and prints the seconds of each step and the process's peak
resident memory (VmHWM, GiB); with ``--compile`` the first step includes
compilation. ``--heap retain`` keeps freed memory for reuse
(:func:`crysgnn_zoo.train.memory.retain_freed_memory`); ``trim``, the default,
leaves glibc's defaults (this script never trims). With ``--profile N`` it prints the top ``N``
operators of one more step by self CPU time (``torch.profiler``).

One configuration per process, so peak memory belongs to that configuration.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from benchmarks.peer_runners import peak_rss_gib
from crysgnn_zoo._dgl import dgl
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.graphs.build import build_store
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.nets.layers import set_compiled_kernels
from crysgnn_zoo.registry import get_model
from crysgnn_zoo.config import HEAP_POLICIES
from crysgnn_zoo.train.memory import retain_freed_memory


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--checkpoint", action="store_true", help="activation checkpointing of the line-graph convolutions")
    p.add_argument("--compile", action="store_true", help="torch.compile the edge-gated convolutions' training step")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--profile", type=int, default=0, help="print the top N operators of one extra step")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--heaviest-of", type=int, default=1,
                   help="draw this many seeded batches and time the one with the most bonds")
    p.add_argument("--dataset", default="mp_37k")
    p.add_argument("--heap", choices=HEAP_POLICIES, default="trim")
    p.add_argument("--json", default=None)
    a = p.parse_args(argv)
    if a.heap == "retain" and not retain_freed_memory():
        p.error("--heap retain needs glibc")

    store = build_store(dataset_source(a.dataset), progress=False).store
    rng = np.random.default_rng(a.seed)
    draws = [rng.choice(len(store), a.batch_size, replace=False) for _ in range(max(a.heaviest_of, 1))]
    idx = max(draws, key=lambda d: int(store.n_edges[d].sum()))
    g = collate(store, idx, with_vectors=True)
    torch.manual_seed(a.seed)
    model = get_model("alignn", checkpoint_line_graph=a.checkpoint)
    model.train()
    if a.compile:
        set_compiled_kernels(model)
    opt = torch.optim.AdamW(model.parameters(), 1e-3, weight_decay=1e-5)
    target = torch.zeros(a.batch_size, 1)

    def step() -> float:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            out = model(g)
        loss = torch.nn.functional.mse_loss(out.float(), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss.detach())

    seconds = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    result = {
        "precision": a.precision,
        "checkpoint_line_graph": a.checkpoint,
        "compiled": a.compile,
        "heap": a.heap,
        "batch_size": a.batch_size,
        "atoms": g.num_nodes(),
        "bonds": g.num_edges(),
        "bond_pairs": dgl.line_graph(g, backtracking=True).num_edges(),
        "heaviest_of": a.heaviest_of,
        "threads": torch.get_num_threads(),
        "step_seconds": [round(s, 3) for s in seconds],
        "peak_gib": round(peak_rss_gib(), 3),
    }
    print(json.dumps(result))
    if a.profile:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=a.profile))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(result, fh, indent=1)
    return result


if __name__ == "__main__":
    main()
