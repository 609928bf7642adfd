"""The overlap check of large cells: a k-d tree, equal to the all-pairs comparison."""
from __future__ import annotations

import numpy as np
import pytest

from crysgnn_zoo.data import checks


@pytest.mark.parametrize("seed", range(6))
def test_the_tree_finds_the_same_closest_pair_as_all_pairs(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    lattice = np.diag(rng.uniform(5, 12, 3)) + rng.normal(0, 1, (3, 3))
    frac = rng.random((300, 3))
    radius = rng.uniform(0.3, 1.2)
    monkeypatch.setattr(checks, "TREE_ABOVE", 10**9)
    dense = checks.closest_pair(lattice, frac, radius)
    monkeypatch.setattr(checks, "TREE_ABOVE", 0)
    tree = checks.closest_pair(lattice, frac, radius)
    assert (dense is None and tree is None) or (dense[:2] == tree[:2] and dense[2] == pytest.approx(tree[2]))


def test_an_atom_near_its_own_image_and_a_duplicate_are_found_by_the_tree(monkeypatch):
    monkeypatch.setattr(checks, "TREE_ABOVE", 0)
    small = np.eye(3) * 0.4
    assert checks.closest_pair(small, np.array([[0.1, 0.1, 0.1]]), 0.5)[:2] == (0, 0)
    frac = np.random.default_rng(0).random((50, 3))
    frac[17] = frac[3] + 1e-4
    assert checks.closest_pair(np.eye(3) * 20, frac, 0.5)[:2] == (3, 17)
