"""The server logs a long full garbage collection (it stops every request of that worker)."""

from __future__ import annotations

import gc
import logging

import pytest

from search_api.gc_watch import MESSAGE, install, uninstall


def test_a_long_full_collection_is_logged_and_a_short_one_is_not(caplog: pytest.LogCaptureFixture) -> None:
    heap = [[i] for i in range(300_000)]  # objects a full collection must walk
    for cell in heap:
        cell.append(cell)  # cycles: the collector cannot skip them by reference counts
    watch = install(1)
    try:
        with caplog.at_level(logging.WARNING, logger="trackchild.gc"):
            gc.collect(2)
        assert watch is not None and watch.longest > 0.001
        assert any(MESSAGE in r.getMessage() and "generation 2" in r.getMessage() for r in caplog.records)
    finally:
        uninstall(watch)
    caplog.clear()
    quiet = install(60_000)  # a minute: no collection here takes that long
    try:
        with caplog.at_level(logging.WARNING, logger="trackchild.gc"):
            gc.collect(2)
        assert not [r for r in caplog.records if MESSAGE in r.getMessage()]
    finally:
        uninstall(quiet)
    assert install(0) is None
    del heap
