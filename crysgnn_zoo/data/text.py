"""Reading structure text: UTF-8 (with or without a byte-order mark), and bytes
that are not UTF-8 read as Latin-1, so a CIF with a Latin-1 comment
(``20\\xb0C``, ``Caf\\xe9``) is read instead of refused. Binary files are refused."""
from __future__ import annotations

import codecs
import gzip
import os
import stat
from pathlib import Path
from typing import IO

from crysgnn_zoo.data.errors import StructureError

_ERRORS = "crysgnn_zoo_latin1"


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


def _errors() -> str:
    """The codec error handler's name, registered on first use."""
    try:
        codecs.lookup_error(_ERRORS)
    except LookupError:
        codecs.register_error(_ERRORS, _latin1_fallback)
    return _ERRORS


def decode_text(data: bytes, where: str) -> str:
    """``data`` as text: UTF-8 where it is UTF-8, Latin-1 for the bytes that are not.

    Raises:
        StructureError: the bytes hold NUL characters (a binary file, not text).
    """
    if b"\x00" in data:
        raise StructureError(where, "not a text file (it holds NUL bytes)")
    return data.decode("utf-8-sig", errors=_errors())


MAX_STRUCTURE_BYTES = 64 << 20
"""Largest structure file read (64 MiB; a 20,000-atom CIF is about 2 MB): larger ones are refused unread."""


def read_text(path: str | Path, where: str | None = None) -> str:
    """The text of the file ``path`` (see :func:`decode_text`), checked before it is opened: a
    regular file (not a FIFO, device or folder) of at most :data:`MAX_STRUCTURE_BYTES`.

    Raises:
        StructureError: the file cannot be read, is not a regular file, is too large, or is binary.
    """
    where = where or str(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise StructureError(where, "not a regular file (a folder, FIFO or device); give a structure file")
        if info.st_size > MAX_STRUCTURE_BYTES:
            raise StructureError(where, f"file of {info.st_size:,} bytes, above the {MAX_STRUCTURE_BYTES:,}-byte "
                                        "limit for one structure (crysgnn_zoo.data.text.MAX_STRUCTURE_BYTES)")
        data = Path(path).read_bytes()
    except OSError as exc:
        raise StructureError(where, f"cannot read file: {exc.strerror}") from None
    return decode_text(data, where)


def open_text(path: Path) -> IO[str]:
    """A text stream of a table (``.gz`` decompressed), decoded as :func:`decode_text` does."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", errors=_errors(), newline="")
    return open(path, encoding="utf-8-sig", errors=_errors(), newline="")
