from __future__ import annotations

import numpy as np
import pytest

from crysgnn_zoo.data.splits import Split, random_split, subsample


def test_split_is_seeded_disjoint_and_hashed(tmp_path):
    ids = [f"id-{i}" for i in range(100)]
    a, b, c = random_split(ids, (0.8, 0.1, 0.1), 0), random_split(ids, (0.8, 0.1, 0.1), 0), random_split(ids, (0.8, 0.1, 0.1), 1)
    assert a.sizes == (80, 10, 10)
    assert a.hash == b.hash and a.hash != c.hash
    assert len(set(a.train) | set(a.val) | set(a.test)) == 100
    a.save(tmp_path / "s.json")
    back = Split.load(tmp_path / "s.json", ids)
    assert back.hash == a.hash and np.array_equal(back.test, a.test)


def test_split_counts_and_errors():
    ids = [str(i) for i in range(50)]
    assert random_split(ids, (30, 10, 5), 3).sizes == (30, 10, 5)
    with pytest.raises(ValueError, match="exceed"):
        random_split(ids, (40, 10, 5), 0)
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(ids, (0.5, 0.1, 0.1), 0)


def test_subsample():
    s = subsample(1000, 10, 0)
    assert len(s) == 10 and np.all(np.diff(s) > 0)
    assert np.array_equal(s, subsample(1000, 10, 0))
    assert len(subsample(5, None)) == 5
