"""Neighbour search: equality with ASE and physical invariances, on real crystals."""
from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms as AseAtoms
from ase.neighborlist import neighbor_list

from crysgnn_zoo.graphs import neighbors
from crysgnn_zoo.graphs.neighbors import (
    IsolatedAtomsError,
    bond_vectors,
    NeighborList,
    find_neighbors,
    same_neighbors,
    wrap_fractional,
)


@pytest.fixture(autouse=True, params=["dense", "tree"])
def search(request, monkeypatch):
    """Every test here runs on both searches: the dense one (cells up to DENSE_LIMIT) and the
    k-d tree one (larger cells), forced by the limit."""
    if request.param == "tree":
        monkeypatch.setattr(neighbors, "DENSE_LIMIT", 0)
    return request.param


def test_the_tree_search_finds_what_the_dense_search_finds(sample_atoms, search):
    """Uncapped: identical (centre, neighbour, bond vector) sets. Capped at 12: the same distances
    at every centre (between equidistant images at the 12th distance the two may pick differently)."""
    if search == "dense":
        pytest.skip("compares the tree search with the dense one")
    for atoms in sample_atoms[:40]:
        lattice, frac = np.asarray(atoms.lattice_mat), np.asarray(atoms.frac_coords)
        for cap in (None, 12):
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(neighbors, "DENSE_LIMIT", 10**15)
                dense = find_neighbors(lattice, frac, 8.0, cap)
            ours = find_neighbors(lattice, frac, 8.0, cap)
            if cap is None:
                assert same_neighbors(ours, lattice, dense.dst, dense.src, bond_vectors(dense, lattice))
            assert np.array_equal(ours.dst, dense.dst) and np.allclose(ours.distance, dense.distance, atol=1e-9)


def _per_atom_distances(nl, n_atoms):
    return [np.sort(nl.distance[nl.dst == i]) for i in range(n_atoms)]


def _to_ase(atoms):
    a = AseAtoms(numbers=atoms.atomic_numbers, cell=atoms.lattice_mat, pbc=True)
    a.set_scaled_positions(wrap_fractional(np.asarray(atoms.frac_coords)))
    return a


def test_boundary_atom_wrapped_differently_still_matches_ase():
    """An atom at x = -5.6e-17 (mp-14206): ASE keeps it there, we wrap it to 0."""
    lattice = np.diag([4.0, 4.0, 4.0])
    frac = np.array([[0.25, 0.25, 0.25], [-5.6e-17, 0.5, 0.5]])
    a = AseAtoms(numbers=[8, 8], cell=lattice, pbc=True, scaled_positions=frac)
    i, j, _, vec = neighbor_list("ijdD", a, 6.0)
    nl = find_neighbors(lattice, frac, 6.0, None)
    assert same_neighbors(nl, lattice, i, j, vec)


@pytest.mark.parametrize("cutoff", [4.0, 8.0])
def test_full_neighbor_sets_equal_ase(sample_atoms, cutoff):
    for atoms in sample_atoms:
        a = _to_ase(atoms)
        i, j, d, vec = neighbor_list("ijdD", a, cutoff)
        nl = find_neighbors(a.cell.array, a.get_scaled_positions(wrap=False), cutoff, max_neighbors=None)
        # atoms ASE finds alone were connected further out by the "nearest" rule
        lonely = sorted(set(range(len(a))) - set(i.tolist()))
        assert nl.n_isolated == len(lonely)
        assert sorted(set(nl.dst[nl.distance > cutoff].tolist())) == lonely
        inside = nl.distance <= cutoff
        kept = NeighborList(nl.src[inside], nl.dst[inside], nl.distance[inside], nl.image[inside], nl.positions)
        assert same_neighbors(kept, a.cell.array, i, j, vec)
        assert np.allclose(np.sort(nl.distance[inside]), np.sort(d), atol=1e-6)


def test_capped_neighbors_are_the_k_nearest_of_ase(sample_atoms):
    for atoms in sample_atoms[:20]:
        a = _to_ase(atoms)
        i, _, d, _ = neighbor_list("ijdS", a, 8.0)
        nl = find_neighbors(a.cell.array, a.get_scaled_positions(wrap=False), 8.0, max_neighbors=12)
        for center, dist in enumerate(_per_atom_distances(nl, len(a))):
            expected = np.sort(d[i == center])[:12]
            assert np.allclose(dist, expected, atol=1e-6)


def test_edges_sorted_and_capped(sample_atoms):
    atoms = sample_atoms[3]
    nl = find_neighbors(atoms.lattice_mat, atoms.frac_coords, 8.0, 12)
    assert np.all(np.diff(nl.dst) >= 0)
    counts = np.bincount(nl.dst, minlength=atoms.num_atoms)
    assert counts.max() <= 12 and counts.min() >= 1
    for center in range(atoms.num_atoms):
        assert np.all(np.diff(nl.distance[nl.dst == center]) >= 0)


def test_translation_invariance(sample_atoms, rng):
    for atoms in sample_atoms[:15]:
        frac = np.asarray(atoms.frac_coords)
        ref = find_neighbors(atoms.lattice_mat, frac, 8.0, 12)
        moved = find_neighbors(atoms.lattice_mat, frac + rng.uniform(-3, 3, size=3), 8.0, 12)
        for a, b in zip(_per_atom_distances(ref, len(frac)), _per_atom_distances(moved, len(frac))):
            assert np.allclose(a, b, atol=1e-6)


def test_permutation_invariance(sample_atoms, rng):
    for atoms in sample_atoms[:15]:
        frac = np.asarray(atoms.frac_coords)
        perm = rng.permutation(len(frac))
        ref = _per_atom_distances(find_neighbors(atoms.lattice_mat, frac, 8.0, 12), len(frac))
        new = _per_atom_distances(find_neighbors(atoms.lattice_mat, frac[perm], 8.0, 12), len(frac))
        for k, old_index in enumerate(perm):
            assert np.allclose(new[k], ref[old_index], atol=1e-6)


def test_supercell_invariance(sample_atoms):
    for atoms in sample_atoms[:15]:
        a = _to_ase(atoms)
        ref = _per_atom_distances(find_neighbors(a.cell.array, a.get_scaled_positions(), 8.0, 12), len(a))
        big = a.repeat((2, 1, 1))  # atoms of copy c follow those of copy c-1
        new = _per_atom_distances(find_neighbors(big.cell.array, big.get_scaled_positions(), 8.0, 12), len(big))
        for k, dist in enumerate(new):
            assert np.allclose(dist, ref[k % len(a)], atol=1e-5)


def test_isolated_atoms_connect_to_nearest_or_raise():
    lattice = np.eye(3) * 20.0
    frac = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]])  # 17.3 Angstrom apart
    nl = find_neighbors(lattice, frac, cutoff=8.0, max_neighbors=12, isolated="nearest")
    assert nl.n_isolated == 2
    assert set(nl.dst.tolist()) == {0, 1}
    assert np.isclose(nl.distance.min(), np.sqrt(3) * 10.0)
    with pytest.raises(IsolatedAtomsError, match="no neighbour within 8.0"):
        find_neighbors(lattice, frac, cutoff=8.0, isolated="error")
    far = np.eye(3) * 80.0  # atoms 69 Angstrom apart: nothing within the 32 Angstrom limit
    with pytest.raises(IsolatedAtomsError, match="no neighbour within 32.0"):
        find_neighbors(far, frac, cutoff=8.0, isolated="nearest", max_isolated_radius=32.0)


def test_overlapping_atoms_rejected():
    with pytest.raises(ValueError, match="overlap"):
        find_neighbors(np.eye(3) * 4.0, np.array([[0.1, 0.1, 0.1], [0.1, 0.1, 0.1]]), 5.0)


def test_single_atom_cell_sees_its_images():
    nl = find_neighbors(np.eye(3) * 3.0, np.zeros((1, 3)), cutoff=3.5, max_neighbors=None)
    assert len(nl.src) == 6 and np.allclose(nl.distance, 3.0)
