"""CGCNN's regular-neighbour path against DGL's kernels."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from crysgnn_zoo._dgl import dgl
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.nets.cgcnn import regular_neighbours


def _outputs_and_grads(model, g):
    model.zero_grad(set_to_none=True)
    out = model(g)
    out.pow(2).sum().backward()
    return out.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def _reset_batchnorms(model):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.reset_running_stats()


@pytest.mark.parametrize("name", ["cgcnn", "crysxpp"])
def test_regular_path_equals_dgl_path(name, sample_store):
    g = collate(sample_store, np.arange(24))
    assert regular_neighbours(g) == 12  # the embedded sample: 12 neighbours for every atom
    torch.manual_seed(0)
    model = get_model(name).train()
    _reset_batchnorms(model)  # CrysXPP starts from pretrained statistics
    fast_out, fast_grads = _outputs_and_grads(model, g)
    fast_stats = [m.running_mean.clone() for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    _reset_batchnorms(model)
    model.regular_path = False
    slow_out, slow_grads = _outputs_and_grads(model, g)
    slow_stats = [m.running_mean.clone() for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    torch.testing.assert_close(fast_out, slow_out, rtol=1e-5, atol=1e-5)
    assert fast_grads.keys() == slow_grads.keys()
    for key in fast_grads:
        torch.testing.assert_close(fast_grads[key], slow_grads[key], rtol=1e-4, atol=1e-5, msg=key)
    for a, b in zip(fast_stats, slow_stats):
        torch.testing.assert_close(a, b)
    model.eval()
    with torch.no_grad():
        model.regular_path = True
        a = model(g)
        model.regular_path = False
        torch.testing.assert_close(a, model(g), rtol=1e-5, atol=1e-5)


def test_regular_neighbours_rejects_other_layouts(sample_store):
    g = collate(sample_store, np.arange(4))
    src, dst = g.edges()
    n = g.num_nodes()
    shuffled = dgl.graph((src.flip(0), dst.flip(0)), num_nodes=n)  # k per atom, not grouped in atom order
    assert regular_neighbours(shuffled) is None
    uneven = dgl.graph((src[1:], dst[1:]), num_nodes=n)  # atom 0 has 11 neighbours
    assert regular_neighbours(uneven) is None
    moved = dst.clone()
    moved[0], moved[12] = 1, 0  # same counts, one pair swapped out of order
    assert regular_neighbours(dgl.graph((src, moved), num_nodes=n)) is None
    assert regular_neighbours(dgl.graph(([], []), num_nodes=3)) is None


def test_irregular_batch_takes_dgl_path_and_still_trains(sample_store):
    g = collate(sample_store, np.arange(4))
    src, dst = g.edges()
    keep = torch.ones(len(src), dtype=torch.bool)
    keep[:3] = False  # atom 0 keeps 9 of its 12 neighbours
    h = dgl.graph((src[keep], dst[keep]), num_nodes=g.num_nodes())
    h.ndata["atomic_number"] = g.ndata["atomic_number"]
    h.edata["distance"] = g.edata["distance"][keep]
    h.set_batch_num_nodes(g.batch_num_nodes())
    h.set_batch_num_edges(torch.tensor([int(g.batch_num_edges()[0]) - 3, *g.batch_num_edges()[1:].tolist()]))
    assert regular_neighbours(h) is None
    torch.manual_seed(0)
    model = get_model("cgcnn")
    out = model(h)
    assert out.shape == (4, 1) and torch.isfinite(out).all()
