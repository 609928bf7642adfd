"""Training speed with the Gaussian distance basis' far tails floored vs set to zero.

    python -m benchmarks.gaussian_tails [--models cgcnn,crysxpp,gatgnn] [--samples 700] [--epochs 2]

``GaussianExpansion`` used to floor every far Gaussian at exp(-80) ~ 2e-35 (to
keep exp() out of float32 subnormals); it now sets Gaussians below exp(-40) to
exactly zero. The floored tails are normal numbers, but times a small gradient
they give subnormal products inside the weight-gradient matmul, which x86 CPUs
compute on a slow path. Each configuration trains one student in a fresh
process on the embedded MP sample (formation energy, seed 0, the same split
for both) and reports seconds per epoch and the test MAE; writes
``benchmarks/results/gaussian_tails/{results.json,table.md}``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "gaussian_tails"
TAILS = ("floor", "zero")  # floor: the old exp(-80) floor; zero: the current behaviour


def _floored_forward(self, distance):
    import torch

    exponent = -((distance.unsqueeze(-1) - self.centres) ** 2) / self.width**2
    return torch.exp(exponent.clamp(min=-80.0))


def run_worker(model: str, tails: str, samples: int, epochs: int) -> None:
    from benchmarks.profiles import PROFILES, train_config
    from crysgnn_zoo.nets.layers import GaussianExpansion
    from crysgnn_zoo.train.run import train_model

    if tails == "floor":
        GaussianExpansion.forward = _floored_forward
    overrides = {"autoencoder": None} if model == "crysxpp" else {}  # the speed question, not the start
    result = train_model("mp_37k_sample", "formation_energy_per_atom", model, model_overrides=overrides,
                         train_config=train_config(PROFILES["quick"], model, seed=0, epochs=epochs),
                         max_samples=samples, split_sizes=(samples - 100, 50, 50), split_seed=0, progress=False)
    print(json.dumps({"seconds_per_epoch": result.seconds_per_epoch, "test_mae": result.test["mae"]}))


def measure(model: str, tails: str, samples: int, epochs: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.gaussian_tails", "--worker", model, "--tails", tails,
                          "--samples", str(samples), "--epochs", str(epochs)],
                         capture_output=True, text=True, check=True)
    return {"model": model, "tails": tails, "samples": samples, "epochs": epochs,
            **json.loads(out.stdout.strip().splitlines()[-1])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="cgcnn,crysxpp,gatgnn")
    p.add_argument("--samples", type=int, default=700, help="crystals drawn from the embedded sample (100 val+test)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--tails", choices=TAILS, default="zero", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        run_worker(args.worker, args.tails, args.samples, args.epochs)
        return 0
    import torch
    from tqdm import tqdm

    plan = [(m.strip(), t) for m in args.models.split(",") if m.strip() for t in TAILS]
    rows = []
    for model, tails in tqdm(plan, desc="configurations"):
        rows.append(measure(model, tails, args.samples, args.epochs))
        tqdm.write(f"{model:8s} tails {tails:5s}: {rows[-1]['seconds_per_epoch']:.2f} s/epoch, "
                   f"test MAE {rows[-1]['test_mae']:.6f} eV/atom")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    lines = [f"# Gaussian tails floored at exp(-80) vs zero ({cpu}, {os.cpu_count()} CPUs, torch {torch.__version__})",
             "", f"Embedded MP sample, formation energy, {args.samples - 100}/50/50 crystals, seed 0, "
             f"{args.epochs} epochs, batch 64, each student's benchmark recipe (benchmarks/profiles.py); "
             "CrysXPP without its CrysAE start.", "",
             "| student | s/epoch, floored | s/epoch, zero | speed-up | test MAE floored | test MAE zero (eV/atom) |",
             "|---|---|---|---|---|---|"]
    by = {(r["model"], r["tails"]): r for r in rows}
    for model in dict.fromkeys(m for m, _ in plan):
        old, new = by[(model, "floor")], by[(model, "zero")]
        lines.append(f"| {model} | {old['seconds_per_epoch']:.2f} | {new['seconds_per_epoch']:.2f} | "
                     f"{old['seconds_per_epoch'] / new['seconds_per_epoch']:.1f}x | {old['test_mae']:.6f} | "
                     f"{new['test_mae']:.6f} |")
    (args.out / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
