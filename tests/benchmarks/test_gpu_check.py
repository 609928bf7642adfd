"""The GPU check's CPU half runs everywhere (CI has no GPU): the torch backend against DGL."""
from __future__ import annotations

import pytest


def test_cpu_half_passes_and_says_the_gpu_half_did_not_run(capsys):
    torch = pytest.importorskip("torch")
    from benchmarks import gpu_check

    assert gpu_check.main(["--cpu-only"] if torch.cuda.is_available() else []) == 0
    out = capsys.readouterr().out
    assert "CPU half: torch backend against DGL" in out and "(pass)" in out
    if not torch.cuda.is_available():
        assert "the GPU half did not run" in out
