"""Writing result tables a person opens: cells a spreadsheet never runs, files never half-written.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (an id taken from
a file name, an error message quoting one) is written with a leading apostrophe, so a spreadsheet
shows it instead of running it as a formula. A file is written to a temporary name beside it and
renamed: a failed write (full disk, Ctrl-C) leaves the old file or none, never a partial one.
"""
from __future__ import annotations

import contextlib
import csv
import os
import sys
from pathlib import Path
from typing import Iterable

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """``value``, with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are :func:`spreadsheet_safe`."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(spreadsheet_safe)
    out.attrs = dict(frame.attrs)
    return out


@contextlib.contextmanager
def written_whole(path: Path):
    """Yield a temporary path beside ``path``; renamed to ``path`` when the block ends without error,
    removed otherwise."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_table(frame: pd.DataFrame, path: str | Path | None, float_format: str = "%.6g") -> None:
    """``frame`` as CSV to ``path`` (written whole) or to stdout when ``path`` is None."""
    frame = safe_frame(frame)
    if path is None:
        frame.to_csv(sys.stdout, index=False, float_format=float_format)
        return
    with written_whole(Path(path)) as tmp:
        frame.to_csv(tmp, index=False, float_format=float_format)


def write_rows(path: str | Path, header: list[str], rows: Iterable[list]) -> None:
    """Rows as CSV (written whole), every text cell :func:`spreadsheet_safe`."""
    with written_whole(Path(path)) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([spreadsheet_safe(v) for v in row] for row in rows)
