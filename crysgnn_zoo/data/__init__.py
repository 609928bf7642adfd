"""Structure sources -> raw entries -> validated jarvis ``Atoms``; seeded splits."""
from crysgnn_zoo.data.errors import (
    CrystalDataError,
    MissingColumnError,
    SkipReport,
    SourceNotFoundError,
    StructureError,
    TargetError,
    UnknownElementError,
)
from crysgnn_zoo.data.sources import RawEntry, Source, list_datasets, open_source

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
