"""Where crysgnn_zoo keeps files on the user's machine."""
from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "CRYSGNN_ZOO_CACHE"


def cache_dir(*parts: str) -> Path:
    """The user cache (``$CRYSGNN_ZOO_CACHE`` or ``~/.cache/crysgnn_zoo``), created on use."""
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "crysgnn_zoo")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
