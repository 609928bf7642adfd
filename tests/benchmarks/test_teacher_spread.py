"""Spread statistics of teacher embeddings."""
from __future__ import annotations

import pytest
import torch

from benchmarks.teacher_spread import main, spread_statistics


def test_participation_ratio_counts_the_directions_embeddings_spread_in():
    g = torch.Generator().manual_seed(0)
    isotropic = spread_statistics(torch.randn(20000, 8, generator=g))
    assert isotropic["participation_ratio"] == pytest.approx(8, rel=0.05)
    assert isotropic["mean_abs_mean_over_std"] < 0.05
    line = torch.randn(20000, 1, generator=g) * torch.tensor([[1.0, 2.0, -3.0, 0.5]]) + 10.0
    rank_one = spread_statistics(line + 1e-3 * torch.randn(20000, 4, generator=g))
    assert rank_one["participation_ratio"] == pytest.approx(1, abs=0.01)
    assert rank_one["std_max_over_min"] == pytest.approx(6, rel=0.05)
    assert rank_one["top5_variance_share"] == pytest.approx(1.0)
    assert rank_one["mean_abs_mean_over_std"] > 5


def test_runs_on_the_embedded_sample(tmp_path, capsys):
    assert main(["--datasets", "mp_37k_sample", "--crystals", "20", "--out", str(tmp_path)]) == 0
    assert "| mp_37k_sample | 20 |" in (tmp_path / "table.md").read_text()
