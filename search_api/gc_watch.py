"""The garbage collector's long pauses, logged and kept from coming back.

A full collection walks every object of the worker (the matcher's caches hold millions at
100,000 records per side) and stops every request the worker is answering: bench load at 100,000
per side saw 13 full collections over 200 ms in a minute, the longest 1.2 s, the whole p95/p99
tail of otherwise 20 ms reads. After such a collection every object still there has just been
proven reachable, so it is moved out of the collector's sight (``gc.freeze``): later collections
walk only what came since. Reference counting still frees frozen objects; only a reference cycle
among them would stay until the worker restarts, which the caches' entries do not form."""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("trackchild.gc")
MESSAGE = "slow garbage collection"  # bench load counts these lines


class PauseWatch:
    """A ``gc.callbacks`` entry: times each collection and logs those over ``warn_ms``."""

    def __init__(self, warn_ms: int, *, freeze: bool = True) -> None:
        self.warn_s = warn_ms / 1000
        self.freeze = freeze
        self.frozen = 0  # times the survivors were frozen
        self._started = 0.0
        self.longest = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.longest = max(self.longest, took)
        if took >= self.warn_s:
            generation = info.get("generation")
            log.warning("%s: generation %s took %.0f ms (%s collected)", MESSAGE, generation, 1000 * took, info.get("collected"))
            if self.freeze and generation == 2:
                gc.freeze()  # the survivors of a full collection: never walked again
                self.frozen += 1


def install(warn_ms: int, *, freeze: bool = True) -> PauseWatch | None:
    """Watch this process's collections (None when ``warn_ms`` is 0)."""
    if warn_ms <= 0:
        return None
    watch = PauseWatch(warn_ms, freeze=freeze)
    gc.callbacks.append(watch)
    return watch


def uninstall(watch: PauseWatch | None) -> None:
    if watch is not None and watch in gc.callbacks:
        gc.callbacks.remove(watch)
