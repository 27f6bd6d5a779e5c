"""The server logs a long full garbage collection (it stops every request of that worker) and
keeps the next ones short by freezing what survived it."""

from __future__ import annotations

import gc
import logging
import time

import pytest

from search_api.gc_watch import MESSAGE, install, uninstall


def _cyclic_heap(n: int) -> list:
    heap = [[i] for i in range(n)]  # objects a full collection must walk
    for cell in heap:
        cell.append(cell)  # cycles: the collector cannot skip them by reference counts
    return heap


def _timed_full_collection() -> float:
    started = time.perf_counter()
    gc.collect(2)
    return time.perf_counter() - started


def test_a_long_full_collection_is_logged_and_its_survivors_are_not_walked_again(caplog: pytest.LogCaptureFixture) -> None:
    heap = _cyclic_heap(400_000)
    watch = install(1)
    try:
        with caplog.at_level(logging.WARNING, logger="trackchild.gc"):
            before = _timed_full_collection()
        assert watch is not None and watch.longest > 0.001
        assert any(MESSAGE in r.getMessage() and "generation 2" in r.getMessage() for r in caplog.records)
        assert watch.frozen == 1 and gc.get_freeze_count() >= len(heap)
        after = _timed_full_collection()  # the heap is frozen: nothing of it is walked now
        assert after < before / 3, (before, after)
    finally:
        uninstall(watch)
        gc.unfreeze()
    del heap


def test_a_short_collection_is_neither_logged_nor_frozen(caplog: pytest.LogCaptureFixture) -> None:
    quiet = install(60_000)  # a minute: no collection here takes that long
    try:
        with caplog.at_level(logging.WARNING, logger="trackchild.gc"):
            gc.collect(2)
        assert not [r for r in caplog.records if MESSAGE in r.getMessage()]
        assert quiet is not None and quiet.frozen == 0
    finally:
        uninstall(quiet)
    assert install(0) is None
