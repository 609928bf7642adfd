"""BatchNorm statistics refresh: exact averages, frozen layers untouched, modes restored."""
import pytest
import torch
from torch import nn

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.train.batchnorm import refresh_batchnorm, trainable_batchnorms


@pytest.fixture
def net():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 1))
    model.eval()
    return model


@pytest.fixture
def data():
    gen = torch.Generator().manual_seed(1)
    return torch.randn(200, 3, generator=gen) * 3 + 5


def test_refresh_gives_the_statistics_of_the_current_weights(net, data):
    bn = net[1]
    bn.running_mean.fill_(100.0)  # stale statistics, as after weights moved on
    bn.running_var.fill_(1e-6)
    used = refresh_batchnorm(net, [data], max_batches=4)
    assert used == 1
    hidden = net[0](data).detach()
    assert torch.allclose(bn.running_mean, hidden.mean(0), atol=1e-5)
    assert torch.allclose(bn.running_var, hidden.var(0, unbiased=True), rtol=1e-4)
    # eval-mode output now equals the batch-statistics output of the same data
    with torch.no_grad():
        eval_out = net[1](hidden)
        bn.train()
        batch_out = net[1](hidden)
    assert torch.allclose(eval_out, batch_out, rtol=5e-3, atol=1e-4)  # running var is unbiased (n-1)


def test_refresh_averages_over_batches_and_respects_the_cap(net, data):
    bn = net[1]
    chunks = list(data.split(50))
    assert refresh_batchnorm(net, chunks, max_batches=2) == 2
    hidden = [net[0](c).detach() for c in chunks[:2]]
    assert torch.allclose(bn.running_mean, torch.stack([h.mean(0) for h in hidden]).mean(0), atol=1e-5)


def test_modes_and_momentum_restored(net, data):
    bn = net[1]
    refresh_batchnorm(net, [data], max_batches=1)
    assert not bn.training and not net[2].training
    assert bn.momentum == pytest.approx(0.1)
    net.train()
    refresh_batchnorm(net, [data], max_batches=1)
    assert bn.training


def test_frozen_batchnorm_left_alone(net, data):
    for p in net[1].parameters():
        p.requires_grad_(False)
    net[1].running_mean.fill_(7.0)
    assert trainable_batchnorms(net) == []
    assert refresh_batchnorm(net, [data], max_batches=3) == 0
    assert torch.all(net[1].running_mean == 7.0)


def test_no_batches_keeps_old_statistics(net):
    net[1].running_mean.fill_(3.0)
    assert refresh_batchnorm(net, [], max_batches=3) == 0
    assert torch.all(net[1].running_mean == 3.0)


def test_config_rejects_negative():
    with pytest.raises(ValueError, match="bn_refresh_batches"):
        TrainConfig(bn_refresh_batches=-1)
