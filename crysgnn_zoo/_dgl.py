"""The one place that imports DGL.

DGL 1.1.3 (the newest DGL that imports next to torch 2.13) still does
``from setuptools.extern import packaging`` in ``dgl.utils``; current setuptools
no longer ships ``setuptools.extern``. We alias the standalone ``packaging``
distribution under that name before importing DGL, and select the PyTorch
backend explicitly so DGL does not write a config file on first import.

Every module of crysgnn_zoo does ``from crysgnn_zoo._dgl import dgl``.
"""
from __future__ import annotations

import os
import sys
import types

os.environ.setdefault("DGLBACKEND", "pytorch")

try:  # pragma: no cover - depends on the installed setuptools
    import setuptools.extern.packaging  # noqa: F401
except Exception:  # noqa: BLE001 - any failure means the alias is needed
    import packaging
    import packaging.version

    _extern = sys.modules.get("setuptools.extern") or types.ModuleType("setuptools.extern")
    _extern.packaging = packaging  # type: ignore[attr-defined]
    sys.modules["setuptools.extern"] = _extern
    sys.modules["setuptools.extern.packaging"] = packaging
    sys.modules["setuptools.extern.packaging.version"] = packaging.version

import dgl  # noqa: E402
import dgl.function as dglfn  # noqa: E402

__all__ = ["dgl", "dglfn"]
