"""crysgnn-zoo: a DGL model zoo for crystal property prediction (CrysGNN distillation).

Public API::

    import crysgnn_zoo as cz
    cz.list_models()                      # ['cgcnn', ...]
    model = cz.get_model("cgcnn")         # paper defaults; keyword overrides
    cz.train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn")
    cz.predict(cz.load_model("cgcnn-mp37k-formation-energy"), ["structure.cif"])  # a DataFrame
    cz.embed("crysgnn-v1", ["structure.cif"])  # the teacher's embedding of each crystal, a DataFrame
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from crysgnn_zoo._lazy import lazy_exports
from crysgnn_zoo._version import __version__

#: public name -> the module that defines it; imported on first use (``import crysgnn_zoo`` and
#: ``crysgnn-zoo --help`` load neither torch nor DGL)
_EXPORTS = {
    **dict.fromkeys(("DistillConfig", "GraphConfig", "PretrainConfig", "RunConfig", "TrainConfig"), "config"),
    **dict.fromkeys(("list_datasets", "open_source"), "data.sources"),
    "load_teacher": "distill.teachers",
    "embed": "embed",
    **dict.fromkeys((
        "BoundCollapsedError", "CheckpointError", "ChecksumMismatchError", "ConfigError", "CrysgnnZooError", "CrystalDataError",
        "DegenerateCellError", "DisorderError", "DownloadError", "DuplicateIdError", "IsolatedAtomsError",
        "MissingColumnError", "MissingExtraError", "NoUsableDataError", "OverlappingAtomsError", "RunExistsError",
        "RunLockedError", "SourceNotFoundError", "StorageError", "StructureError", "TargetError",
        "UnknownElementError", "UnknownNameError", "UnsafePathError", "WeightsNotFoundError", "WeightsVerificationError"), "errors"),
    "evaluate": "evaluate",
    **dict.fromkeys(("get_model", "model_spec"), "factory"),
    "build_store": "graphs.build",
    "load_checkpoint": "hub.checkpoint",
    **dict.fromkeys(("list_models", "register_model"), "nets.registry"),
    **dict.fromkeys(("load_model", "predict"), "predict"),
    "train_model": "train.run",
    "Trainer": "train.trainer",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # what type checkers and IDEs see
    from crysgnn_zoo.config import DistillConfig, GraphConfig, PretrainConfig, RunConfig, TrainConfig  # noqa: F401
    from crysgnn_zoo.data.sources import list_datasets, open_source  # noqa: F401
    from crysgnn_zoo.embed import embed  # noqa: F401
    from crysgnn_zoo.evaluate import evaluate  # noqa: F401
    from crysgnn_zoo.factory import get_model, model_spec  # noqa: F401
    from crysgnn_zoo.predict import load_model, predict  # noqa: F401
    from crysgnn_zoo.train.run import train_model  # noqa: F401

__all__ = [  # noqa: F822 - provided lazily by __getattr__
    "DistillConfig",
    "PretrainConfig",
    "RunConfig",
    "BoundCollapsedError",
    "CheckpointError",
    "ChecksumMismatchError",
    "ConfigError",
    "CrysgnnZooError",
    "CrystalDataError",
    "DegenerateCellError",
    "DisorderError",
    "DownloadError",
    "DuplicateIdError",
    "IsolatedAtomsError",
    "MissingColumnError",
    "MissingExtraError",
    "NoUsableDataError",
    "OverlappingAtomsError",
    "RunExistsError",
    "RunLockedError",
    "SourceNotFoundError",
    "StorageError",
    "StructureError",
    "TargetError",
    "UnknownElementError",
    "UnknownNameError",
    "UnsafePathError",
    "WeightsNotFoundError",
    "WeightsVerificationError",
    "GraphConfig",
    "TrainConfig",
    "Trainer",
    "__version__",
    "build_store",
    "embed",
    "evaluate",
    "get_model",
    "model_spec",
    "list_datasets",
    "list_models",
    "load_checkpoint",
    "load_model",
    "load_teacher",
    "open_source",
    "predict",
    "register_model",
    "train_model",
]
