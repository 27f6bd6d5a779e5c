"""Shared fixtures: real SQLite/PostgreSQL stores, real tantivy indexes, temporary data dirs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from indexer import Ingestor, PhotoStore, TextIndexConfig, create_schema, make_engine, make_session_factory, open_text_index
from search_api.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_RECORDS = FIXTURES / "samples" / "records.jsonl"
SAMPLE_TRUTH = FIXTURES / "samples" / "truth.jsonl"
PG_URL = os.environ.get("TRACKCHILD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _no_match_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process apps run no match worker thread: a test runs the match jobs when it wants
    them (``tests.factories.run_match_jobs``), so no pair appears behind its back. Tests of the
    worker, and live servers, set ``TRACKCHILD_MATCH_JOB_INTERVAL_SECONDS`` themselves."""
    monkeypatch.setenv("TRACKCHILD_MATCH_JOB_INTERVAL_SECONDS", "0")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on a fresh data dir; the environment points there too (for CLI tests)."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("TRACKCHILD_DATA_DIR", str(data_dir))
    monkeypatch.delenv("TRACKCHILD_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRACKCHILD_SEARCH_BACKEND", raising=False)
    return Settings(data_dir=data_dir)


def _pg_available() -> str | None:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: skip, and say why
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A real, empty store: a SQLite file, and PostgreSQL in a schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite+pysqlite:///{tmp_path / 'store.sqlite3'}"
        return
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@pytest.fixture
def session_factory(store_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(store_url)
    create_schema(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def tantivy_index(tmp_path: Path):  # type: ignore[no-untyped-def]
    index = open_text_index(TextIndexConfig(backend="tantivy", tantivy_path=tmp_path / "text_index"))
    yield index
    index.close()


@pytest.fixture
def ingestor(session_factory, tantivy_index, tmp_path: Path) -> Ingestor:  # type: ignore[no-untyped-def]
    return Ingestor(
        session_factory=session_factory, index=tantivy_index, photo_store=PhotoStore(tmp_path / "data", max_bytes=5_000_000), batch_size=7
    )
