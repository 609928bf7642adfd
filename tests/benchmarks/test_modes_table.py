"""The transfer-mode table from recorded runs: paired changes, the knowledge share, CHGNet rows."""
from __future__ import annotations

import json

import pytest

from benchmarks import modes
from benchmarks.records import write_records

ROW = "carbon_24_energy_per_atom"


def _run(mode: str, seed: int, val: float, test: float) -> dict:
    return {"dataset": "carbon_24", "target": "energy_per_atom", "model": "cgcnn", "mode": mode, "seed": seed, "split_seed": seed,
            "split_hash": f"h{seed}", "test": {"mae": test, "r2": 0.9}, "extra": {"val": {"mae": val}}}


def _write(root, folder: str, mode: str, maes: dict) -> None:
    path = root / ROW / folder
    path.mkdir(parents=True)
    write_records(path, {"dataset": "carbon_24"}, [_run(mode, s, v, t) for s, (v, t) in maes.items()])


@pytest.fixture
def grid(tmp_path, monkeypatch):
    trained, control = tmp_path / "teachers", tmp_path / "teacher_control"
    monkeypatch.setattr(modes, "RESULTS", tmp_path)
    monkeypatch.setattr(modes, "TEACHERS", {"crysgnn-v1": trained, "chgnet-0.3.0": trained,
                                            "crysgnn-random0": control})
    _write(trained, "vanilla", "vanilla", {0: (1.0, 1.0), 1: (2.0, 2.0)})
    _write(trained, "crysgnn-v1_spread_0.5_1_half_decay_crystal", "distilled", {0: (0.8, 0.9), 1: (1.8, 1.9)})
    _write(control, "crysgnn-random0_spread_0.5_1_half_decay_crystal", "distilled", {0: (0.9, 1.0), 1: (1.9, 2.0)})
    _write(trained, "chgnet-0.3.0_spread_0.5_1_half_decay", "distilled", {0: (1.1, 1.2), 1: (2.2, 2.0)})
    return tmp_path


def test_changes_are_paired_per_seed_and_the_knowledge_is_against_the_untrained_control(grid):
    rows = {(r["mode"], r["teacher"]): r for r in modes.results() if r["row"] == ROW}
    assert set(rows) == {("crystal", "crysgnn-v1"), ("crystal", "crysgnn-random0"), ("embedding", "chgnet-0.3.0")}
    v1 = rows["crystal", "crysgnn-v1"]
    assert v1["val"] == pytest.approx({0: -20.0, 1: -10.0})
    assert v1["knowledge"]["val_points"] == pytest.approx([-10.0, -5.0])  # random0: -10 and -5 %
    assert v1["knowledge"]["share"] == pytest.approx(0.5)
    assert rows["embedding", "chgnet-0.3.0"]["knowledge"] is None  # no untrained CHGNet to compare with
    assert rows["embedding", "chgnet-0.3.0"]["test_mae"] == pytest.approx(1.6)
    table = modes.markdown(modes.results())
    assert "| crystal | crysgnn-v1 | -15.0 (-20.0, -10.0) |" in table and "-7.5 (50 %)" in table


def test_a_run_on_another_split_is_refused(grid):
    path = grid / "teachers" / ROW / "crysgnn-v1_spread_0.5_1_half_decay_crystal"
    other = [{**_run("distilled", 0, 0.8, 0.9), "split_hash": "elsewhere"}]
    write_records(path, {"dataset": "carbon_24"}, other)
    with pytest.raises(SystemExit, match="split elsewhere != h0"):
        modes.results()


def test_main_writes_the_table_results_and_plot(grid):
    assert modes.main(["--out", str(grid / "out")]) == 0
    assert json.loads((grid / "out" / "results.json").read_text())
    assert (grid / "out" / "plot.png").stat().st_size > 1000 and "## carbon_24" in (grid / "out" / "table.md").read_text()
