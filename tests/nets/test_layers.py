"""Shared building blocks."""
from __future__ import annotations

import torch

from crysgnn_zoo.nets.layers import GaussianExpansion


def test_gaussian_expansion_matches_formula_without_subnormals():
    rbf = GaussianExpansion(0.0, 8.0, 0.2)
    distance = torch.linspace(0.5, 8.0, 301)
    out = rbf(distance)
    assert out.shape == (301, 41)
    exact = torch.exp(-((distance.double().unsqueeze(-1) - rbf.centres.double()) ** 2) / 0.2**2)
    assert torch.allclose(out.double(), exact, rtol=1e-5, atol=1e-30)
    # far tails are floored at exp(-80), never float32 subnormals (slow CPU path)
    tiny = torch.finfo(torch.float32).tiny
    assert not bool(((out > 0) & (out < tiny)).any())
    assert float(out.min()) > 0
    assert torch.allclose(out[:, 0][distance > 3], torch.full_like(out[:, 0][distance > 3], float(torch.exp(torch.tensor(-80.0)))))
