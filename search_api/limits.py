"""In-process rate limits (login and photo search per user). One process serves one site;
a scaled-out deployment puts the same limits in its reverse proxy as well."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many {what}; try again in {retry_after} s")


class SlidingWindow:
    """At most ``limit`` events per ``seconds`` for each key."""

    def __init__(self, what: str, limit: int, seconds: float) -> None:
        self.what, self.limit, self.seconds = what, limit, seconds
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one event for ``key``; raises ``RateLimited`` when over the limit."""
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                raise RateLimited(self.what, max(1, int(events[0] + self.seconds - now) + 1))
            events.append(now)
            if len(self._events) > 100_000:  # forget idle keys rather than grow without bound
                for stale in [k for k, v in self._events.items() if not v or v[-1] <= now - self.seconds][:50_000]:
                    del self._events[stale]
