"""Rate limits (login and photo search per user) kept in the store, so that every worker
process of one deployment counts against the same limit.

Each key has a fixed window that starts at its first hit: one atomic upsert per hit counts
it and answers the count, on SQLite and PostgreSQL alike (``INSERT … ON CONFLICT … DO UPDATE
… RETURNING``), in a transaction of its own so that a refused request's rollback keeps it.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import Engine, Float, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase


class RateLimitRow(ServiceBase):
    """Hits of one key (e.g. ``login:ramesh``) in its current window."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[float] = mapped_column(Float)  # seconds since the epoch
    hits: Mapped[int] = mapped_column(Integer)


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many {what}; try again in {retry_after} s")


_HIT = text(
    """
    INSERT INTO rate_limits (key, window_start, hits) VALUES (:key, :now, 1)
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN rate_limits.window_start <= :stale THEN 1 ELSE rate_limits.hits + 1 END,
        window_start = CASE WHEN rate_limits.window_start <= :stale THEN :now ELSE rate_limits.window_start END
    RETURNING hits, window_start
    """
)
_FORGET = text("DELETE FROM rate_limits WHERE window_start <= :stale")


class StoreWindow:
    """At most ``limit`` events per ``seconds`` for each key, counted in the store."""

    def __init__(self, engine: Engine, what: str, name: str, limit: int, seconds: float) -> None:
        self.engine, self.what, self.name, self.limit, self.seconds = engine, what, name, limit, seconds

    def hit(self, key: str) -> None:
        """Count one event for ``key``; raises ``RateLimited`` when over the limit."""
        now = time.time()
        with self.engine.begin() as conn:
            hits, started = conn.execute(_HIT, {"key": f"{self.name}:{key}"[:200], "now": now, "stale": now - self.seconds}).one()
            if random.random() < 0.01:  # forget idle keys now and then, rather than grow without bound
                conn.execute(_FORGET, {"stale": now - 10 * self.seconds})
        if hits > self.limit:
            raise RateLimited(self.what, max(1, int(started + self.seconds - now) + 1))
