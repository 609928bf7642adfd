"""Physical ranges of targets: read from cards and the command line, and the clip that keeps values in them."""
from __future__ import annotations

import json

import numpy as np
import pytest

from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.ranges import TargetRange, parse_range


def test_a_card_range_reads_with_null_for_no_bound():
    assert TargetRange.from_json([0, None]) == TargetRange(0, None)
    assert TargetRange.from_json([-1, 0.5]) == TargetRange(-1, 0.5)
    assert TargetRange.from_json(None) is None
    assert TargetRange.from_json([None, None]) is None  # no bound at all is no range
    assert str(TargetRange(0, None)) == "[0, inf)" and str(TargetRange(-1, 0.5)) == "[-1, 0.5]"


@pytest.mark.parametrize("bad", [[1, 0], [0], "0:", [0, float("nan")], [True, None], ["a", None]])
def test_a_malformed_range_is_refused_naming_where(bad):
    with pytest.raises(ConfigError, match="card.json"):
        TargetRange.from_json(bad, "card.json")


def test_clip_moves_values_to_the_edge_and_says_which():
    values, clipped = TargetRange(0, 0.5).clip(np.array([-2.0, 0.2, 0.7, np.nan]))
    np.testing.assert_array_equal(values[:3], [0.0, 0.2, 0.5])
    assert np.isnan(values[3])  # an unreadable structure stays NaN and is not counted
    assert clipped.tolist() == [True, False, True, False]


def test_command_line_ranges():
    assert parse_range("0:") == (0.0, None)
    assert parse_range("-1:0.5") == (-1.0, 0.5)
    assert parse_range(":10") == (None, 10.0)
    for bad in ("0", "a:b", "2:1"):
        with pytest.raises((ValueError, ConfigError)):
            parse_range(bad)


def test_data_set_cards_declare_ranges(tmp_path):
    from crysgnn_zoo.data.sources import dataset_folder_source, dataset_source

    sample = dataset_source("mp_37k_sample")
    assert sample.range("band_gap") == TargetRange(0, None)
    assert sample.range("formation_energy_per_atom") is None
    folder = tmp_path / "bad_set"
    folder.mkdir()
    (folder / "dataset.json").write_text(json.dumps(
        {"format": "csv-cif", "files": [], "targets": {"gap": {"unit": "eV", "range": [3, 1]}}}))
    with pytest.raises(ConfigError, match=r"bad_set.*'gap'.*min < max"):
        dataset_folder_source(folder)
