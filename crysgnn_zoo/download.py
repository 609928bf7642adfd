"""Verified downloads: fetch to a temporary file, hash, then move into place."""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

from crysgnn_zoo.progress import bar as progress_bar

from crysgnn_zoo.errors import ChecksumMismatchError, DownloadError  # noqa: F401 - importable from here
from crysgnn_zoo.paths import CACHE_ENV, cache_dir


def sha256_of(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def download(
    url: str,
    dest: str | Path | None = None,
    sha256: str | None = None,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest`` (default: the user cache, ``downloads/``).

    The file is written to a temporary name, checked against ``sha256`` when
    given, and only then moved to ``dest``; an existing ``dest`` with the right
    hash is reused.

    Raises:
        DownloadError: the network failed (the message says where to put the
            file by hand) or the hash did not match (the file is discarded).
    """
    dest = Path(dest) if dest is not None else cache_dir("downloads") / Path(url.split("?")[0]).name
    if dest.exists() and (sha256 is None or sha256_of(dest) == sha256):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp, os.fdopen(fd, "wb") as out:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with progress_bar(total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress) as bar:
                    for block in iter(lambda: resp.read(1 << 16), b""):
                        out.write(block)
                        bar.update(len(block))
        except OSError as exc:
            raise DownloadError(
                f"could not download {url} ({exc}); download it elsewhere and place it at {dest} "
                f"(or point {CACHE_ENV} at a folder that holds it)"
            ) from None
        if sha256 is not None:
            got = sha256_of(tmp_name)
            if got != sha256:
                raise ChecksumMismatchError(
                    f"{url}: SHA-256 mismatch (expected {sha256}, got {got}); the file was discarded"
                )
        os.replace(tmp_name, dest)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return dest
