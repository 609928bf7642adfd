"""Packing a weight set as a release: a reproducible archive and the hash table.

Used by ``scripts/release_teacher.py`` (encoders) and ``scripts/release_model.py``
(property models); the loading side is :mod:`crysgnn_zoo.hub.resolve`.
"""
from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

from crysgnn_zoo.download import sha256_of

RELEASE_TABLE = Path(__file__).with_name("releases.json")


def pack(folder: Path, name: str, dest: Path) -> Path:
    """``dest`` (``<name>.tar.gz``) holding ``folder``'s files under ``<name>/``, byte-reproducible
    (fixed mtimes and owners)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path in sorted(folder.iterdir()):
            info = tar.gettarinfo(str(path), arcname=f"{name}/{path.name}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
    with open(dest, "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return dest


def record(name: str, archive: Path, weights_sha256: str, table: Path = RELEASE_TABLE,
           config_sha256: str | None = None) -> None:
    """Add or replace ``name``'s row (archive, weights and config SHA-256) in the release table."""
    rows = json.loads(table.read_text()) if table.exists() else []
    table.parent.mkdir(parents=True, exist_ok=True)
    rows = [r for r in rows if r["name"] != name]
    rows.append({"name": name, "url": None, "archive_sha256": sha256_of(archive), "weights_sha256": weights_sha256,
                 "config_sha256": config_sha256})
    table.write_text(json.dumps(rows, indent=1) + "\n")
