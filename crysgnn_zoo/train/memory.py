"""Resident memory of this process: read it, and hand freed heap pages back.

On CPU, tensors come from the C library's ``malloc``. glibc keeps freed
blocks in its heap for reuse, and when mini-batches differ in size (every
crystal batch does) the heap fragments, and memory resident between steps
grows (figures for ALIGNN: docs/performance.md). ``malloc_trim(0)`` returns the free pages to the operating system;
:class:`HeapTrimmer` calls it at most once per ``interval`` seconds of
training, so the trims and the page faults that follow cost a bounded share of
the time (short CGCNN steps are trimmed every ~80 steps, MP-sized ALIGNN steps
every step).

What trimming does not remove is memory still referenced: under bf16
autocast every new matrix-product shape gets an entry in two caches, oneDNN's
primitive cache and ideep's LRU cache (PyTorch's CPU bf16 GEMMs), each 1,024
entries by default. Graph batches change the row count of nearly every product
every step, so with the defaults resident memory grows every ALIGNN step, for
hundreds of steps. :func:`bound_dnnl_caches` caps both at 128 entries (same
wall time; docs/performance.md). The caches read their capacity from the environment when the first bf16
product runs, so :class:`~crysgnn_zoo.train.trainer.Trainer` calls it when a run asks
for bf16, before its first step (nothing is set at import); variables you set win.

:func:`retain_freed_memory` makes the opposite trade, time for memory: freed
blocks stay mapped for reuse (``train_model(..., heap="retain")``).

Everything here is a no-op where it cannot work (not Linux, not glibc).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from functools import lru_cache
from pathlib import Path

from crysgnn_zoo.config import HEAP_POLICIES
from crysgnn_zoo.errors import ConfigError

_STATUS = Path("/proc/self/status")

#: Entries kept per cache by :func:`bound_dnnl_caches` (PyTorch's default: 1,024).
DNNL_CACHE_CAPACITY = 128
DNNL_CACHE_VARIABLES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")


def bound_dnnl_caches(capacity: int = DNNL_CACHE_CAPACITY) -> dict[str, str]:
    """Cap oneDNN's primitive cache and ideep's LRU cache at ``capacity`` entries.

    Sets ``ONEDNN_PRIMITIVE_CACHE_CAPACITY`` and ``LRU_CACHE_CAPACITY`` unless
    already set. Both are read once, when this process runs its first bf16
    matrix product on CPU; later calls change nothing. Returns the values now
    in the environment.
    """
    if capacity < 0:
        raise ValueError(f"cache capacity must be >= 0, got {capacity}")
    for name in DNNL_CACHE_VARIABLES:
        os.environ.setdefault(name, str(capacity))
    return {name: os.environ[name] for name in DNNL_CACHE_VARIABLES}


def _status_gib(field: str) -> float | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20  # kB -> GiB
    except OSError:
        pass
    return None


def resident_gib() -> float | None:
    """This process's resident memory now (VmRSS), GiB; ``None`` where unknown."""
    return _status_gib("VmRSS")


def peak_resident_gib() -> float | None:
    """This process's peak resident memory (VmHWM), GiB; ``None`` where unknown."""
    value = _status_gib("VmHWM")
    if value is None:
        try:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        except (ImportError, OSError):
            return None
    return value


def reset_peak_resident() -> bool:
    """Start a new VmHWM measurement (Linux ``clear_refs``); ``False`` where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@lru_cache(maxsize=None)
def _glibc_function(name: str, argtypes: tuple):
    """A glibc function with its C signature (returning int), or ``None`` where there is none."""
    try:
        fn = getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None
    fn.argtypes = list(argtypes)
    fn.restype = ctypes.c_int
    return fn


def _malloc_trim():
    return _glibc_function("malloc_trim", (ctypes.c_size_t,))


def _mallopt():
    return _glibc_function("mallopt", (ctypes.c_int, ctypes.c_int))


# glibc <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_MAX = -4
_INT_MAX = 2**31 - 1


def retain_freed_memory() -> bool:
    """Keep freed memory mapped so the next allocations reuse it (glibc ``mallopt``).

    By default glibc serves every block above its mmap threshold (at most
    32 MiB) with a fresh ``mmap`` and unmaps it on ``free``; the kernel zeroes
    every page of the next such block when it is first touched. ALIGNN's
    line-graph tensors on an MP batch are hundreds of MB each, so every step
    pays that zeroing again. This call serves all blocks from the heap
    (``M_MMAP_MAX=0``) and hardly ever shrinks it (``M_TRIM_THRESHOLD`` at its
    maximum, 2 GiB, and 1 GiB kept when it does): freed blocks are reused
    without new page faults, at the price of a resident size near the largest
    step's peak plus fragmentation (timings for the paper-size ALIGNN: docs/performance.md).
    Use it without :class:`HeapTrimmer` (trimming hands the pages back again).

    Process-wide and lasting; returns ``False`` where it cannot work (not glibc).
    """
    mallopt = _mallopt()
    if mallopt is None:
        return False
    settings = ((_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, _INT_MAX), (_M_TOP_PAD, 2**30))
    return all([bool(mallopt(option, value)) for option, value in settings])


def release_free_heap() -> bool:
    """glibc ``malloc_trim(0)``: give freed heap pages back to the OS.

    Returns ``True`` when the call was made (whether or not pages were freed).
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def apply_heap_policy(policy: str, trim_interval: float = 5.0) -> float | None:
    """Put this process under heap policy ``policy`` (``trim`` or ``retain``, see
    ``RunConfig.heap``) and return the :class:`HeapTrimmer` interval that goes with it:
    ``retain`` calls :func:`retain_freed_memory` and returns ``None`` (trimming would undo
    it); ``trim``, or ``retain`` where it cannot work (not glibc), returns ``trim_interval``.

    Raises:
        ConfigError: an unknown policy.
    """
    if policy not in HEAP_POLICIES:
        raise ConfigError(f"heap must be one of {', '.join(HEAP_POLICIES)}, got {policy!r}")
    return None if policy == "retain" and retain_freed_memory() else trim_interval


class HeapTrimmer:
    """Calls :func:`release_free_heap` when ``interval`` seconds have passed since the last call.

    ``step()`` after each training step; ``force()`` at phase ends.
    ``interval=0`` trims every step; ``None`` never trims.
    """

    def __init__(self, interval: float | None = 5.0) -> None:
        self.interval = interval
        self.calls = 0
        self._last = time.perf_counter()

    def step(self) -> bool:
        if self.interval is None:
            return False
        now = time.perf_counter()
        if now - self._last < self.interval:
            return False
        return self.force()

    def force(self) -> bool:
        if self.interval is None:
            return False
        done = release_free_heap()
        self.calls += int(done)
        self._last = time.perf_counter()
        return done
