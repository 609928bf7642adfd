"""Synthetic crystals from data-mined ion substitutions: charge-balanced, rescaled, named after their parent."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("pymatgen.analysis.structure_prediction.substitution_probability")

from crysgnn_zoo.config import GraphConfig  # noqa: E402
from crysgnn_zoo.data.structures import atoms_from_arrays  # noqa: E402
from crysgnn_zoo.graphs.build import build_one  # noqa: E402
from crysgnn_zoo.pretrain.curate import CurateConfig, curate, load_curated  # noqa: E402
from crysgnn_zoo.pretrain.substitute import substitutions  # noqa: E402


def _atoms(name: str, structure: str, a: float):
    from ase.build import bulk

    ase_atoms = bulk(name, structure, a=a)
    return atoms_from_arrays(ase_atoms.cell.array, ase_atoms.get_scaled_positions(), ase_atoms.get_chemical_symbols(),
                             name)


def test_rock_salt_children_are_charge_balanced_rescaled_and_named_after_their_parent():
    from pymatgen.core import Species

    parent = _atoms("NaCl", "rocksalt", 5.64)
    children = list(substitutions(parent, "nacl-1", threshold=1e-3, max_per_parent=5))
    assert 1 <= len(children) <= 5
    assert [c.probability for c in children] == sorted((c.probability for c in children), reverse=True)
    again = list(substitutions(parent, "nacl-1", threshold=1e-3, max_per_parent=5))
    assert [c.entry.id for c in again] == [c.entry.id for c in children]  # no random draw
    for child in children:
        assert child.parent == "nacl-1" and child.entry.id == f"nacl-1|{child.substitution}"
        atoms, _ = build_one(child.entry, GraphConfig())  # passes the data policies
        mapping = {Species.from_str("Na+"): Species.from_str("Na+"), Species.from_str("Cl-"): Species.from_str("Cl-")}
        for pair in child.substitution.split(","):
            old, new = pair.split(">")
            mapping[Species.from_str(old)] = Species.from_str(new)
        assert sum(new.oxi_state for new in mapping.values()) == 0  # one cation, one anion: balanced
        assert sorted(atoms.elements) == sorted(new.element.symbol for new in mapping.values())
        radii = [(old.ionic_radius, new.ionic_radius) for old, new in mapping.items()]
        if all(r is not None for pair in radii for r in pair):
            expected = sum(n ** 3 for _, n in radii) / sum(o ** 3 for o, _ in radii)
            assert atoms.volume / parent.volume == pytest.approx(expected, rel=1e-6)


def test_a_crystal_without_guessable_oxidation_states_has_no_children():
    assert list(substitutions(_atoms("Cu", "fcc", 3.61), "cu-1")) == []


def test_curate_adds_substituted_crystals_after_the_real_ones_and_records_them(tmp_path, monkeypatch):
    monkeypatch.setenv("CRYSGNN_ZOO_SMOKE", "1")  # the first 64 crystals of the sample
    manifest = curate(["mp_37k_sample"], tmp_path / "c", config=CurateConfig(substitute_threshold=1e-3,
                      substitute_max_per_parent=3), progress=False).manifest
    per = manifest["per_source"]
    assert per["mp_37k_sample"]["kept"] == 64 and per["substituted-mp_37k_sample"]["valid"] > 30
    assert manifest["synthetic"]["kept"] == per["substituted-mp_37k_sample"]["kept"]
    assert manifest["synthetic"]["threshold"] == 1e-3 and "unrelaxed" in manifest["synthetic"]["kind"]
    block = json.loads(next((tmp_path / "c").glob("block-*.json")).read_text())
    assert all("|" in s["id"] and s["id"].startswith(s["parent"] + "|") for s in block["synthetic"])
    store = load_curated(tmp_path / "c")
    assert len(store) == manifest["kept"]
    synthetic = np.array(["|" in i for i in store.ids])
    assert not synthetic[:64].any() and synthetic[64:].all()  # real crystals first
