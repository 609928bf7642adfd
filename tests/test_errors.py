"""One error hierarchy: every named error is importable from crysgnn_zoo.errors and from crysgnn_zoo."""
from __future__ import annotations

import importlib
import pkgutil

import crysgnn_zoo
from crysgnn_zoo import errors


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_named_error_lives_in_errors_and_the_package_root():
    for info in pkgutil.walk_packages(crysgnn_zoo.__path__, "crysgnn_zoo."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found = {cls for cls in _all_subclasses(errors.CrysgnnZooError) if cls.__module__.startswith("crysgnn_zoo")}
    assert len(found) > 15
    for cls in found:
        assert getattr(errors, cls.__name__) is cls, f"{cls.__module__}.{cls.__name__} is not in crysgnn_zoo.errors"
        assert getattr(crysgnn_zoo, cls.__name__) is cls, f"{cls.__name__} is not exported by crysgnn_zoo"
    from crysgnn_zoo.data.errors import DisorderError  # the old paths keep working
    from crysgnn_zoo.hub.checkpoint import CheckpointError

    assert DisorderError is crysgnn_zoo.DisorderError and CheckpointError is crysgnn_zoo.CheckpointError
