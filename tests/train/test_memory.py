"""Resident-memory readings and returning freed heap pages to the OS."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from crysgnn_zoo.train.memory import (
    HeapTrimmer,
    peak_resident_gib,
    release_free_heap,
    reset_peak_resident,
    resident_gib,
)

linux_glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not release_free_heap(), reason="needs Linux with glibc"
)


@linux_glibc
def test_readings_are_consistent():
    assert reset_peak_resident()
    now, peak = resident_gib(), peak_resident_gib()
    assert 0 < now <= peak < now + 0.05
    block = np.ones(64 * 2**20 // 8)  # 64 MiB touched
    assert peak_resident_gib() >= now + 0.05
    del block
    release_free_heap()
    assert reset_peak_resident()
    assert peak_resident_gib() < now + 0.05


@linux_glibc
def test_trim_returns_fragmented_heap_pages():
    # 256 MiB in 64 KiB blocks (below glibc's mmap threshold: they live in the heap);
    # freeing every block but the last keeps the heap top in use, so glibc keeps the pages
    blocks = [np.ones(8192) for _ in range(4096)]
    held = blocks[-1]
    before = resident_gib()
    del blocks
    kept = resident_gib()
    assert release_free_heap()
    after = resident_gib()
    assert kept - after > 0.1, (before, kept, after)
    assert held.sum() == 8192


def test_heap_trimmer_interval(monkeypatch):
    calls = []
    monkeypatch.setattr("crysgnn_zoo.train.memory.release_free_heap", lambda: calls.append(1) or True)
    never = HeapTrimmer(None)
    assert not never.step() and not never.force() and calls == []
    each = HeapTrimmer(0.0)
    assert each.step() and each.step() and each.calls == 2
    rare = HeapTrimmer(3600.0)
    assert not rare.step() and rare.force() and rare.calls == 1
    assert len(calls) == 3
