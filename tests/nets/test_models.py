"""Every registered model: forward and backward on real perov_5 and carbon_24 graphs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from crysgnn_zoo.factory import get_model
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.nets.registry import build_model, list_models, register_model


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize("store_name", ["perov_store", "carbon_store"])
def test_forward_backward_on_real_graphs(name, store_name, request):
    store = request.getfixturevalue(store_name)
    torch.manual_seed(0)
    model = get_model(name)
    g = collate(store, np.arange(16), with_vectors=model.needs_vectors)
    out = model(g)
    assert out.shape == (16, model.config.n_targets)
    emb = model.embed(g)
    assert emb.shape == (g.num_nodes(), model.embedding_dim)
    out.pow(2).mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(gr is not None for gr in grads)
    assert sum(float(gr.abs().sum()) for gr in grads) > 0


@pytest.mark.parametrize("name", list_models())
def test_predictions_do_not_depend_on_batch_company(name, sample_store):
    torch.manual_seed(0)
    model = get_model(name).eval()
    with torch.no_grad():
        together = model(collate(sample_store, [0, 1, 2], with_vectors=model.needs_vectors))
        alone = model(collate(sample_store, [1], with_vectors=model.needs_vectors))
    assert torch.allclose(together[1], alone[0], atol=1e-5)


def test_unknown_model_lists_choices():
    with pytest.raises(KeyError, match=r"unknown model 'cgnn' \(did you mean 'cgcnn'\?\); available: .*cgcnn"):
        get_model("cgnn")


def test_unknown_override_lists_fields():
    with pytest.raises(ValueError, match=r"unknown CGCNNConfig field\(s\) \['n_convs'\]; valid fields: .*n_conv"):
        get_model("cgcnn", n_convs=4)


@pytest.mark.parametrize(
    "name, field, value, bound",
    [("cgcnn", "n_conv", 0, 1), ("cgcnn", "n_hidden", -1, 0), ("gatgnn", "n_heads", 0, 1),
     ("alignn", "angle_bins", 1, 2), ("alignn", "gcn_layers", -1, 0), ("crysxpp", "selector_l1", -0.1, 0)],
)
def test_out_of_range_override_names_field_and_value(name, field, value, bound):
    from crysgnn_zoo.errors import ConfigError

    with pytest.raises(ConfigError, match=rf"Config\.{field} must be >= {bound}, got {value}"):
        get_model(name, **{field: value})


def test_override_applies_and_config_roundtrips():
    model = get_model("cgcnn", n_conv=2, atom_dim=32)
    assert len(model.convs) == 2 and model.embedding_dim == 32
    again = build_model("cgcnn", model.config.to_dict())
    assert again.config == model.config


def test_duplicate_registration_raises():
    from crysgnn_zoo.nets.cgcnn import CGCNNConfig

    with pytest.raises(ValueError, match="already registered"):
        register_model("cgcnn", config=CGCNNConfig)(lambda c: None)
