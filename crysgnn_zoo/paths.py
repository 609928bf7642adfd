"""Where crysgnn_zoo keeps files on the user's machine."""
from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "CRYSGNN_ZOO_CACHE"


def cache_dir(*parts: str) -> Path:
    """The user cache (``$CRYSGNN_ZOO_CACHE`` or ``~/.cache/crysgnn_zoo``), created on use."""
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "crysgnn_zoo")
    path = root.joinpath(*parts)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, path, f"the cache folder; set {CACHE_ENV} to a writable folder") from None
    if not os.access(path, os.W_OK):
        raise storage_error(PermissionError(13, "read-only"), path, f"the cache folder; set {CACHE_ENV} to a "
                                                                    "writable folder")
    return path


def storage_error(exc: OSError, path: str | Path, what: str):
    """The package's one-line error for an ``OSError`` met while writing ``path`` (``what`` it is and
    what to do)."""
    import errno

    from crysgnn_zoo.errors import StorageError

    why = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
           errno.EROFS: "the file system is read-only", errno.EACCES: "no permission to write there",
           errno.EPERM: "no permission to write there", errno.EEXIST: "a file stands where a folder belongs",
           errno.ENOTDIR: "a file stands where a folder belongs"}.get(exc.errno, exc.strerror or str(exc))
    error = StorageError(f"{path}: {why} ({what})")
    error.errno = exc.errno
    return error


def check_name(name: str, what: str) -> str:
    """``name`` if it can become one path component (a model, release, data set or run name);
    never empty, ``.``/``..``, a path separator, a leading dot or dash, or an absolute path.

    Raises:
        UnsafePathError: naming ``what`` (``release name``, ``data set name``, ...) and the name.
    """
    from crysgnn_zoo.errors import UnsafePathError

    text = str(name)
    if (not text or text in (".", "..") or "/" in text or "\\" in text or text.startswith((".", "-"))
            or os.path.isabs(text) or "\x00" in text):
        raise UnsafePathError(repr(text), f"not a valid {what}: a name is one plain word (letters, digits, "
                                          "'-', '_', '.'), never a path, '..' or a leading dot")
    return text
