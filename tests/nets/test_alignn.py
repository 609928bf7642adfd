"""ALIGNN's bond-angle line graph on a crystal whose angles are known."""
from __future__ import annotations

import numpy as np

from crysgnn_zoo._dgl import dgl
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.neighbors import find_neighbors
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.nets.alignn import bond_angle_cosines


def test_cscl_bond_angles_are_the_cube_vertex_angles():
    lattice = np.eye(3) * 4.0
    nl = find_neighbors(lattice, np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]]), 3.6, None)  # 8 neighbours each
    store = GraphStore.from_graphs(["CsCl"], [np.array([55, 17], np.uint8)], [lattice], [nl])
    g = collate(store, [0], with_vectors=True)
    lg = dgl.line_graph(g, backtracking=True)
    angles = np.degrees(np.arccos(bond_angle_cosines(g, lg).numpy()))
    values, counts = np.unique(np.round(angles, 1), return_counts=True)
    # per centre, 8 incoming bonds x 8 outgoing bonds = 64 ordered pairs:
    # 8 back along the same atom (0 deg), 24 at 70.5, 24 at 109.5, 8 opposite (180)
    assert dict(zip(values.tolist(), counts.tolist())) == {0.0: 16, 70.5: 48, 109.5: 48, 180.0: 16}


def _tiny_alignn_batch(sample_store, n=6):
    import torch

    from crysgnn_zoo.registry import get_model

    torch.manual_seed(0)
    model = get_model("alignn", alignn_layers=2, gcn_layers=1, hidden_dim=16, embedding_dim=8)
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
    monkeypatch.setattr(layers, "_use_torch_kernels", lambda x: True)
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
