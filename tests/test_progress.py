"""Progress in a log file: plain lines at a steady rate, never a carriage return."""
from __future__ import annotations

import io
import time

import crysgnn_zoo.progress as progress


class _Log(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_off_a_terminal_progress_is_plain_timed_lines(monkeypatch):
    log = _Log()
    monkeypatch.setattr("sys.stderr", log)
    monkeypatch.setattr(progress, "LOG_INTERVAL", 0.05)
    bar = progress.bar(range(4), desc="epochs")
    for _ in bar:
        time.sleep(0.06)
        bar.set_postfix(val_mae="0.1234", val_r2="0.812")
    text = log.getvalue()
    assert "\r" not in text
    lines = [line for line in text.splitlines() if line]
    assert len(lines) >= 3 and all(line.startswith("epochs: ") for line in lines)
    assert lines[-1].startswith("epochs: 4/4") and "val_r2=0.812" in lines[-1]


def test_short_work_in_a_log_prints_nothing_and_disabled_progress_never_prints(monkeypatch):
    log = _Log()
    monkeypatch.setattr("sys.stderr", log)
    for _ in progress.bar(range(3), desc="quick"):  # done before the first interval
        pass
    for _ in progress.bar(range(3), desc="off", disable=True):
        pass
    assert "off" not in log.getvalue() and "\r" not in log.getvalue()
