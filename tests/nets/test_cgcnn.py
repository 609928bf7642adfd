"""CGCNN's fused (torch.compile-able) convolution against the DGL one."""
from __future__ import annotations

import copy

import torch

import crysgnn_zoo.nets.cgcnn as cgcnn
from crysgnn_zoo._dgl import dgl
from crysgnn_zoo.nets.layers import set_compiled_kernels


def test_fused_convolution_matches_the_dgl_one(monkeypatch):
    monkeypatch.setattr(cgcnn, "compiled", lambda fn: fn)  # the eager function torch.compile would fuse
    torch.manual_seed(0)
    g = dgl.rand_graph(30, 200)
    ref = cgcnn.CGCNNConv(16, 41).train()
    fused = copy.deepcopy(ref)
    assert set_compiled_kernels(fused) == 1
    h = torch.randn(30, 16, requires_grad=True)
    bond = torch.rand(200, 41)
    results = []
    for conv in (ref, fused):
        out = conv(g, h, bond)
        out.square().sum().backward()
        results.append((out.detach(), h.grad.clone(), [p.grad.clone() for p in conv.parameters()]))
        h.grad = None
    (oa, ha, pa), (ob, hb, pb) = results
    assert torch.allclose(oa, ob, atol=1e-5) and torch.allclose(ha, hb, atol=1e-4)
    for a, b in zip(pa, pb):
        assert torch.allclose(a, b, atol=1e-3, rtol=1e-4)
    for bn_a, bn_b in ((ref.bn_message, fused.bn_message), (ref.bn_sum, fused.bn_sum)):
        assert torch.allclose(bn_a.running_mean, bn_b.running_mean, atol=1e-6)
        assert torch.allclose(bn_a.running_var, bn_b.running_var, atol=1e-5)
    ref.eval()
    fused.eval()
    with torch.no_grad():
        assert torch.allclose(ref(g, h, bond), fused(g, h, bond), atol=1e-5)
