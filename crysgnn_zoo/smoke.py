"""Smoke mode: ``CRYSGNN_ZOO_SMOKE=1`` shrinks every training, pre-training and curation run so
that any command or snippet can be tried in seconds (results meaningless; the README test runs
every block of the README this way)."""
from __future__ import annotations

import os

SMOKE_ENV = "CRYSGNN_ZOO_SMOKE"
#: Under smoke mode: crystals per run (and per curated source), epochs, pre-training steps.
SMOKE_CRYSTALS = 64
SMOKE_EPOCHS = 1
SMOKE_STEPS = 2


def smoke() -> bool:
    """Whether ``$CRYSGNN_ZOO_SMOKE`` is set (to anything but empty or 0)."""
    return os.environ.get(SMOKE_ENV, "") not in ("", "0")
