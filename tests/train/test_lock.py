"""An output folder is owned by one run at a time; a lock left by a killed run is taken over."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.errors import RunLockedError
from crysgnn_zoo.train.lock import LOCK_NAME, RunLock
from crysgnn_zoo.train.run import train_model

_HOLD = """
import sys, time
from crysgnn_zoo.train.lock import RunLock
with RunLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock on tmp_path/run."""
    folder = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield folder, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_second_run_fails_at_once_naming_folder_and_process(holder):
    folder, proc = holder
    t0 = time.perf_counter()
    with pytest.raises(RunLockedError) as info:
        with RunLock(folder):
            pass
    assert time.perf_counter() - t0 < 5
    assert str(folder) in str(info.value) and f"process {proc.pid}" in str(info.value)


def test_train_model_refuses_a_folder_in_use_and_writes_nothing(holder):
    folder, proc = holder
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(RunLockedError, match=f"process {proc.pid}"):
        train_model("mp_37k_sample", "band_gap", "cgcnn", out_dir=folder, max_samples=30, split_sizes=(20, 5, 5),
                    train_config=TrainConfig(epochs=1), workers=1, progress=False)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_lock_of_a_killed_run_is_taken_over(holder, caplog):
    folder, proc = holder
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (folder / LOCK_NAME).exists()
    with caplog.at_level(logging.WARNING, logger="crysgnn_zoo.train.lock"):
        with RunLock(folder) as lock:
            assert lock.held
    assert f"process {proc.pid}" in caplog.text and "no longer running" in caplog.text


def test_lock_is_reentrant_within_a_process_and_released(tmp_path):
    folder = tmp_path / "run"
    with RunLock(folder):
        with RunLock(folder):
            pass
        with RunLock(folder):  # still held by the outer block
            pass
    code = f"from crysgnn_zoo.train.lock import RunLock\nwith RunLock({str(folder)!r}): print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
