"""One run per output folder: an exclusive lock on ``<folder>/.lock``.

The lock is an advisory ``flock`` on the lock file, so the operating system
drops it when the holding process ends, however it ends: a lock left by a
killed run is free, and the next run takes it over (with a warning naming the
dead process, whose pid, host and command the file still holds). A second run
into a folder whose owner is alive fails at once with :class:`RunLockedError`
naming the folder and that process. Within one process the lock is re-entrant
(``train_model`` holds it while its ``Trainer`` takes it again).

On release the lock file is removed, and the folder too if the run created it
and left nothing in it, so a run that fails before writing leaves no trace.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
from pathlib import Path

from crysgnn_zoo.errors import RunLockedError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: runs are not locked
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_NAME = ".lock"
_HELD: dict[str, tuple[int, int]] = {}  # resolved folder -> (file descriptor, depth) held by this process


def _owner_text(data: str) -> tuple[str, dict]:
    try:
        info = json.loads(data)
    except json.JSONDecodeError:
        return "an unknown process", {}
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("started", 0)))
    return (f"process {info.get('pid')} on {info.get('host')} (started {started}: "
            f"{info.get('command', '?')})"), info


class RunLock:
    """Context manager holding the lock of ``folder`` (created if missing).

    Raises:
        RunLockedError: another live process holds it.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.held = False
        self._created = False

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    @property
    def _key(self) -> str:
        return str(self.folder.resolve())

    def acquire(self) -> None:
        if self._key in _HELD:
            fd, depth = _HELD[self._key]
            _HELD[self._key] = (fd, depth + 1)
            self.held = True
            return
        self._created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            log.warning("no fcntl on this platform: %s is not locked against other runs", self.folder)
            _HELD[self._key] = (-1, 1)
            self.held = True
            return
        path = self.folder / LOCK_NAME
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder, _ = _owner_text(os.pread(fd, 4096, 0).decode(errors="replace"))
                os.close(fd)
                self._drop_folder_if_empty()
                raise RunLockedError(
                    f"{self.folder} is in use by {holder}; wait for it to finish or choose another output folder"
                ) from None
            try:  # the file may have been removed by a releasing owner between open and flock
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._take_over(fd)
        _HELD[self._key] = (fd, 1)
        self.held = True

    def _take_over(self, fd: int) -> None:
        previous = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        if previous:
            holder, _ = _owner_text(previous)
            log.warning("%s: taking over the lock left by %s, which is no longer running", self.folder, holder)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
                "command": " ".join(sys.argv)[:300]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        fd, depth = _HELD[self._key]
        if depth > 1:
            _HELD[self._key] = (fd, depth - 1)
            return
        del _HELD[self._key]
        if fd >= 0:
            (self.folder / LOCK_NAME).unlink(missing_ok=True)  # while still locked: no one else holds it
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._drop_folder_if_empty()

    def _drop_folder_if_empty(self) -> None:
        if self._created and self.folder.is_dir() and not any(self.folder.iterdir()):
            self.folder.rmdir()
