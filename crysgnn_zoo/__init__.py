"""crysgnn-zoo: a DGL model zoo for crystal property prediction (CrysGNN distillation).

Public API::

    import crysgnn_zoo as cz
    cz.list_models()                      # ['cgcnn', ...]
    model = cz.get_model("cgcnn")         # paper defaults; keyword overrides
    cz.train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn")
    cz.predict(cz.load_model("cgcnn-mp37k-formation-energy"), ["structure.cif"])  # a DataFrame
    cz.embed("crysgnn-v1", ["structure.cif"])  # the teacher's embedding of each crystal, a DataFrame
"""
from crysgnn_zoo._version import __version__
from crysgnn_zoo.config import DistillConfig, GraphConfig, PretrainConfig, RunConfig, TrainConfig
from crysgnn_zoo.data.sources import list_datasets, open_source
from crysgnn_zoo.distill.teachers import load_teacher
from crysgnn_zoo.embed import embed
from crysgnn_zoo.errors import (  # the named errors, also in crysgnn_zoo.errors
    CheckpointError,
    ChecksumMismatchError,
    ConfigError,
    CrysgnnZooError,
    CrystalDataError,
    DegenerateCellError,
    DisorderError,
    DownloadError,
    DuplicateIdError,
    IsolatedAtomsError,
    MissingColumnError,
    MissingExtraError,
    NoUsableDataError,
    OverlappingAtomsError,
    RunExistsError,
    RunLockedError,
    SourceNotFoundError,
    StructureError,
    TargetError,
    UnknownElementError,
    UnknownNameError,
    UnsafePathError,
    WeightsNotFoundError,
    WeightsVerificationError,
)
from crysgnn_zoo.evaluate import evaluate
from crysgnn_zoo.factory import get_model, model_spec
from crysgnn_zoo.graphs.build import build_store
from crysgnn_zoo.hub.checkpoint import load_checkpoint
from crysgnn_zoo.nets.registry import list_models, register_model
from crysgnn_zoo.predict import load_model, predict
from crysgnn_zoo.train.run import train_model
from crysgnn_zoo.train.trainer import Trainer

__all__ = [
    "DistillConfig",
    "PretrainConfig",
    "RunConfig",
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
