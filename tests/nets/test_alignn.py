"""ALIGNN's bond-angle line graph on a crystal whose angles are known."""
from __future__ import annotations

import numpy as np
import pytest

from crysgnn_zoo._dgl import dgl
from crysgnn_zoo.backend import ops
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.neighbors import find_neighbors
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.nets.alignn import bond_angle_cosines


def test_cscl_bond_angles_are_the_cube_vertex_angles():
    lattice = np.eye(3) * 4.0
    nl = find_neighbors(lattice, np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]]), 3.6, None)  # 8 neighbours each
    store = GraphStore.from_graphs(["CsCl"], [np.array([55, 17], np.uint8)], [lattice], [nl])
    g = collate(store, [0], with_vectors=True)
    lg = ops.line_graph(g)
    angles = np.degrees(np.arccos(bond_angle_cosines(g, lg).numpy()))
    values, counts = np.unique(np.round(angles, 1), return_counts=True)
    # per centre, 8 incoming bonds x 8 outgoing bonds = 64 ordered pairs:
    # 8 back along the same atom (0 deg), 24 at 70.5, 24 at 109.5, 8 opposite (180)
    assert dict(zip(values.tolist(), counts.tolist())) == {0.0: 16, 70.5: 48, 109.5: 48, 180.0: 16}


def _tiny_alignn_batch(sample_store, n=6):
    import torch

    from crysgnn_zoo.factory import get_model

    torch.manual_seed(0)
    model = get_model("alignn", alignn_layers=2, gcn_layers=1, hidden_dim=16, edge_embedding_dim=8)
    return model, collate(sample_store, np.arange(n), with_vectors=True)


def test_torch_message_passing_matches_dgl_kernels(sample_store, monkeypatch):
    """The torch path (used under bf16 autocast) computes the same outputs and weight gradients as DGL's."""
    import torch

    import crysgnn_zoo.nets.layers as layers

    model, g = _tiny_alignn_batch(sample_store)
    out_dgl = model(g)
    out_dgl.sum().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    monkeypatch.setattr(layers, "_use_torch_kernels", lambda g, x: True)
    out_torch = model(g)
    out_torch.sum().backward()
    assert torch.allclose(out_dgl, out_torch, atol=1e-5)
    for name, p in model.named_parameters():
        if name.endswith("weight") and name in grads:
            assert torch.allclose(p.grad, grads[name], atol=1e-4, rtol=1e-3), name


def test_bf16_autocast_runs_and_stays_close(sample_store):
    import torch

    model, g = _tiny_alignn_batch(sample_store)
    model.eval()
    with torch.no_grad():
        ref = model(g)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model(g).float()
    assert torch.isfinite(low).all()
    assert (low - ref).abs().max() < 0.05 * ref.abs().max() + 1e-3


def _loss_and_grads(model, g):
    out = model(g)
    (out.square().sum()).backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    return out.detach(), grads


def test_line_graph_checkpointing_changes_nothing_but_memory(sample_store):
    """Recomputing the line-graph convolutions in backward gives the same outputs and gradients."""
    import torch

    model, g = _tiny_alignn_batch(sample_store)
    model.train()
    ref, ref_grads = _loss_and_grads(model, g)
    model.config = model.config.replace(checkpoint_line_graph=True)
    out, grads = _loss_and_grads(model, g)
    assert torch.allclose(out, ref, atol=1e-6)
    assert grads.keys() == ref_grads.keys()
    for name, grad in grads.items():
        assert torch.allclose(grad, ref_grads[name], atol=1e-6, rtol=1e-5), name


@pytest.mark.parametrize("update_edges", [True, False])
def test_fused_training_step_matches_the_layer(update_edges, monkeypatch):
    """The tensor-only layer (what torch.compile fuses) equals the DGL layer: training outputs,
    every gradient, the BatchNorm running statistics, and evaluation outputs."""
    import copy

    import torch

    import crysgnn_zoo.nets.layers as layers

    torch.manual_seed(0)
    g = dgl.rand_graph(30, 200)
    ref = layers.EdgeGatedGraphConv(16, update_edges=update_edges).train()
    fused = copy.deepcopy(ref)
    assert layers.set_compiled_kernels(fused) == 1
    monkeypatch.setattr(layers, "compiled", lambda fn: fn)  # eager stand-in
    x = torch.randn(30, 16, requires_grad=True)
    e = torch.randn(200, 16, requires_grad=True)
    results = []
    for layer in (ref, fused):
        x_out, e_out = layer(g, x, e)
        (x_out.square().sum() + e_out.square().sum()).backward()
        results.append((x_out.detach(), e_out.detach(), x.grad.clone(), e.grad.clone(),
                        [p.grad.clone() for p in layer.parameters()]))
        x.grad, e.grad = None, None
    (xa, ea, gxa, gea, pa), (xb, eb, gxb, geb, pb) = results
    assert torch.allclose(xa, xb, atol=1e-5) and torch.allclose(ea, eb, atol=1e-5)
    assert torch.allclose(gxa, gxb, atol=1e-4) and torch.allclose(gea, geb, atol=1e-4)
    for a, b in zip(pa, pb):
        assert torch.allclose(a, b, atol=1e-3, rtol=1e-4)
    for name in ("bn_nodes", "bn_edges") if update_edges else ("bn_nodes",):
        bn_a, bn_b = getattr(ref, name), getattr(fused, name)
        assert torch.allclose(bn_a.running_mean, bn_b.running_mean, atol=1e-6)
        assert torch.allclose(bn_a.running_var, bn_b.running_var, atol=1e-5)
        assert int(bn_a.num_batches_tracked) == int(bn_b.num_batches_tracked) == 1
    ref.eval()
    fused.eval()
    with torch.no_grad():  # evaluation: running statistics
        for a, b in zip(ref(g, x, e), fused(g, x, e)):
            assert torch.allclose(a, b, atol=1e-5)


def test_compiled_training_step_matches_eager(sample_store):
    """torch.compile of the fused step (real compilation, once) gives the eager ALIGNN's outputs and gradients."""
    import torch

    from crysgnn_zoo.nets.layers import set_compiled_kernels

    model, g = _tiny_alignn_batch(sample_store)
    model.train()
    ref, ref_grads = _loss_and_grads(model, g)
    assert set_compiled_kernels(model) == 2 * 2 + 1
    out, grads = _loss_and_grads(model, g)
    assert torch.allclose(out, ref, atol=1e-4)
    for name, grad in grads.items():
        assert torch.allclose(grad, ref_grads[name], atol=1e-3, rtol=1e-3), name
    model.eval()
    with torch.no_grad():  # evaluation: running statistics, compiled too
        compiled_eval = model(g)
        set_compiled_kernels(model, False)
        assert torch.allclose(compiled_eval, model(g), atol=1e-4)


def test_configs_saved_with_the_old_embedding_dim_name_still_load():
    from crysgnn_zoo.nets.alignn import ALIGNNConfig

    old = {**ALIGNNConfig().to_dict(), "embedding_dim": 32}
    del old["edge_embedding_dim"]
    assert ALIGNNConfig.from_dict(old).edge_embedding_dim == 32
