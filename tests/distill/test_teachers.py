"""The teacher interface: embeddings per atom in store order, a foundation-model teacher, the missing extra,
the untrained control teacher."""
from __future__ import annotations

import json
import sys
from itertools import islice

import numpy as np
import pytest
import torch
from ase.data import chemical_symbols

from crysgnn_zoo.config import DistillConfig, GraphConfig
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.data.structures import atoms_from_arrays
from crysgnn_zoo.distill.model import TeacherEmbeddingCache
from crysgnn_zoo.distill.teachers import load_teacher, store_digest, teacher_card
from crysgnn_zoo.errors import MissingExtraError
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.graphs.build import build_entries, neighbors_of
from crysgnn_zoo.graphs.store import GraphStore


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "chgnet.model", None)  # as if chgnet were not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'crysgnn-zoo\[chgnet\]'"):
        load_teacher("chgnet-0.3.0")


def _store(atoms_list):
    nls = [neighbors_of(a, GraphConfig()) for a in atoms_list]
    return GraphStore.from_graphs([f"c{i}" for i in range(len(atoms_list))],
                                  [np.asarray(a.atomic_numbers, dtype=np.uint8) for a in atoms_list],
                                  [np.asarray(a.lattice_mat) for a in atoms_list], nls, {})


@pytest.fixture(scope="module")
def crystal_and_permuted():
    store, _, _ = build_entries(list(islice(dataset_source("mp_37k_sample").entries(), 3)), GraphConfig(), [],
                                progress=False)
    k = int(np.argmax(store.n_atoms))  # the largest of three, several species
    lo, hi = store.node_ptr[k], store.node_ptr[k + 1]
    lattice = np.asarray(store.lattices[k], dtype=np.float64)
    frac = np.asarray(store.positions[lo:hi], dtype=np.float64) @ np.linalg.inv(lattice)
    symbols = [chemical_symbols[z] for z in store.atomic_numbers[lo:hi]]
    perm = np.random.default_rng(0).permutation(hi - lo)
    a = atoms_from_arrays(lattice, frac, symbols, "a")
    b = atoms_from_arrays(lattice, frac[perm], [symbols[i] for i in perm], "b")
    return _store([a]), _store([b]), perm


def test_crysgnn_teacher_follows_the_atom_order(crystal_and_permuted):
    a, b, perm = crystal_and_permuted
    teacher = load_teacher("crysgnn-v1")
    ea, eb = TeacherEmbeddingCache(teacher, a).embeddings, TeacherEmbeddingCache(teacher, b).embeddings
    assert torch.allclose(ea[perm], eb, atol=1e-4)
    assert store_digest(a) != store_digest(b)


def test_chgnet_teacher_follows_the_atom_order_and_caches(crystal_and_permuted, tmp_path, monkeypatch):
    pytest.importorskip("chgnet")
    monkeypatch.setenv("CRYSGNN_ZOO_CACHE", str(tmp_path))
    a, b, perm = crystal_and_permuted
    teacher = load_teacher("chgnet-0.3.0")
    ea = TeacherEmbeddingCache(teacher, a).embeddings
    eb = TeacherEmbeddingCache(teacher, b).embeddings
    assert ea.shape == (len(a.atomic_numbers), 64) and torch.allclose(ea[perm], eb, atol=1e-4)
    assert len(list((tmp_path / "teachers" / "chgnet-0.3.0").glob("*.npy"))) == 2  # cached on disk
    assert teacher.card["not_clean_for"] == ["mp_37k", "mp_ehull", "mp_elastic"]
    model = get_model("cgcnn", distill=DistillConfig(teacher="chgnet-0.3.0"))
    assert model.teacher_model.name == "chgnet-0.3.0" and model.projection.in_features == 64


def test_teacher_cards_say_which_tables_are_not_clean():
    from benchmarks.run import markdown

    assert teacher_card("chgnet-0.3.0")["not_clean_for"] == ["mp_37k", "mp_ehull", "mp_elastic"]
    assert teacher_card("crysgnn-v1")["not_clean_for"] == []
    meta = {"dataset": "mp", "data": "mp_37k (36,737 MP crystals)", "profile": "quick", "profile_description": "q",
            "epochs": 1, "teacher": "chgnet-0.3.0", "alpha": 0.5, "machine": "m", "graphs_from_cache": False,
            "graph_build_seconds": 1.0, "teacher_not_clean_for": teacher_card("chgnet-0.3.0")["not_clean_for"]}
    assert "Not a clean comparison for this teacher" in markdown(meta, [])
    assert "Not a clean comparison" not in markdown({**meta, "dataset": "perov_5", "data": "perov_5"}, [])


def test_random_control_teacher_loads_by_name_and_is_reproducible(crystal_and_permuted, tmp_path, script):
    a, _, _ = crystal_and_permuted
    make = script("random_teacher").main
    make(["--like", "crysgnn-v1", "--seed", "0", "--name", "crysgnn-randomtest"])  # into the (test) weights cache
    make(["--seed", "0", "--out", str(tmp_path / "again")])
    make(["--seed", "1", "--out", str(tmp_path / "other")])
    random0, trained = load_teacher("crysgnn-randomtest"), load_teacher("crysgnn-v1")
    sha = {k: json.loads((tmp_path / k / "card.json").read_text())["sha256"] for k in ("again", "other")}
    assert random0.card["sha256"] == sha["again"] != sha["other"]
    assert teacher_card("crysgnn-randomtest")["data"]["labels_used"] == "none"
    assert random0.config == trained.config
    e0, e1 = (TeacherEmbeddingCache(t, a).embeddings for t in (random0, trained))
    assert e0.shape == e1.shape and not torch.allclose(e0, e1, atol=1e-3)


def test_released_teachers_list_the_elements_they_saw():
    for name in ("crysgnn-v1", "crysgnn-v2", "crysae-v1"):
        card = teacher_card(name)
        assert len(card["elements"]) == card["data"]["elements"] == 88, name


def test_training_elements_the_teacher_never_saw_are_named(sample_store, caplog):
    """A teacher whose card lacks oxygen: the warning names O and counts the training crystals
    holding it; a card listing every element, or none (a foundation model), warns of nothing."""
    import logging

    from crysgnn_zoo.distill.teachers import warn_unseen

    index = np.arange(200)
    present = sample_store.elements(index)
    card = {"name": "tiny-teacher", "elements": [z for z in present if z != 8]}
    with_o = sum(8 in sample_store.atomic_numbers[sample_store.node_ptr[k]:sample_store.node_ptr[k + 1]]
                 for k in index)
    assert with_o > 0
    with caplog.at_level(logging.WARNING):
        record = warn_unseen(card, sample_store, index)
    assert record == {"teacher_unseen_elements": ["O"], "teacher_unseen_crystals": with_o}
    assert "tiny-teacher never saw O" in caplog.text and f"{with_o} of 200 training crystals" in caplog.text
    assert warn_unseen({"elements": present}, sample_store, index) == {}
    assert warn_unseen({"name": "chgnet-0.3.0"}, sample_store, index) == {}
