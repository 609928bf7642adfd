"""Speed, memory and accuracy against the reference packages cgcnn2 and alignn.

    python -m benchmarks.peers [--n 3000] [--cgcnn-epochs 30] [--alignn-epochs 4] [--only cgcnn]

One seeded sample of mp_37k (default 3,000 crystals, split 2,400/300/300,
formation_energy_per_atom) is written once as a CIF folder that every
implementation reads. Each implementation trains in its own process (so peak
memory is its own) with the pair's shared recipe (``RECIPES``),
batch size and epochs. Reported per implementation: graph preprocessing
seconds, median seconds per epoch (train + validation), peak resident memory,
test MAE with a 95 % bootstrap interval; per pair: our/peer ratios.

Peers not installed (``pip install .[peers]``) are skipped with a message; our
models still run.
The peer loops are written here (not the peers' command-line tools) so that
every implementation gets the same split, batch size, epochs, optimiser,
target standardisation, best-validation checkpoint and timing points; only
the graph construction and the model come from the peer package. Each runner
executes in its own process (``--worker``), so peak memory is its own.
"""
from __future__ import annotations

import argparse
import copy
import csv
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from crysgnn_zoo.train.recipes import recipe


@dataclass(frozen=True)
class Recipe:
    """Optimisation shared by both members of a pair (``peers/<family>`` in
    :mod:`crysgnn_zoo.train.recipes`)."""

    optimizer: str  # adam | adamw
    lr: float
    weight_decay: float
    scheduler: str  # none | onecycle
    loss: str = "mse"  # the peers' loops train a standardised squared error


RECIPES = {family: Recipe(**recipe(f"peers/{family}")) for family in ("cgcnn", "alignn")}


def peak_rss_gib() -> float:
    """This process's peak resident memory (VmHWM), GiB."""
    from crysgnn_zoo.train.memory import peak_resident_gib

    return peak_resident_gib() or float("nan")


def read_sample(folder: Path) -> tuple[list[str], np.ndarray, dict[str, list[int]]]:
    """Ids, targets (eV/atom) and split positions of a sample folder."""
    with open(folder / "cif" / "id_prop.csv") as fh:
        rows = list(csv.reader(fh))
    ids = [r[0] for r in rows]
    y = np.array([float(r[1]) for r in rows], dtype=np.float64)
    split = json.loads((folder / "split.json").read_text())
    return ids, y, {k: split[k] for k in ("train", "val", "test")}


# ----------------------------------------------------------------- generic loop for the peers
def _optimizer(params, recipe: Recipe, steps: int, epochs: int):
    cls = torch.optim.AdamW if recipe.optimizer == "adamw" else torch.optim.Adam
    opt = cls(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    sched = None
    if recipe.scheduler == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe.lr, epochs=epochs, steps_per_epoch=steps)
    return opt, sched


def fit_peer(
    model: torch.nn.Module,
    predict: Callable[[object], torch.Tensor],
    batches: Callable[[list[int], bool, int], list],
    y: np.ndarray,
    split: dict[str, list[int]],
    epochs: int,
    batch_size: int,
    recipe: Recipe,
    seed: int,
    device: str = "cpu",
) -> dict:
    """Train ``model`` with standardised MSE; keep the best-validation weights; test them.

    ``batches(positions, shuffle, epoch)`` yields ``(inputs, positions)`` (inputs on ``device``);
    ``predict(inputs)`` gives ``(B,)`` standardised predictions.
    """
    model.to(device)
    mean, std = float(y[split["train"]].mean()), float(y[split["train"]].std())
    target = torch.tensor((y - mean) / std, dtype=torch.float32, device=device)
    steps = (len(split["train"]) + batch_size - 1) // batch_size
    opt, sched = _optimizer(model.parameters(), recipe, steps, epochs)

    @torch.no_grad()
    def evaluate(name: str) -> np.ndarray:
        model.eval()
        out = [predict(inputs).float().reshape(-1).cpu() for inputs, _ in batches(split[name], False, 0)]
        return torch.cat(out).numpy() * std + mean

    history, best, best_mae = [], None, np.inf
    for epoch in tqdm(range(epochs), desc="epochs"):
        t0 = time.perf_counter()
        model.train()
        for inputs, pos in batches(split["train"], True, epoch):
            loss = torch.nn.functional.mse_loss(predict(inputs).reshape(-1), target[torch.as_tensor(pos, device=device)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
        if device != "cpu":
            torch.cuda.synchronize()
        val_mae = float(np.abs(evaluate("val") - y[split["val"]]).mean())
        history.append({"epoch": epoch, "seconds": time.perf_counter() - t0, "val_mae": val_mae})
        if val_mae < best_mae:
            best_mae, best = val_mae, copy.deepcopy(model.state_dict())
    model.load_state_dict(best)
    return {"history": history, "test_pred": evaluate("test").tolist()}


def to_device(x, device: str):
    """Tensors, lists and tuples of them, and objects with ``.to`` (graph containers), on ``device``."""
    if device == "cpu" or x is None:
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(to_device(v, device) for v in x)
    return x.to(device) if hasattr(x, "to") else x


def _batched(positions: list[int], shuffle: bool, epoch: int, batch_size: int, seed: int):
    order = np.asarray(positions)
    if shuffle:
        order = order[np.random.default_rng(seed + epoch).permutation(len(order))]
    return [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]


# ----------------------------------------------------------------- peers
def run_cgcnn2(folder: Path, epochs: int, batch_size: int, seed: int, device: str = "cpu") -> dict:
    """cgcnn2: its CIFData (pymatgen neighbours, 12 within 8 Angstrom) and CrystalGraphConvNet."""
    import importlib.resources

    from cgcnn2.data import CIFData, collate_pool
    from cgcnn2.model import CrystalGraphConvNet

    ids, y, split = read_sample(folder)
    cif_dir = folder / "cif"
    atom_init = importlib.resources.files("cgcnn2") / "asset" / "atom_init.json"
    (cif_dir / "atom_init.json").write_text(atom_init.read_text())
    t0 = time.perf_counter()
    data = CIFData(str(cif_dir), max_num_nbr=12, radius=8.0)
    items = [data[i] for i in tqdm(range(len(data)), desc="cgcnn2 graphs")]  # fills its cache
    prep = time.perf_counter() - t0
    torch.manual_seed(seed)
    (atom_fea, nbr_fea, _), _, _ = items[0]
    model = CrystalGraphConvNet(atom_fea.shape[-1], nbr_fea.shape[-1], atom_fea_len=64, n_conv=3, h_fea_len=128, n_h=1)

    def batches(positions, shuffle, epoch):
        for chunk in _batched(positions, shuffle, epoch, batch_size, seed):
            (a, n, idx, crystal_idx), _, _ = collate_pool([items[i] for i in chunk])
            yield to_device((a, n, idx, list(crystal_idx)), device), chunk

    def predict(inputs):
        return model(*inputs)[0]

    out = fit_peer(model, predict, batches, y, split, epochs, batch_size, RECIPES["cgcnn"], seed, device)
    return {"prep_seconds": prep, "n_params": sum(p.numel() for p in model.parameters()), **out}


def run_alignn(folder: Path, epochs: int, batch_size: int, seed: int, device: str = "cpu") -> dict:
    """alignn (pure-torch ALIGNNAtomWisePure): its graph builder and model, 4+4 layers, width 256."""
    from alignn.models.alignn_atomwise_pure import ALIGNNAtomWisePure, ALIGNNAtomWisePureConfig
    from alignn.torch_graph_builder import batch_torch_graph_pairs, build_pure_torch_graph

    from crysgnn_zoo.data.structures import atoms_from_cif

    ids, y, split = read_sample(folder)
    t0 = time.perf_counter()
    graphs = []
    for cid in tqdm(ids, desc="alignn graphs"):
        atoms = atoms_from_cif((folder / "cif" / f"{cid}.cif").read_text(), cid)
        graphs.append(build_pure_torch_graph(atoms, two_body_cutoff=8.0, max_neighbors=12, atom_features="cgcnn"))
    prep = time.perf_counter() - t0
    torch.manual_seed(seed)
    config = ALIGNNAtomWisePureConfig(
        name="alignn_atomwise_pure", alignn_layers=4, gcn_layers=4, atom_input_features=92,
        hidden_features=256, embedding_features=64, output_features=1, calculate_gradient=False,
        energy_mult_natoms=False, use_penalty=False, use_zbl=False, three_body_cutoff=8.0,
    )
    model = ALIGNNAtomWisePure(config)

    def batches(positions, shuffle, epoch):
        for chunk in _batched(positions, shuffle, epoch, batch_size, seed):
            g, lg = batch_torch_graph_pairs([graphs[i] for i in chunk])
            yield (to_device(g, device), to_device(lg, device), None), chunk

    def predict(inputs):
        return model(inputs)["out"]

    out = fit_peer(model, predict, batches, y, split, epochs, batch_size, RECIPES["alignn"], seed, device)
    return {"prep_seconds": prep, "n_params": sum(p.numel() for p in model.parameters()), **out}


# ----------------------------------------------------------------- ours
def _run_ours(model_name: str, folder: Path, epochs: int, batch_size: int, seed: int, device: str,
              precision: str = "fp32", fast: bool = False) -> dict:
    import tempfile

    from crysgnn_zoo.backend import for_device
    from crysgnn_zoo.config import GraphConfig, TrainConfig
    from crysgnn_zoo.data.sources import folder_source
    from crysgnn_zoo.factory import get_model
    from crysgnn_zoo.graphs.build import build_store
    from crysgnn_zoo.graphs.loader import GraphLoader
    from crysgnn_zoo.train.trainer import Trainer

    ids, y, split = read_sample(folder)
    recipe = RECIPES[model_name]
    with tempfile.TemporaryDirectory() as cache:  # a cold build: graph construction is timed, not read back
        t0 = time.perf_counter()
        built = build_store(folder_source(folder / "cif"), GraphConfig(), cache_root=cache, progress=True)
        prep = time.perf_counter() - t0
    store = built.store
    position = {cid: k for k, cid in enumerate(store.ids)}
    index = {name: np.array([position[ids[i]] for i in pos]) for name, pos in split.items()}
    targets = np.zeros(len(store), dtype=np.float32)
    for cid, value in zip(ids, y):
        targets[position[cid]] = value
    torch.manual_seed(seed)
    model = get_model(model_name, **({"checkpoint_line_graph": True} if fast else {}))
    vec = getattr(model, "needs_vectors", False)
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=recipe.lr, weight_decay=recipe.weight_decay,
                         optimizer=recipe.optimizer, scheduler=recipe.scheduler, patience=None, seed=seed,
                         precision=precision, compile=fast, loss=recipe.loss,
                         select="mae")  # as the peers' loops: the lowest validation MAE
    trainer = Trainer(model, config, device=device)
    loader = lambda name, shuffle: GraphLoader(store, index[name], targets, batch_size, shuffle=shuffle,  # noqa: E731
                                               seed=seed, with_vectors=vec, backend=for_device(device))
    history = trainer.fit(loader("train", True), loader("val", False))
    pred = trainer.predict(loader("test", False))[:, 0]
    return {"prep_seconds": prep, "n_params": sum(p.numel() for p in model.parameters()), "precision": precision,
            "compiled": fast, "history": [{"epoch": e["epoch"], "seconds": e["seconds"], "val_mae": e["val_mae"]} for e in history.epochs],
            "test_pred": pred.tolist()}


def run_ours_cgcnn(folder: Path, epochs: int, batch_size: int, seed: int, device: str = "cpu") -> dict:
    """crysgnn-zoo CGCNN (64 wide, 3 convolutions, 128 hidden)."""
    return _run_ours("cgcnn", folder, epochs, batch_size, seed, device)


def run_ours_alignn(folder: Path, epochs: int, batch_size: int, seed: int, device: str = "cpu") -> dict:
    """crysgnn-zoo ALIGNN (4 ALIGNN + 4 GCN layers, width 256), float32."""
    return _run_ours("alignn", folder, epochs, batch_size, seed, device)


def run_ours_alignn_bf16(folder: Path, epochs: int, batch_size: int, seed: int, device: str = "cpu") -> dict:
    """crysgnn-zoo ALIGNN under bfloat16 autocast (``TrainConfig(precision="bf16")``)."""
    return _run_ours("alignn", folder, epochs, batch_size, seed, device, precision="bf16")


def run_ours_alignn_fast(folder: Path, epochs: int, batch_size: int, seed: int, device: str = "cpu") -> dict:
    """crysgnn-zoo ALIGNN, fast recipe: bf16 autocast, compiled edge-gated convolutions and
    activation checkpointing of the line graph (``TrainConfig(precision="bf16", compile=True)``,
    ``get_model("alignn", checkpoint_line_graph=True)``)."""
    return _run_ours("alignn", folder, epochs, batch_size, seed, device, precision="bf16", fast=True)


# implementation name -> (model family, runner, needs the peer package)
RUNNERS: dict[str, tuple[str, Callable, str | None]] = {
    "crysgnn-zoo CGCNN": ("cgcnn", run_ours_cgcnn, None),
    "cgcnn2": ("cgcnn", run_cgcnn2, "cgcnn2"),
    "crysgnn-zoo ALIGNN": ("alignn", run_ours_alignn, None),
    "crysgnn-zoo ALIGNN bf16": ("alignn", run_ours_alignn_bf16, None),
    "crysgnn-zoo ALIGNN fast": ("alignn", run_ours_alignn_fast, None),
    "alignn": ("alignn", run_alignn, "alignn"),
}


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


def run_worker(name: str, folder: Path, epochs: int, batch_size: int, seed: int, out_json: Path,
               device: str = "cpu") -> int:
    family, runner, _ = RUNNERS[name]
    t0 = time.perf_counter()
    record = runner(folder, epochs, batch_size, seed, device=device)
    record.update(name=name, family=family, epochs=epochs, batch_size=batch_size, seed=seed, device=device,
                  wall_seconds=time.perf_counter() - t0, peak_rss_gib=peak_rss_gib(),
                  peak_gpu_gib=torch.cuda.max_memory_allocated() / 2**30 if device != "cpu" else None,
                  threads=torch.get_num_threads())
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
    p.add_argument("--device", default="cpu", help="torch device for every implementation (cpu, cuda)")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--worker-epochs", type=int, help=argparse.SUPPRESS)
    p.add_argument("--worker-json", type=Path, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        return run_worker(args.worker, args.sample_dir, args.worker_epochs, args.batch_size, args.seed, args.worker_json,
                          args.device)

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
                   "--seed", str(args.seed), "--device", args.device]
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
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, " +
                   (torch.cuda.get_device_name(0) if args.device != "cpu" else "CPU only"),
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
