"""One worker per data dir for background work inside ``serve``, however many processes serve.

``serve --workers N`` runs N processes, each with the same background threads (notification
delivery, matching after filing). Each kind of work elects its own leader with an exclusive,
non-blocking file lock in the data dir (as ``index_writer`` does for the indexes): the holder
keeps it while it runs; if its process dies the system drops the lock and the next worker to
try takes over. Claims in the database (compare-and-swap) stay the safety net underneath.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path


class Leadership:
    """An exclusive, non-blocking lock on ``path``, held by one process at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def holds(self) -> bool:
        """Whether this worker leads (taking the lead if nobody holds it)."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for an operator wondering which process does the work
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class LeaderLoop:
    """A daemon thread that, when it leads, runs ``work`` every ``interval`` seconds; the
    others wait and try to lead at each tick. One failing pass is logged and the loop goes on."""

    def __init__(self, *, name: str, leadership: Leadership, interval: float, work: Callable[[], object], log: logging.Logger) -> None:
        self.leadership, self.interval, self.work, self.log = leadership, interval, work, log
        self.passes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> LeaderLoop:
        self._thread.start()
        return self

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                if not self.leadership.holds():
                    continue
                try:
                    self.work()
                    self.passes += 1
                except Exception:  # the worker must outlive one bad pass; the error is logged with ids only
                    self.log.exception("%s pass failed", self._thread.name)
        finally:
            self.leadership.release()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
