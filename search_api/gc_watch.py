"""Logs the garbage collector's long pauses: a full collection walks every object of the worker
(the matcher's caches hold millions at 100,000 records per side) and stops every request the
worker is answering, so a latency tail can be told from a slow route by this log line."""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("trackchild.gc")
MESSAGE = "slow garbage collection"  # bench load counts these lines


class PauseWatch:
    """A ``gc.callbacks`` entry: times each collection and logs those over ``warn_ms``."""

    def __init__(self, warn_ms: int) -> None:
        self.warn_s = warn_ms / 1000
        self._started = 0.0
        self.longest = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.longest = max(self.longest, took)
        if took >= self.warn_s:
            log.warning(
                "%s: generation %s took %.0f ms (%s collected)", MESSAGE, info.get("generation"), 1000 * took, info.get("collected")
            )


def install(warn_ms: int) -> PauseWatch | None:
    """Watch this process's collections (None when ``warn_ms`` is 0)."""
    if warn_ms <= 0:
        return None
    watch = PauseWatch(warn_ms)
    gc.callbacks.append(watch)
    return watch


def uninstall(watch: PauseWatch | None) -> None:
    if watch is not None and watch in gc.callbacks:
        gc.callbacks.remove(watch)
