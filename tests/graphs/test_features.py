from __future__ import annotations

import numpy as np
import pytest

from crysgnn_zoo.graphs.features import AtomFeaturizer, group_and_block, long_form_column, period_of, valence_electrons


@pytest.mark.parametrize(
    "z, group, block, period",
    [(1, 1, "s", 1), (2, 18, "s", 1), (8, 16, "p", 2), (26, 8, "d", 4), (58, 3, "f", 6),
     (71, 3, "d", 6), (82, 14, "p", 6), (92, 3, "f", 7)],
)
def test_periodic_table_position(z, group, block, period):
    assert group_and_block(z) == (group, block)
    assert period_of(z) == period


def test_valence_electrons():
    assert [valence_electrons(z) for z in (1, 2, 6, 8, 26, 17)] == [1, 2, 4, 6, 8, 7]


def test_table_shape_and_rows():
    f = AtomFeaturizer()
    assert f.table.shape == (104, f.dim)
    assert f.table[0].sum() == 0
    # every element has its four categorical one-hots set
    assert np.all(f.table[1:, :55].sum(axis=1) == 4)
    # every element, lanthanoids and actinoids included, has its own encoding
    rows = {tuple(f.table[z]) for z in range(1, 104)}
    assert len(rows) == 103


def test_long_form_columns():
    assert [long_form_column(z) for z in (1, 2, 3, 21, 31, 57, 70, 71, 86, 89, 103)] == [
        1, 32, 1, 17, 27, 3, 16, 17, 32, 3, 17]
