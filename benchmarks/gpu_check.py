"""The GPU check: run it whenever a GPU is lent (under 8 minutes on one GPU).

    python -m benchmarks.gpu_check                 # everything the machine allows
    python -m benchmarks.gpu_check --cpu-only      # the CPU half alone (what CI runs)

CPU half (any machine): every network and every release computes the same on the torch backend
as on DGL (:mod:`benchmarks.backends` ``equal``, the embedded sample's crystals).

GPU half (when ``torch.cuda.is_available()``):

1. CPU (DGL) against GPU (torch backend) outputs for every network and every release's own
   test crystals (<= 1e-4 relative);
2. s/epoch and peak GPU memory of CGCNN and ALIGNN (float32 and bf16 autocast) on the
   3,000-crystal mp_37k split, and a full mp_37k CGCNN epoch (31,834 training crystals);
3. the peers on the same GPU: cgcnn2 and alignn (pure torch, ``pip install -e '.[peers]'``),
   through ``benchmarks.peers --device cuda`` with few epochs;
4. with more than one GPU, a 2-epoch data-parallel run (``torchrun``, NCCL).

Writes ``benchmarks/results/gpu/<card>.json`` and ``.md`` (the card's name in the file name);
docs/performance.md "Training on a GPU" takes its figures from there.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

from benchmarks import backends

RESULTS = Path(__file__).resolve().parent / "results" / "gpu"
#: the check's pass mark for CPU against GPU outputs (relative to the largest output)
TOLERANCE = 1e-4


def cpu_half() -> dict:
    networks = backends.equal_networks("cpu")
    releases = backends.equal_releases("cpu", own_test=False)
    worst = max([*networks.values(), *(r["rel_diff"] for r in releases.values() if "rel_diff" in r)])
    return {"networks": networks, "releases": releases, "worst": worst, "passed": worst <= 1e-5}


def full_mp_epoch(device: str) -> dict:
    """CGCNN on the full mp_37k training split (the size-rule ladder's split, seed 0): 2 epochs."""
    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.data.sources import open_source
    from crysgnn_zoo.graphs.select import checked_split, labelled_graphs

    source = open_source("mp_37k")
    _, store, _ = labelled_graphs(source, GraphConfig(), "formation_energy_per_atom", None, 0, None, False,
                                  frozenset())
    split = checked_split(store, (0.85, 0.08, 0.07), 0, source.name, "formation_energy_per_atom")
    data = (store, split, store.target("formation_energy_per_atom"))
    return {"split_sizes": split.sizes, **backends.epoch_speed("cgcnn", "torch", device, data, epochs=2)}


def peers(device: str, out: Path) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.peers", "--device", device, "--cgcnn-epochs", "3",
           "--alignn-epochs", "2", "--skip", "crysgnn-zoo ALIGNN fast", "--out", str(out / "peers")]
    done = subprocess.run(cmd)
    table = out / "peers" / "table.md"
    return {"returncode": done.returncode, "table": table.read_text() if table.exists() else None}


def ddp(out: Path) -> dict:
    n = torch.cuda.device_count()
    cmd = ["torchrun", f"--nproc_per_node={n}", "-m", "crysgnn_zoo", "train", "--dataset", "mp_37k", "--target",
           "formation_energy_per_atom", "--model", "cgcnn", "--max-samples", "3000", "--epochs", "2",
           "--device", "cuda", "--no-progress", "--out", str(out / "ddp_run"), "--overwrite"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd)
    return {"gpus": n, "returncode": done.returncode, "seconds": time.perf_counter() - t0}


def gpu_half(out: Path) -> dict:
    device = "cuda"
    t0 = time.perf_counter()
    record: dict = {"card": torch.cuda.get_device_name(0), "torch": torch.__version__}
    equal = {"networks": backends.equal_networks(device), "releases": backends.equal_releases(device, own_test=True)}
    worst = max([*equal["networks"].values(), *(r["rel_diff"] for r in equal["releases"].values() if "rel_diff" in r)])
    record["equal"] = {**equal, "worst": worst, "passed": worst <= TOLERANCE}
    data = backends.mp_split()
    record["speed"] = [backends.epoch_speed(m, "torch", device, data) for m in ("cgcnn", "alignn")]
    record["speed"].append(backends.epoch_speed("alignn", "torch", device, data, precision="bf16"))
    record["full_mp_cgcnn"] = full_mp_epoch(device)
    record["peers"] = peers(device, out)
    if torch.cuda.device_count() > 1:
        record["ddp"] = ddp(out)
    record["seconds"] = time.perf_counter() - t0
    return record


def markdown(record: dict) -> str:
    lines = [f"# GPU check on {record['card']} (torch {record['torch']})", "",
             f"CPU (DGL) against GPU (torch backend): largest relative difference {record['equal']['worst']:.2e} "
             f"({'pass' if record['equal']['passed'] else 'FAIL'}, tolerance {TOLERANCE:g}).", "",
             "| run | s/epoch | peak GPU memory (GiB) | validation MAE after the run |", "|---|---|---|---|"]
    for r in record["speed"]:
        lines.append(f"| {r['model']} {r.get('precision', 'fp32')}, 2,400 crystals | {r['seconds_per_epoch']:.2f} | "
                     f"{r['peak_gpu_gib']:.2f} | {r['val_mae']:.4f} |")
    f = record["full_mp_cgcnn"]
    lines.append(f"| cgcnn fp32, full mp_37k ({f['split_sizes'][0]:,} crystals) | {f['seconds_per_epoch']:.2f} | "
                 f"{f['peak_gpu_gib']:.2f} | {f['val_mae']:.4f} |")
    lines += ["", "Peers on the same GPU (`benchmarks.peers --device cuda`):", "", record["peers"]["table"] or "(did not run)"]
    if "ddp" in record:
        lines += ["", f"DDP: {record['ddp']['gpus']} GPUs, exit {record['ddp']['returncode']}, "
                      f"{record['ddp']['seconds']:.0f} s"]
    lines.append(f"\nWhole check: {record['seconds']:.0f} s.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cpu-only", action="store_true", help="run the CPU half alone")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    cpu = cpu_half()
    print(f"CPU half: torch backend against DGL, largest relative difference {cpu['worst']:.2e} "
          f"({'pass' if cpu['passed'] else 'FAIL'})")
    if args.cpu_only or not torch.cuda.is_available():
        if not args.cpu_only:
            print("no CUDA device here: the GPU half did not run; on a GPU machine run "
                  "`python -m benchmarks.gpu_check`")
        return 0 if cpu["passed"] else 1
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"cpu_half": cpu, **gpu_half(args.out)}
    name = record["card"].replace(" ", "_").replace("/", "_")
    (args.out / f"{name}.json").write_text(json.dumps(record, indent=1, default=str))
    (args.out / f"{name}.md").write_text(markdown(record))
    print(markdown(record))
    return 0 if cpu["passed"] and record["equal"]["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
