"""A source with nothing to train on stops before any training, and writes nothing that looks like a result."""
from __future__ import annotations

import csv

import pytest

from crysgnn_zoo.cli import main
from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.data.errors import NoUsableDataError
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.nets.normalizer import Normalizer
from crysgnn_zoo.train.run import train_model


def _write_csv(path, rows):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["material_id", "cif", "y"])
        writer.writerows(rows)
    return path


def _real_rows(n, value=lambda e: e.targets["band_gap"]):
    entries = [e for _, e in zip(range(n), dataset_source("mp_37k_sample").entries())]
    return [[e.id, e.payload, value(e)] for e in entries]


def _train(path, out, **kw):
    return train_model(str(path), "y", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                       train_config=TrainConfig(epochs=1), out_dir=out, workers=1, progress=False, **kw)


@pytest.mark.parametrize("case", ["header_only", "every_row_skipped", "no_target_values", "too_few"])
def test_nothing_usable_is_one_error_before_training(case, tmp_path):
    rows = {
        "header_only": [],
        "every_row_skipped": [["bad-1", "not a cif", 1.0], ["bad-2", "", 2.0]],
        "no_target_values": _real_rows(5, value=lambda e: ""),
        "too_few": _real_rows(2),
    }[case]
    path = _write_csv(tmp_path / f"{case}.csv", rows)
    out = tmp_path / "run"
    with pytest.raises(NoUsableDataError, match=rf"^{case}: ") as info:
        _train(path, out)
    assert "'y'" in str(info.value)
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


def test_every_row_skipped_says_why(tmp_path):
    path = _write_csv(tmp_path / "bad.csv", [["bad-1", "not a cif", 1.0]])
    with pytest.raises(NoUsableDataError, match=r"bad.csv row 2 \(id bad-1\): malformed CIF"):
        _train(path, tmp_path / "run")


def test_normalizer_refuses_no_values():
    with pytest.raises(NoUsableDataError, match="no finite target value"):
        Normalizer.fit([])


def test_cli_exits_2_with_one_line(tmp_path, capsys):
    path = _write_csv(tmp_path / "empty.csv", [])
    rc = main(["train", "--data-path", str(path), "--target", "y", "--out", str(tmp_path / "run"),
               "--no-progress", "--workers", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "no usable crystals" in err and "Traceback" not in err
    assert not (tmp_path / "run" / "checkpoint").exists()
