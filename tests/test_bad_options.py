"""Bad options and outputs: one named line before any work; tables a spreadsheet never runs."""
from __future__ import annotations

import pandas as pd
import pytest

from crysgnn_zoo.cli import main
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.data.tables import safe_frame, write_table

MODEL = "cgcnn-mp37k-band-gap"


@pytest.fixture()
def cif_folder(tmp_path):
    folder = tmp_path / "cifs"
    folder.mkdir()
    entry = next(iter(dataset_source("mp_37k_sample").entries()))
    (folder / "=cmd.cif").write_text(entry.payload)
    return folder


@pytest.mark.parametrize("extra,message", [
    (["--device", "cuda"], "has no CUDA device"),
    (["--device", "gpu9"], "not a device name"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--workers", "-1"], "--workers must be at least 1"),
])
def test_bad_options_are_named_before_any_work(cif_folder, capsys, extra, message):
    assert main(["predict", "--model", MODEL, str(cif_folder)] + extra) == 2
    assert message in capsys.readouterr().err


def test_predict_never_writes_inside_an_input_folder_and_escapes_formulas(cif_folder, tmp_path, capsys):
    assert main(["predict", "--model", MODEL, str(cif_folder), "--out", str(cif_folder / "p.csv")]) == 2
    assert "inside the input folder" in capsys.readouterr().err and not (cif_folder / "p.csv").exists()
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", MODEL, str(cif_folder), "--out", str(out)]) == 0
    ids = pd.read_csv(out).id.tolist()
    assert ids == ["'=cmd"]  # shown as text by a spreadsheet, never run


def test_a_dangling_out_link_is_named(cif_folder, tmp_path, capsys):
    link = tmp_path / "gone.csv"
    link.symlink_to(tmp_path / "nowhere" / "x.csv")
    assert main(["predict", "--model", MODEL, str(cif_folder), "--out", str(link)]) == 2
    assert "link to nowhere" in capsys.readouterr().err


def test_tables_are_written_whole_and_safe(tmp_path):
    frame = pd.DataFrame({"id": ["=1+1", "+a", "@x", "ok", "-2"], "value": [1.0, -2.0, 3.0, 4.0, 5.0]})
    safe = safe_frame(frame)
    assert safe.id.tolist() == ["'=1+1", "'+a", "'@x", "ok", "'-2"] and safe.value.tolist()[1] == -2.0
    write_table(frame, tmp_path / "t.csv")
    assert not list(tmp_path.glob(".*.tmp")) and len(pd.read_csv(tmp_path / "t.csv")) == 5


def test_ctrl_c_is_one_line_not_a_traceback(monkeypatch, capsys):
    import crysgnn_zoo.cli as cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_cmd_datasets", interrupted)
    assert cli.main(["datasets"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err
