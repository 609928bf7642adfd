"""Scoring a model on labelled crystals: the figures match a hand computation; unreadable rows stay."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from crysgnn_zoo.cli import main
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.evaluate import evaluate
from crysgnn_zoo.predict import predict

MODEL = "cgcnn-mp37k-band-gap"


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """20 embedded crystals with their band gaps, one unreadable and one without a label."""
    rows = [(e.id, e.payload, e.targets["band_gap"]) for _, e in zip(range(20), dataset_source("mp_37k_sample").entries())]
    frame = pd.DataFrame(rows, columns=["material_id", "cif", "band_gap"])
    frame.loc[3, "cif"] = "data_broken\n_cell_length_a 3\n"
    frame.loc[5, "band_gap"] = np.nan
    path = tmp_path_factory.mktemp("evaluate") / "gaps.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_metrics_are_those_of_the_predictions_on_the_labelled_rows(labelled):
    path, frame = labelled
    result = evaluate(MODEL, path)
    assert result.target == "band_gap" and result.unit == "eV"
    assert result.n_unreadable == 1 and result.n_unlabelled == 1 and len(result.table) == 20
    pred = predict(MODEL, [str(path)]).set_index("id")["prediction"]
    keep = [i for k, i in enumerate(frame.material_id) if k not in (3, 5)]
    err = pred[keep].to_numpy() - frame.set_index("material_id").loc[keep, "band_gap"].to_numpy()
    assert result.metrics["n"] == 18
    assert result.metrics["mae"] == pytest.approx(np.abs(err).mean())
    assert result.table.loc[3, "read_error"] != ""


def test_an_unknown_label_column_is_named_with_the_columns_there(labelled):
    with pytest.raises(ConfigError, match="no label column 'heat'.*band_gap"):
        evaluate(MODEL, labelled[0], target="heat")


def test_the_command_prints_the_figures_and_writes_errors_and_a_parity_plot(labelled, tmp_path, capsys):
    out, plot = tmp_path / "errors.csv", tmp_path / "parity.png"
    assert main(["evaluate", "--model", MODEL, str(labelled[0]), "--out", str(out), "--plot", str(plot)]) == 0
    captured = capsys.readouterr()
    figures = json.loads(captured.out.strip().splitlines()[-1])
    assert figures["n"] == 18 and figures["target"] == "band_gap" and figures["mae"] > 0
    assert "R2" in captured.err and "1 unreadable" in captured.err
    assert plot.stat().st_size > 1000 and len(pd.read_csv(out)) == 20
