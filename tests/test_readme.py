"""The README cannot drift: every Python block and every ``crysgnn-zoo`` command in it runs as written.

Runs are shrunk by ``CRYSGNN_ZOO_SMOKE=1`` (:mod:`crysgnn_zoo.smoke`, which the README mentions): one
epoch on at most 64 crystals, a few pre-training steps. The files the commands name (``cifs/``,
``data.csv``, ``one.cif``, ``new_structures/``) are made here from the embedded sample. What does not
run here is listed in ``EXEMPT`` with the reason, and the test checks those lines are still in the README.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from shared_data import requires_shared

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLES = ROOT / "examples"

#: README lines not run here, with why.
EXEMPT = {
    "make demo": "the install and demo entry point; `crysgnn-zoo demo` runs in tests/test_cli.py",
    "make test": "the test suite itself (CI runs it)",
    "crysgnn-zoo pretrain ... --normalize-embeddings": "`...` stands for the options of the line above",
    "python -m benchmarks.run --dataset perov_5": "every student and seed on perov_5: hours (the runner's own tests "
                                                  "run it small)",
    "python -m benchmarks.run --dataset mp --data-path": "needs the MP 2018.6.1 file, which is not in the repository "
                                                         "(without it: a one-line error saying where it comes from)",
    "python -m benchmarks.summary": "rewrites the committed SUMMARY.md (tests/benchmarks/test_summary.py covers it)",
    "pip install -e '.[peers]'": "installs the peer packages from PyPI",
    ".venv/bin/pip install --force-reinstall torch": "installs a CUDA build of torch (several GB)",
    "python -m benchmarks.gpu_check": "tests/benchmarks/test_gpu_check.py runs its CPU half (no GPU in CI)",
}


def blocks(language: str) -> list[str]:
    """The README's fenced blocks of ``language``, in order."""
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def commands(block: str) -> list[str]:
    """The shell lines of a bash block: continuations joined, comments dropped."""
    out = []
    for line in block.replace("\\\n", " ").splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _excerpt(block: str) -> str | None:
    """The example file a Python block is an excerpt of (each of its lines is in it), if any."""
    lines = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    for path in sorted(EXAMPLES.glob("*.py")):
        body = {line.split("#")[0].strip() for line in path.read_text().splitlines()}
        if all(line in body for line in lines):
            return path.name
    return None


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder holding the files the README's commands name, in smoke mode."""
    from crysgnn_zoo.data.sources import dataset_source

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRYSGNN_ZOO_SMOKE", "1")
    entries = [e for _, e in zip(range(64), dataset_source("mp_37k_sample").entries())]
    (tmp_path / "cifs").mkdir()
    (tmp_path / "new_structures").mkdir()
    for e in entries:
        (tmp_path / "cifs" / f"{e.id}.cif").write_text(e.payload)
    (tmp_path / "cifs" / "id_prop.csv").write_text(
        "".join(f"{e.id}.cif,{e.targets['formation_energy_per_atom']}\n" for e in entries))
    for e in entries[:3]:
        (tmp_path / "new_structures" / f"{e.id}.cif").write_text(e.payload)
    (tmp_path / "one.cif").write_text(entries[3].payload)
    pd.DataFrame({"id": [e.id for e in entries], "cif": [e.payload for e in entries],
                  "y": [e.targets["band_gap"] for e in entries]}).to_csv(tmp_path / "data.csv", index=False)
    pd.DataFrame({"id": [e.id for e in entries[:20]], "cif": [e.payload for e in entries[:20]],
                  "formation_energy_per_atom": [e.targets["formation_energy_per_atom"] for e in entries[:20]]}
                 ).to_csv(tmp_path / "labelled.csv", index=False)
    return tmp_path


def test_the_exempt_lines_are_still_in_the_readme_and_the_smoke_switch_is_documented():
    text = README.read_text()
    assert all(line in text for line in EXEMPT)
    assert "CRYSGNN_ZOO_SMOKE=1" in text


@requires_shared
@pytest.mark.filterwarnings("ignore:.*never saw in training")
def test_every_crysgnn_zoo_command_runs_as_written(workdir, capsys):
    from crysgnn_zoo.cli import main

    ran = []
    for block in blocks("bash"):
        for line in commands(block):
            if any(line.startswith(e) for e in EXEMPT):
                continue
            if line.startswith("python scripts/"):  # run from the checkout; writes under runs/ of the folder it runs in
                argv = shlex.split(line)
                done = subprocess.run([sys.executable, str(ROOT / argv[1]), *argv[2:]], capture_output=True, text=True,
                                      timeout=600)
                assert done.returncode == 0, f"`{line}`: {done.stderr[-1500:]}"
                ran.append(line)
                continue
            assert line.startswith("crysgnn-zoo "), f"a README command the test does not know how to run: {line}"
            code = main(shlex.split(line)[1:])
            assert code == 0, f"`{line}` exited {code}: {capsys.readouterr().err[-1500:]}"
            ran.append(line)
    assert len(ran) >= 12, ran
    assert (workdir / "predictions.csv").exists() and (workdir / "emb.parquet").exists()
    assert (workdir / "parity.png").exists() and (workdir / "errors.csv").exists()
    assert (workdir / "runs" / "releases" / "weights" / "teacher-v3" / "card.json").exists()  # not in models/


@requires_shared
@pytest.mark.filterwarnings("ignore:.*never saw in training")
def test_every_python_block_runs_as_written(workdir):
    namespace: dict = {}
    ran = 0
    for block in blocks("python"):
        if _excerpt(block):  # an excerpt of an example file, which tests/examples runs whole
            continue
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
        ran += 1
    assert ran >= 3
    assert (workdir / "runs" / "bg" / "checkpoint" / "card.json").exists()
