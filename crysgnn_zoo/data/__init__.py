"""Structure sources -> raw entries -> validated jarvis ``Atoms``; seeded splits."""
from __future__ import annotations

from crysgnn_zoo._lazy import lazy_exports

_EXPORTS = {
    "CrystalDataError": "errors",
    "MissingColumnError": "errors",
    "SkipReport": "errors",
    "SourceNotFoundError": "errors",
    "StructureError": "errors",
    "TargetError": "errors",
    "UnknownElementError": "errors",
    "RawEntry": "sources",
    "Source": "sources",
    "list_datasets": "sources",
    "open_source": "sources",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "CrystalDataError",
    "MissingColumnError",
    "RawEntry",
    "SkipReport",
    "Source",
    "SourceNotFoundError",
    "StructureError",
    "TargetError",
    "UnknownElementError",
    "list_datasets",
    "open_source",
]
