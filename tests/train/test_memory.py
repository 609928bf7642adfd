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


@linux_glibc
def test_retain_freed_memory_keeps_large_blocks_for_reuse():
    # process-wide and lasting: measured in a child process
    import subprocess

    code = """
import numpy as np
from crysgnn_zoo.train.memory import resident_gib, retain_freed_memory

def kept_after_free():
    before = resident_gib()
    block = np.ones(2**28 // 8)  # 256 MiB, above glibc's mmap threshold
    del block
    return resident_gib() - before

default = kept_after_free()
assert retain_freed_memory()
retained = kept_after_free()
reused = kept_after_free()
print(default, retained, reused)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    default, retained, reused = map(float, out.stdout.split())
    assert default < 0.05  # unmapped on free
    assert retained > 0.2  # kept resident ...
    assert reused < 0.05  # ... and served the next block of that size without growing


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


def test_bound_dnnl_caches_sets_only_unset_variables(monkeypatch):
    from crysgnn_zoo.train.memory import DNNL_CACHE_VARIABLES, bound_dnnl_caches

    for name in DNNL_CACHE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LRU_CACHE_CAPACITY", "7")
    values = bound_dnnl_caches(32)
    assert values == {"ONEDNN_PRIMITIVE_CACHE_CAPACITY": "32", "LRU_CACHE_CAPACITY": "7"}
    with pytest.raises(ValueError, match="capacity"):
        bound_dnnl_caches(-1)


@pytest.mark.parametrize("precision, preset, expected", [("bf16", None, "128"), ("bf16", "1024", "1024"),
                                                      ("fp32", None, "unset")])
def test_a_bf16_trainer_bounds_the_caches_unless_the_user_chose(precision, preset, expected):
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")}
    if preset is not None:
        env["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = preset
    code = ("import os, crysgnn_zoo as cz; "
            "assert 'LRU_CACHE_CAPACITY' not in os.environ; "
            f"cz.Trainer(cz.get_model('alignn', alignn_layers=1, gcn_layers=1, hidden_dim=8), "
            f"cz.TrainConfig(precision='{precision}'), progress=False); "
            "print(os.environ.get('ONEDNN_PRIMITIVE_CACHE_CAPACITY', 'unset'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [expected]
