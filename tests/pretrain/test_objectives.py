"""Pre-training objectives on real curated crystals."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from crysgnn_zoo.config import PretrainConfig
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.nets.crysgnn import CrysGNN, CrysGNNConfig
from crysgnn_zoo.pretrain.objectives import PretrainHeads, pretrain_losses, sample_non_edges, supervised_contrastive


def _batch(store, n=24):
    idx = np.arange(n)
    sg = torch.from_numpy(store.targets["spacegroup"][idx].astype(np.int64))
    cs = torch.from_numpy(store.targets["crystal_system"][idx].astype(np.int64))
    return collate(store, idx), sg, cs


def _nets():
    torch.manual_seed(0)
    enc = CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=2))
    return enc, PretrainHeads(enc.embedding_dim, enc.atom_features.dim)


def test_non_edges_are_not_edges(curated_store):
    g, _, _ = _batch(curated_store)
    src, dst = sample_non_edges(g, 500, torch.Generator().manual_seed(0))
    es, ed = g.edges()
    edges = set(zip(es.tolist(), ed.tolist()))
    assert len(src) > 0 and not any((s, d) in edges for s, d in zip(src.tolist(), dst.tolist()))


@pytest.mark.parametrize("off", ["feature_weight", "connectivity_weight", "spacegroup_weight", "contrastive_weight"])
def test_each_objective_can_be_switched_off(curated_store, off):
    enc, heads = _nets()
    g, sg, cs = _batch(curated_store)
    out = pretrain_losses(enc, heads, g, sg, cs, PretrainConfig(**{off: 0.0}))
    name = off.replace("_weight", "")
    assert name not in out
    assert len([k for k in ("feature", "connectivity", "spacegroup", "contrastive") if k in out]) == 3
    out["total"].backward()


def test_total_is_the_weighted_sum(curated_store):
    enc, heads = _nets()
    g, sg, cs = _batch(curated_store)
    cfg = PretrainConfig(feature_weight=2.0, connectivity_weight=0.5, spacegroup_weight=0.25, contrastive_weight=3.0)
    out = pretrain_losses(enc, heads, g, sg, cs, cfg, torch.Generator().manual_seed(1))
    expected = 2.0 * out["feature"] + 0.5 * out["connectivity"] + 0.25 * out["spacegroup"] + 3.0 * out["contrastive"]
    assert torch.allclose(out["total"], expected)


def test_contrastive_prefers_label_aligned_embeddings():
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    aligned = torch.nn.functional.one_hot(labels, 3).float()
    shuffled = aligned[[0, 2, 1, 4, 3, 5]]
    assert supervised_contrastive(aligned, labels, 0.1) < supervised_contrastive(shuffled, labels, 0.1)


def test_a_few_steps_lower_the_losses(curated_store):
    enc, heads = _nets()
    params = list(enc.parameters()) + list(heads.parameters())
    opt = torch.optim.Adam(params, lr=3e-3)
    g, sg, cs = _batch(curated_store, 48)
    cfg = PretrainConfig()
    first = None
    for step in range(25):
        out = pretrain_losses(enc, heads, g, sg, cs, cfg, torch.Generator().manual_seed(step))
        first = first or {k: float(v.detach()) for k, v in out.items()}
        opt.zero_grad()
        out["total"].backward()
        opt.step()
    assert float(out["total"].detach()) < 0.7 * first["total"]
    assert float(out["feature"].detach()) < first["feature"]


def test_all_pairs_and_their_bond_counts(curated_store):
    g, _, _ = _batch(curated_store, 3)
    from crysgnn_zoo.pretrain.objectives import all_pairs, bond_counts

    i, j = all_pairs(g)
    sizes = g.batch_num_nodes().tolist()
    assert len(i) == sum(n * (n - 1) for n in sizes) and bool((i != j).all())
    src, dst = g.edges()
    expected = {}
    for s, d in zip(src.tolist(), dst.tolist()):
        expected[(d, s)] = expected.get((d, s), 0) + 1
    counts = bond_counts(g, i, j, 5)
    for a, b, c in zip(i.tolist()[:500], j.tolist()[:500], counts.tolist()[:500]):
        assert c == min(expected.get((a, b), 0), 5)
    assert counts.max() > 0 and (counts == 0).any()


V2 = PretrainConfig(feature_weight=0.25, connectivity_weight=0.25, spacegroup_weight=0.25, contrastive_weight=0.25,
                    temperature=0.07, normalize_embeddings=True, connectivity="all_pairs")


def test_v2_objectives_are_scale_invariant_and_learn(curated_store):
    torch.manual_seed(0)
    enc = CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=2))
    heads = PretrainHeads(enc.embedding_dim, enc.atom_features.dim, pair_classes=V2.max_bonds + 1)
    g, sg, cs = _batch(curated_store, 32)
    out = pretrain_losses(enc, heads, g, sg, cs, V2)
    scaled = CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=2))
    scaled.load_state_dict(enc.state_dict())
    scaled.embed = lambda graph: 7.0 * enc.embed(graph)  # embeddings scaled: normalised heads see the same
    again = pretrain_losses(scaled, heads, g, sg, cs, V2)
    assert torch.allclose(out["total"], again["total"], atol=1e-5)
    opt = torch.optim.Adam(list(enc.parameters()) + list(heads.parameters()), lr=3e-3)
    first = float(out["connectivity"].detach())
    for _ in range(20):
        out = pretrain_losses(enc, heads, g, sg, cs, V2)
        opt.zero_grad()
        out["total"].backward()
        opt.step()
    assert float(out["connectivity"].detach()) < first and 0 <= float(out["connectivity_acc"]) <= 1


def test_factored_bilinear_equals_nn_bilinear_with_gradients():
    from crysgnn_zoo.pretrain.objectives import bilinear_pairs

    torch.manual_seed(0)
    scorer = torch.nn.Bilinear(8, 8, 6)
    h = torch.randn(12, 8, requires_grad=True)
    i, j = torch.randint(0, 12, (40,)), torch.randint(0, 12, (40,))
    ours = bilinear_pairs(scorer, h, i, j)
    reference = scorer(h[i], h[j])
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-5)
    g_ours = torch.autograd.grad(ours.square().sum(), [h, scorer.weight, scorer.bias])
    g_ref = torch.autograd.grad(reference.square().sum(), [h, scorer.weight, scorer.bias])
    for a, b in zip(g_ours, g_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
