"""GATGNN: attention normalisation, composition context, global attention pooling."""
from __future__ import annotations

import numpy as np
import torch

from crysgnn_zoo.backend import ops
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.nets.gatgnn import GATGNN, GATGNNConfig, composition


def test_composition_is_each_crystals_element_fractions(sample_store):
    g = collate(sample_store, [0, 1])
    comp = composition(g)
    z = g.ndata["atomic_number"].numpy()
    n0 = int(g.batch_num_nodes()[0])
    expected = np.bincount(z[:n0], minlength=comp.shape[1]) / n0
    assert np.allclose(comp[0].numpy(), expected) and np.allclose(comp[n0 - 1].numpy(), expected)
    assert torch.allclose(comp.sum(1), torch.ones(g.num_nodes()))


def test_neighbour_attention_and_global_weights_sum_to_one(sample_store):
    torch.manual_seed(0)
    model = GATGNN(GATGNNConfig(n_layers=1)).eval()
    g = collate(sample_store, np.arange(5))
    layer = model.layers[0]
    captured = {}
    original = ops.edge_softmax

    def spy(graph, logits):
        out = original(graph, logits)
        captured["a"] = out
        return out

    ops.edge_softmax = spy
    try:
        with torch.no_grad():
            x = model.atom_embedding(model.atom_features(g.ndata["atomic_number"]))
            e = model.bond_embedding(model.rbf(g.edata["distance"]))
            layer(g, x, e)
    finally:
        ops.edge_softmax = original
    a = captured["a"]  # (E, heads)
    per_centre = torch.zeros(g.num_nodes(), a.shape[1]).index_add_(0, g.edges()[1], a)
    assert torch.allclose(per_centre, torch.ones_like(per_centre), atol=1e-5)
    with torch.no_grad():
        h = model.embed(g)
        w = ops.softmax_nodes(g, model.pool.score(torch.cat([h, composition(g)], -1)))
        assert torch.allclose(ops.sum_nodes(g, w), torch.ones(5, 1), atol=1e-5)


def test_prediction_is_invariant_to_atom_order_within_the_batch(sample_store):
    torch.manual_seed(0)
    model = GATGNN().eval()
    with torch.no_grad():
        ab = model(collate(sample_store, [3, 7]))
        ba = model(collate(sample_store, [7, 3]))
    assert torch.allclose(ab, ba.flip(0), atol=1e-5)
