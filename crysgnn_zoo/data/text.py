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
    """The text of the file ``path`` (see :func:`decode_text`; ``.gz`` unpacked), checked before it is
    opened: a regular file (not a FIFO, device or folder) of at most :data:`MAX_STRUCTURE_BYTES`.

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
    if str(path).lower().endswith(".gz"):
        data = _gunzip(data, where)
    return decode_text(data, where)


def _gunzip(data: bytes, where: str) -> bytes:
    """A gzip file's content, at most :data:`MAX_STRUCTURE_BYTES` of it (a bomb is refused, not unpacked)."""
    import zlib

    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_STRUCTURE_BYTES + 1)
    except zlib.error as exc:
        raise StructureError(where, f"not a readable gzip file ({exc})") from None
    if len(out) > MAX_STRUCTURE_BYTES:
        raise StructureError(where, f"unpacks to more than the {MAX_STRUCTURE_BYTES:,}-byte limit for one structure")
    return out


def open_text(path: Path) -> IO[str]:
    """A text stream of a table (``.gz`` decompressed), decoded as :func:`decode_text` does; a file
    that starts with a UTF-16 byte-order mark (what spreadsheet programs save as "Unicode text") as
    UTF-16.

    Raises:
        StructureError: UTF-16 or UTF-32 without a byte-order mark (NUL bytes in the text).
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(codecs.BOM_UTF32_LE):
        return opener(path, "rt", encoding="utf-16", newline="")
    if b"\x00" in head:
        raise StructureError(str(path), "holds NUL bytes: UTF-16 or UTF-32 text without a byte-order mark, or "
                                        "a binary file; save the table as UTF-8 (CSV UTF-8)")
    return opener(path, "rt", encoding="utf-8-sig", errors=_errors(), newline="")
