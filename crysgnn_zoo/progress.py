"""Progress a person can follow on a terminal and in a log file.

On a terminal :func:`bar` is an ordinary tqdm bar. When stderr is not a terminal (a CI log,
``nohup``, a notebook's captured stream) it writes plain lines instead: one line at most every
:data:`LOG_INTERVAL` seconds (``desc: 3/10 [00:42<01:38, 14.0s/it, loss=0.12, val_mae=0.034]``),
and a last line when the work ends; never a carriage return.
"""
from __future__ import annotations

import io
import sys
from typing import Any, Iterable

from tqdm.auto import tqdm

#: Seconds between two progress lines in a log (and before the first one).
LOG_INTERVAL = 30.0
LOG_FORMAT = "{desc}: {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]"


class _Lines(io.TextIOBase):
    """A stream for tqdm that turns each carriage-return refresh into one plain line on stderr."""

    def write(self, text: str) -> int:
        for piece in text.replace("\n", "\r").split("\r"):
            piece = piece.rstrip()
            if piece:
                sys.stderr.write(piece + "\n")
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()


def on_terminal() -> bool:
    """Whether stderr is an interactive terminal."""
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def bar(iterable: Iterable | None = None, *, disable: bool = False, **kwargs: Any) -> tqdm:
    """A tqdm bar on a terminal; timed plain lines in a log (see the module docstring)."""
    if disable or on_terminal():
        return tqdm(iterable, disable=disable, **kwargs)
    kwargs.pop("leave", None)
    return tqdm(iterable, file=_Lines(), mininterval=LOG_INTERVAL, delay=LOG_INTERVAL, bar_format=LOG_FORMAT,
                leave=True, ascii=True, **kwargs)
