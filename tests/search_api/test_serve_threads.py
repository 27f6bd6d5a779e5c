"""One worker under more concurrent users than anyio's default 40 threads (issue 11, load).

Each audited read holds the store's write lock from its audit entry until the commit, and the
commit comes after the answer is serialised, on a thread of the same pool. With 40 threads and
50 users, 40 requests waited on the lock holding every thread, the holder waited for a thread,
and all of them failed with "database is locked" after SQLite's 30 s timeout (bench load, one
worker: 101 of 135 requests). A real server on loopback, real SQLite, real threads.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from search_api.app import create_app
from search_api.config import Settings
from search_api.resources import open_resources
from tests.factories import add_users, missing_report

PASSWORD = "threads password 2026"
USERS = 60


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _many_reads(base: str, token: str, ids: list[str]) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=USERS, max_keepalive_connections=USERS)
    async with httpx.AsyncClient(base_url=base, timeout=25, limits=limits) as client:

        async def read(record_id: str) -> int:
            try:
                return (await client.get(f"/records/missing/{record_id}", headers=headers)).status_code
            except httpx.HTTPError:
                return 0

        return list(await asyncio.gather(*(read(i) for i in ids)))


@pytest.mark.slow
def test_one_worker_answers_more_concurrent_audited_reads_than_anyio_default_threads(tmp_path: Path) -> None:
    settings = Settings.isolated(data_dir=tmp_path / "data")
    records = [missing_report(id=f"MP-TH-{i}") for i in range(USERS)]
    with open_resources(settings) as res:
        from search_api.db import create_service_schema

        create_service_schema(res.engine)
        assert res.ingestor().ingest_records(records).ok
        add_users(res, password=PASSWORD, people=[("reader", "admin", "", "", "")])
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{server.config.port}"
        token = httpx.post(f"{base}/auth/token", data={"username": "reader", "password": PASSWORD}).json()["access_token"]
        for _ in range(3):  # three waves of 60 at once
            started = time.perf_counter()
            statuses = asyncio.run(_many_reads(base, token, [r["id"] for r in records]))
            assert statuses == [200] * USERS, sorted(set(statuses))
            assert time.perf_counter() - started < 20  # no request waited out the 30 s lock timeout
    finally:
        server.should_exit = True
        thread.join(timeout=30)
