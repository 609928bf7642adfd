"""Command-line options generated from the config dataclasses, so the two cannot drift.

Every field of a config becomes ``--field-name``: its type, choices (``Literal``) and help
(the class docstring's ``Attributes:`` section) come from the dataclass; a boolean gets
``--name/--no-name``; ``X | None`` also takes ``none``. Options not given stay out of the
parsed namespace (``argparse.SUPPRESS``), so :func:`config_from_args` changes only what
the user typed, on top of the defaults or of a config read from a file.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import typing
from pathlib import Path
from typing import Any, Literal

from crysgnn_zoo.config import JsonConfig, choices, field_help
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.ranges import parse_range

T = typing.TypeVar("T", bound=JsonConfig)


def _optional(parse: typing.Callable[[str], Any]) -> typing.Callable[[str], Any]:
    def parse_or_none(text: str) -> Any:
        return None if text.lower() in ("none", "null") else parse(text)

    parse_or_none.__name__ = getattr(parse, "__name__", "value")
    return parse_or_none


def _triple(text: str) -> tuple[float, float, float]:
    parts = [float(x) for x in text.split(",")]
    if len(parts) != 3:
        raise argparse.ArgumentTypeError("takes three comma-separated numbers: train,val,test")
    return tuple(parts)  # type: ignore[return-value]


def _range(text: str) -> tuple[float | None, float | None]:
    try:
        return parse_range(text)
    except (ValueError, ConfigError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser_for(hint: Any) -> tuple[typing.Callable[[str], Any] | None, bool]:
    """``(parse function, accepts None)`` for a field's type hint; ``(None, _)`` for a
    field that is not a command-line scalar (nested configs, dicts)."""
    args = typing.get_args(hint)
    optional = type(None) in args
    core = [a for a in args if a is not type(None)] if optional else [hint]
    base = core[0] if len(core) == 1 else None
    if typing.get_origin(base) is Literal:
        return str, optional
    if typing.get_origin(base) is tuple:
        return (_range if len(typing.get_args(base)) == 2 else _triple), optional
    if base in (int, float, str):
        return base, optional
    return None, optional


def add_config_options(parser: argparse.ArgumentParser | Any, cls: type, *, skip: tuple[str, ...] = (),
                       aliases: dict[str, list[str]] | None = None, title: str | None = None) -> list[str]:
    """Add ``--field-name`` for every command-line field of dataclass ``cls``; returns the
    field names added (``skip`` leaves some out; ``aliases`` adds older spellings)."""
    group = parser.add_argument_group(title or cls.__name__)
    hints = typing.get_type_hints(cls)
    helps = field_help(cls)
    defaults = cls()
    added = []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        flags = [f"--{f.name.replace('_', '-')}"] + list((aliases or {}).get(f.name, []))
        default = getattr(defaults, f.name)
        text = f"{helps.get(f.name, '')}{f' (default: {default})' if default != '' else ''}".strip()
        if hints[f.name] is bool:
            group.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=text)
            added.append(f.name)
            continue
        parse, optional = _parser_for(hints[f.name])
        if parse is None:
            continue
        allowed = choices(cls, f.name)
        group.add_argument(*flags, dest=f.name, type=_optional(parse) if optional else parse,
                           choices=allowed or None, default=argparse.SUPPRESS,
                           metavar=None if allowed else f.name.upper(), help=text.replace("%", "%%"))
        added.append(f.name)
    return added


def config_from_args(cls: type[T], args: argparse.Namespace, base: T | None = None) -> T:
    """``base`` (default: ``cls()``) with the fields of ``cls`` given on the command line."""
    base = base if base is not None else cls()
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
    return base.replace(**given) if given else base


def read_config(cls: type[T], path: str | Path) -> T:
    """A config from a JSON file (``run.json`` of an earlier run, or written by hand)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read a {cls.__name__} from it ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a {cls.__name__} is a JSON object, got {type(data).__name__}")
    return cls.from_dict(data)
