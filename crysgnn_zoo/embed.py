"""Learned representations for users: a teacher's or a property model's embeddings of any structures.

    import crysgnn_zoo as cz
    crystals = cz.embed("crysgnn-v1", ["a.cif", "cifs/"])            # one row per crystal
    atoms = cz.embed("crysgnn-v1", "a.cif", level="atom")             # one row per atom

The model is a CrysGNN teacher (``crysgnn-v1``, ``crysgnn-v2``), a foundation-model teacher
(``chgnet-0.3.0``, with the ``chgnet`` extra), a released property model or a checkpoint folder.
Its representation is the per-atom embedding of its last message-passing layer (what distillation
matches; a property model's head is not used); the crystal level is the mean of it over the
crystal's atoms (:data:`POOLING`). Structures are taken as :func:`crysgnn_zoo.predict.predict` takes
them, and a structure that cannot be read keeps its row, with the reason and no embedding.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch

from crysgnn_zoo.backend import check_device, for_device
from crysgnn_zoo.data.tables import write_table
from crysgnn_zoo.progress import bar as progress_bar

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.errors import NoUsableDataError
from crysgnn_zoo.distill.teachers import FOUNDATION_TEACHERS, load_teacher
from crysgnn_zoo.graphs.build import build_entries
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.hub.resolve import load_released
from crysgnn_zoo.predict import structure_entries

#: How a crystal's embedding is made from its atoms'.
POOLING = "mean over the crystal's atoms of the per-atom embeddings"
LEVELS = ("crystal", "atom")


@dataclass
class Encoder:
    """A model reduced to what embedding needs: its atom embeddings and the graphs it reads."""

    name: str
    module: torch.nn.Module
    graph_config: GraphConfig

    def atom_embeddings(self, store: GraphStore, batch_size: int = 256, device: str = "cpu",
                        progress: bool = False) -> np.ndarray:
        """``(n_atoms, dim)`` float32, atoms in store order."""
        module = self.module.to(device).eval()
        if hasattr(module, "embed_store"):  # a foundation model that builds its own graphs
            return module.embed_store(store, device=device).float().cpu().numpy()
        loader = GraphLoader(store, np.arange(len(store)), None, batch_size,
                             with_vectors=getattr(module, "needs_vectors", False), backend=for_device(device))
        out = []
        with torch.no_grad():
            for g, _, _ in progress_bar(loader, desc=f"{self.name} embeddings", unit="batch", disable=not progress):
                out.append(module.embed(g.to(device)).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def crystal_embeddings(encoder: Encoder, store: GraphStore, batch_size: int = 256, device: str = "cpu",
                       progress: bool = False) -> np.ndarray:
    """``(n_crystals, dim)``: the :data:`POOLING` of each crystal of ``store``."""
    return pool_atoms(encoder.atom_embeddings(store, batch_size, device, progress), store)


def pool_atoms(atoms: np.ndarray, store: GraphStore) -> np.ndarray:
    """Per-crystal means of per-atom rows ``atoms`` (store order)."""
    return np.add.reduceat(atoms, store.node_ptr[:-1], axis=0) / store.n_atoms[:, None]


def load_encoder(model: str | Path, device: str = "cpu") -> Encoder:
    """A teacher by name (``crysgnn-v1``, ``chgnet-0.3.0``), a released property model or a
    checkpoint folder, verified like :func:`crysgnn_zoo.predict.load_model`."""
    if str(model) in FOUNDATION_TEACHERS:
        return Encoder(str(model), load_teacher(str(model), device), GraphConfig())
    predictor = load_released(model, device)
    return Encoder(Path(str(model)).name, predictor.model, predictor.graph_config)


def embed(
    model: str | Path | Encoder,
    structures: Any,
    *,
    level: Literal["crystal", "atom"] = "crystal",
    batch_size: int = 256,
    device: str = "cpu",
    workers: int = 1,
    progress: bool = False,
) -> pd.DataFrame:
    """Embeddings of ``structures`` (the kinds :func:`crysgnn_zoo.predict.predict` takes).

    Returns:
        ``level="crystal"``: one row per structure, in input order: ``id``, ``error`` (why it could
        not be read, else ``""``), ``n_atoms``, ``e0`` ... ``e{dim-1}`` (NaN for an unread structure).
        ``level="atom"``: one row per atom: ``id``, ``error``, ``site`` (index in the structure as
        read), ``element``, ``e0`` ...; an unread structure has one row with its error, site -1.
        ``attrs``: ``model``, ``level``, ``pooling``, ``dim``.

    Raises:
        ValueError: an unknown ``level``.
        NoUsableDataError: no structure was given or none could be read.
    """
    check_device(device)
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    encoder = model if isinstance(model, Encoder) else load_encoder(model, device)
    entries = structure_entries(structures)
    if not entries:
        raise NoUsableDataError(str(structures)[:80], "no structures given")
    store, skipped, _ = build_entries(entries, encoder.graph_config, [], workers=workers, progress=progress,
                                      total=len(entries), desc="structures")
    if len(store) == 0:
        raise NoUsableDataError(entries[0].where if len(entries) == 1 else f"{len(entries)} structures",
                                f"none could be read, nothing embedded: {skipped.summary(3)}")
    atoms = encoder.atom_embeddings(store, batch_size, device, progress)
    reasons = {s.where: s.reason for s in skipped}
    table = (_crystal_table if level == "crystal" else _atom_table)(entries, reasons, store, atoms)
    table.attrs.update(model=encoder.name, level=level, pooling=POOLING if level == "crystal" else None,
                       dim=atoms.shape[1])
    return table


def _columns(dim: int) -> list[str]:
    return [f"e{k}" for k in range(dim)]


def _crystal_table(entries, reasons: dict, store: GraphStore, atoms: np.ndarray) -> pd.DataFrame:
    dim = atoms.shape[1]
    pooled = pool_atoms(atoms, store)
    values = np.full((len(entries), dim), np.nan, np.float32)
    ids, errors, n_atoms, k = [], [], [], 0
    for row, entry in enumerate(entries):
        ids.append(entry.id)
        errors.append(reasons.get(entry.where, ""))
        if entry.where in reasons:
            n_atoms.append(0)
            continue
        values[row] = pooled[k]
        n_atoms.append(int(store.n_atoms[k]))
        k += 1
    head = pd.DataFrame({"id": ids, "error": errors, "n_atoms": n_atoms})
    return pd.concat([head, pd.DataFrame(values, columns=_columns(dim))], axis=1)


def _atom_table(entries, reasons: dict, store: GraphStore, atoms: np.ndarray) -> pd.DataFrame:
    from ase.data import chemical_symbols

    dim = atoms.shape[1]
    parts, k = [], 0
    for entry in entries:
        if entry.where in reasons:
            parts.append((pd.DataFrame({"id": [entry.id], "error": [reasons[entry.where]], "site": [-1],
                                        "element": [""]}), np.full((1, dim), np.nan, np.float32)))
            continue
        lo, hi = store.node_ptr[k], store.node_ptr[k + 1]
        parts.append((pd.DataFrame({"id": entry.id, "error": "", "site": np.arange(hi - lo),
                                    "element": [chemical_symbols[z] for z in store.atomic_numbers[lo:hi]]}),
                      atoms[lo:hi]))
        k += 1
    head = pd.concat([p for p, _ in parts], ignore_index=True)
    values = pd.DataFrame(np.concatenate([v for _, v in parts]), columns=_columns(dim))
    return pd.concat([head, values], axis=1)


def write_embeddings(table: pd.DataFrame, path: str | Path) -> Path:
    """``table`` as Parquet (``.parquet``), CSV (``.csv``) or NumPy arrays (``.npz``: ``ids``,
    ``errors``, ``embeddings``, and for atoms ``sites`` and ``elements``), chosen by extension.

    Raises:
        ValueError: another extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table.to_parquet(path, index=False)
    elif suffix == ".csv":
        write_table(table, path, "%.7g")
    elif suffix == ".npz":
        emb = table[[c for c in table.columns if c.startswith("e") and c[1:].isdigit()]].to_numpy(np.float32)
        extra = {"sites": table.site.to_numpy(), "elements": table.element.to_numpy(str)} if "site" in table else {}
        np.savez_compressed(path, ids=table.id.to_numpy(str), errors=table.error.to_numpy(str), embeddings=emb,
                            **extra)
    else:
        raise ValueError(f"{path}: write embeddings to .parquet, .csv or .npz (chosen by the extension)")
    return path
