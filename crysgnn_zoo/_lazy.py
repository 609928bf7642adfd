"""Public names of a package that load on first use (PEP 562), so importing the package is cheap."""
from __future__ import annotations

import importlib
import sys
import types
from typing import Any, Callable


class _Package(types.ModuleType):
    """A package whose export ``f`` may share its name with the submodule defining it
    (``crysgnn_zoo.predict.predict``): importing the submodule sets the package's attribute to
    the module, so the package keeps the function instead (as ``from .predict import predict``
    in an eager ``__init__`` did). The submodule stays importable by its full name."""

    def __setattr__(self, name: str, value: Any) -> None:
        exports = self.__dict__.get("_EXPORTS", {})
        if (isinstance(value, types.ModuleType) and exports.get(name) == name
                and value.__name__ == f"{self.__name__}.{name}" and hasattr(value, name)):
            value = getattr(value, name)
        super().__setattr__(name, value)


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` whose name ``N`` lives in module ``exports[N]``
    (relative to the package); each is imported the first time it is asked for."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    sys.modules[package].__class__ = _Package
    return __getattr__, __dir__
