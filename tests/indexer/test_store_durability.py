"""The SQLite system of record is durable by default: WAL with synchronous=FULL (a committed
record survives a power cut; NORMAL in WAL only survives a process crash)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from indexer import make_engine, sqlite_url


def test_sqlite_store_syncs_every_commit(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "store.sqlite3"))
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # 2 = FULL (1 = NORMAL)
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
