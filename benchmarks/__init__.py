"""Benchmarks a user can run (``python -m benchmarks.<name> --help``); results under ``benchmarks/results/``."""
from __future__ import annotations

import sys
from typing import Callable


def run_main(main: Callable[[], object]) -> None:
    """Run a benchmark's ``main``: a named error of the package (missing data, unknown weights) is one
    line on stderr and exit code 2, not a traceback."""
    from crysgnn_zoo.errors import CrysgnnZooError

    try:
        code = main()
    except CrysgnnZooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
