"""Shared building blocks."""
from __future__ import annotations

import torch

from crysgnn_zoo.nets.layers import GaussianExpansion


def test_gaussian_expansion_matches_formula_and_zeroes_far_tails():
    rbf = GaussianExpansion(0.0, 8.0, 0.2)
    distance = torch.linspace(0.5, 8.0, 301)
    out = rbf(distance)
    assert out.shape == (301, 41)
    exact = torch.exp(-((distance.double().unsqueeze(-1) - rbf.centres.double()) ** 2) / 0.2**2)
    assert torch.allclose(out.double(), exact, rtol=1e-5, atol=1e-17)
    # far tails are exactly zero: no subnormals, and no tiny normals whose products with
    # small gradients would be subnormal (both run on a slow CPU path)
    floor = float(torch.exp(torch.tensor(GaussianExpansion.MIN_EXPONENT)))
    assert not bool(((out > 0) & (out < floor)).any())
    assert bool((out[exact < floor * 0.99] == 0).all()) and bool((out[exact > floor * 1.01] > 0).all())
    assert bool((out[:, 0][distance > 3] == 0).all())
    assert int((out == 0).sum()) > out.numel() // 2  # most of a 41-centre basis is far from any one distance
