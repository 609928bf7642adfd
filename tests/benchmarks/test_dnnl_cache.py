"""The oneDNN/ideep cache-capacity memory benchmark, a few steps per configuration."""
from __future__ import annotations

import json

from benchmarks import dnnl_cache


def test_runs_each_capacity_in_its_own_process_and_writes_both_outputs(tmp_path):
    assert dnnl_cache.main(["--steps", "4", "--capacities", "1024,16", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "results.json").read_text())
    assert [r["capacity"] for r in rows] == [1024, 16]
    for r in rows:
        assert r["kind"] == "gemm" and len(r["resident_gib"]) == 4 and min(r["resident_gib"]) > 0
    table = (tmp_path / "results.md").read_text()
    assert "| gemm | 16 | 4 |" in table
