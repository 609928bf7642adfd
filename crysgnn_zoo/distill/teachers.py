"""Teachers: a CrysGNN release or checkpoint folder, or a foundation model, loaded by name.

:func:`load_teacher` is the one entry point; :func:`teacher_card` says what a
teacher saw without loading it.

Every teacher gives, for the crystals of a :class:`GraphStore`, one embedding per
atom in store order (``embed_store(store) -> (n_atoms, embedding_dim)``), so the
student and the teacher see the same atoms in the same order. CrysGNN encoders
also embed a batched graph (``embed(g)``); a foundation model that builds its own
graphs from structures only embeds whole stores, and its embeddings are cached on
disk (``$CRYSGNN_ZOO_CACHE/teachers/<name>/<store digest>.npy``).

A teacher's ``card`` says what it saw: ``labels_used`` and ``not_clean_for``
(data sets whose crystals or labels it was trained on, so a distillation gain
there is not a clean comparison).
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from crysgnn_zoo.progress import bar as progress_bar

from crysgnn_zoo.errors import ConfigError, MissingExtraError
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.hub.resolve import load_released, resolve_weights
from crysgnn_zoo.paths import cache_dir

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from dgl import DGLGraph


MP_DERIVED_SETS = ("mp_37k", "mp_ehull", "mp_elastic")

#: What each foundation-model teacher saw (the CrysGNN releases carry theirs in card.json).
TEACHER_CARDS = {
    "chgnet-0.3.0": {
        "name": "chgnet-0.3.0", "architecture": "chgnet",
        "data": "MPtrj: ~146K Materials Project materials (relaxation trajectories)",
        "labels_used": "DFT energies, forces, stresses and magnetic moments",
        "not_clean_for": list(MP_DERIVED_SETS),
    },
}


def store_digest(store: GraphStore) -> str:
    """Content hash of the crystals of ``store`` (ids, species, positions, lattices)."""
    h = hashlib.sha256()
    for part in (np.asarray(store.ids, dtype=str).astype("U"), store.n_atoms, store.atomic_numbers,
                 store.positions, store.lattices):
        h.update(np.ascontiguousarray(part).tobytes())
    return h.hexdigest()[:20]


def structures_of(store: GraphStore) -> list:
    """pymatgen ``Structure`` objects of every crystal of ``store``, atoms in store order."""
    from pymatgen.core import Lattice, Structure

    out = []
    for k in range(len(store)):
        lo, hi = store.node_ptr[k], store.node_ptr[k + 1]
        out.append(Structure(Lattice(np.asarray(store.lattices[k], dtype=np.float64)),
                             store.atomic_numbers[lo:hi].tolist(),
                             np.asarray(store.positions[lo:hi], dtype=np.float64), coords_are_cartesian=True))
    return out


class CHGNetTeacher(nn.Module):
    """CHGNet's atom features after its last interaction block (64-d), from the ``chgnet``
    package (``pip install '.[chgnet]'``; its weights ship inside the wheel)."""

    embedding_dim = 64

    def __init__(self, model_name: str = "0.3.0", batch_size: int = 32) -> None:
        super().__init__()
        try:
            from chgnet.model import CHGNet
        except ImportError:
            raise MissingExtraError("the CHGNet teacher needs the chgnet extra: pip install 'crysgnn-zoo[chgnet]'") \
                from None
        self.name = f"chgnet-{model_name}"
        self.batch_size = batch_size
        self.model = [CHGNet.load(model_name=model_name, use_device="cpu", verbose=False)]  # not a submodule
        self.card = dict(TEACHER_CARDS[self.name])

    def embed(self, g: DGLGraph) -> torch.Tensor:
        raise ConfigError(f"{self.name} embeds whole graph stores only (it builds its own graphs): "
                          "use the teacher-embedding cache (DistilledModel.prepare(store, cache=True))")

    def embed_store(self, store: GraphStore, device: str = "cpu") -> torch.Tensor:
        """``(n_atoms, 64)`` atom features in store order, cached on disk by store content."""
        path = cache_dir("teachers", self.name) / f"{store_digest(store)}.npy"
        if path.exists():
            return torch.from_numpy(np.load(path))
        structures = structures_of(store)
        model = self.model[0]
        out = []
        for start in progress_bar(range(0, len(structures), self.batch_size), desc=f"{self.name} embeddings", leave=False):
            batch = structures[start:start + self.batch_size]
            predictions = model.predict_structure(batch, task="e", return_atom_feas=True, batch_size=len(batch))
            if isinstance(predictions, dict):  # chgnet returns a bare dict for a one-structure list
                predictions = [predictions]
            out.extend(np.asarray(p["atom_fea"], dtype=np.float32) for p in predictions)
        embeddings = np.concatenate(out) if out else np.zeros((0, self.embedding_dim), np.float32)
        if len(embeddings) != len(store.atomic_numbers):
            raise ConfigError(f"{self.name} gave {len(embeddings)} atom embeddings for {len(store.atomic_numbers)} atoms")
        np.save(path, embeddings)
        return torch.from_numpy(embeddings)


FOUNDATION_TEACHERS = {"chgnet-0.3.0": lambda: CHGNetTeacher("0.3.0")}


def teacher_card(name: str | Path) -> dict:
    """What teacher ``name`` saw, without loading it: ``not_clean_for`` lists the data sets whose
    crystals or labels it was trained on (a foundation model's static card, or a release's card.json)."""
    if str(name) in TEACHER_CARDS:
        return dict(TEACHER_CARDS[str(name)])
    card = json.loads((resolve_weights(name) / "card.json").read_text())
    card.setdefault("not_clean_for", [])  # a CrysGNN release saw structures only, no labels
    return card


def unseen_elements(card: dict, store: GraphStore, index: np.ndarray) -> tuple[list[str], int]:
    """Elements of the crystals ``index`` of ``store`` that the teacher never saw in pre-training
    (its card's ``elements``), as symbols, and how many of those crystals hold one; ``([], 0)``
    when the card lists no elements (a foundation model: nothing to compare with)."""
    from ase.data import chemical_symbols

    seen = set(int(z) for z in card.get("elements") or [])
    if not seen:
        return [], 0
    index = np.asarray(index)
    unseen = [z for z in store.elements(index) if z not in seen]
    if not unseen:
        return [], 0
    per_crystal = np.add.reduceat(np.isin(store.atomic_numbers, unseen).astype(np.int64), store.node_ptr[:-1])
    crystals = int(np.count_nonzero(per_crystal[index]))
    return [chemical_symbols[z] for z in unseen], crystals


def warn_unseen(card: dict, store: GraphStore, index: np.ndarray) -> dict:
    """One warning line when the training crystals hold elements the teacher never saw (its
    embeddings of those atoms are extrapolations); ``{"teacher_unseen_elements": [...],
    "teacher_unseen_crystals": n}`` for the run's record, ``{}`` when there are none."""
    symbols, crystals = unseen_elements(card, store, index)
    if not symbols:
        return {}
    log.warning("teacher %s never saw %s in pre-training; %d of %d training crystals hold them, and what it "
                "gives the student there is an extrapolation", card.get("name", "?"), " ".join(symbols),
                crystals, len(index))
    return {"teacher_unseen_elements": symbols, "teacher_unseen_crystals": crystals}


def load_teacher(name: str | Path = "crysgnn-v1", device: str = "cpu") -> nn.Module:
    """A frozen teacher in eval mode: a CrysGNN release or checkpoint folder
    (``embed(g) -> (n_atoms, 64)``), or a foundation model by name (``chgnet-0.3.0``,
    :mod:`crysgnn_zoo.distill.teachers`, which embeds whole graph stores).
    ``teacher.card`` says what the teacher saw.
    """
    if str(name) in FOUNDATION_TEACHERS:
        teacher = FOUNDATION_TEACHERS[str(name)]().eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        return teacher

    predictor = load_released(name, device)
    model = predictor.model.to(device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    model.graph_config = predictor.graph_config
    model.card = predictor.card
    return model
