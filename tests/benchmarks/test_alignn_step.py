"""The ALIGNN step benchmark on the embedded sample."""
from __future__ import annotations

import json

from benchmarks import alignn_step


def test_reports_step_times_and_peak_memory(tmp_path):
    out = tmp_path / "step.json"
    result = alignn_step.main(["--dataset", "mp_37k_sample", "--batch-size", "3", "--reps", "2",
                               "--checkpoint", "--json", str(out)])
    assert json.loads(out.read_text()) == result
    assert result["checkpoint_line_graph"] is True and result["precision"] == "fp32" and result["heap"] == "trim"
    assert len(result["step_seconds"]) == 2 and min(result["step_seconds"]) > 0
    assert result["bond_pairs"] > result["bonds"] > result["atoms"] > 0 and result["peak_gib"] > 0
