"""The README's examples run as written and match the example files."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_own_loop_distillation_example_runs():
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "distill_own_loop.py"), "--model", "cgcnn", "--epochs", "2", "--n", "120"],
        capture_output=True, text=True, env=env, timeout=600, cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    maes = [float(m) for m in re.findall(r"test MAE ([0-9.]+) eV/atom", out.stdout)]
    assert len(maes) == 2 and all(0 < m < 1e3 for m in maes)  # 2 epochs on 96 crystals: only that it trains and reports


def test_readme_excerpt_is_code_of_the_example_file():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("Distillation inside your own training loop")
    block = readme[readme.index("```python", start) + 9: readme.index("```", readme.index("```python", start) + 9)]
    example = {line.split("#")[0].strip() for line in (ROOT / "examples" / "distill_own_loop.py").read_text().splitlines()}
    lines = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert len(lines) == 5 and all(line in example for line in lines), lines


def test_finetune_example_runs_from_a_checkpoint(tmp_path):
    from crysgnn_zoo.config import TrainConfig
    from crysgnn_zoo.train.run import train_model

    donor = tmp_path / "donor"
    train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn", model_overrides={"n_conv": 1, "atom_dim": 8},
                train_config=TrainConfig(epochs=1), max_samples=60, split_sizes=(40, 10, 10), out_dir=donor,
                workers=1, progress=False)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "finetune_release.py"), "--init", str(donor / "checkpoint"),
         "--target", "band_gap", "--epochs", "1", "--n", "60"],
        capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "eV/atom" in out.stdout and re.search(r"test MAE [0-9.]+ eV ", out.stdout)
    assert (tmp_path / "runs" / "finetuned" / "checkpoint" / "card.json").exists()


def test_readme_shows_the_finetune_example_verbatim():
    readme = (ROOT / "README.md").read_text()
    body = (ROOT / "examples" / "finetune_release.py").read_text()
    assert body[body.index("model = cz.load_model"):].strip() in readme
