"""Writes that fail (a full disk, a file where the cache folder belongs, a read-only cache) are one
named line, and a failed write leaves no half file behind."""
from __future__ import annotations

import errno
import os

import pytest

from crysgnn_zoo.cli import main
from crysgnn_zoo.errors import StorageError
from crysgnn_zoo.paths import CACHE_ENV, cache_dir


def test_a_file_where_the_cache_folder_belongs_is_named(tmp_path, monkeypatch):
    (tmp_path / "cache").write_text("not a folder")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    with pytest.raises(StorageError, match=f"a file stands where a folder belongs .*set {CACHE_ENV}"):
        cache_dir("graphs")


def test_a_read_only_cache_is_named(tmp_path, monkeypatch):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache").chmod(0o555)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root may write anyway: the check sees what a user would
        monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(StorageError, match="no permission to write there|read-only"):
        cache_dir("graphs")


def test_a_full_disk_during_training_is_one_line_and_leaves_no_half_state(tmp_path, monkeypatch, capsys):
    import torch

    import crysgnn_zoo.train.resume as resume

    def full(obj, path, *a, **k):
        with open(path, "wb") as fh:
            fh.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(resume.torch, "save", full)
    out = tmp_path / "run"
    code = main(["train", "--dataset", "mp_37k_sample", "--target", "band_gap", "--max-samples", "40",
                 "--split", "28,6,6", "--epochs", "1", "--set", "n_conv=1", "--set", "atom_dim=8", "--out", str(out),
                 "--no-progress", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "the disk is full" in err and "last.tmp" in err and "--resume" in err
    assert not list(out.glob("*.tmp"))
    assert torch is not None
