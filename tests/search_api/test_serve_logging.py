"""``serve`` as people use it: every worker logs its requests (path, status, ms, pid; never a
query string: before search_api/logs.py the workers printed warnings only), and a connection
idle for longer than uvicorn's 5 s keep-alive still carries the next request."""

from __future__ import annotations

import os
import re
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.resources import open_resources
from tests.live import serving

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_every_worker_logs_its_requests_without_query_strings(settings: Settings, tmp_path: Path) -> None:
    log_path = tmp_path / "serve.log"
    with serving(_env(settings), log_path, "--workers", "2") as base:
        for _ in range(20):
            urllib.request.urlopen(f"{base}/health", timeout=10).close()
        with pytest.raises(urllib.error.HTTPError):  # not logged in: 401, but the line is written
            urllib.request.urlopen(f"{base}/search?q=Sunita+Kumari", timeout=10)
        supervisor = int(re.findall(r"Started parent process \[(\d+)\]", log_path.read_text())[0])
    text = log_path.read_text()
    lines = re.findall(r"^\S+ \S+ (\d+) trackchild\.access INFO GET (\S+) (\d+) \d+ms$", text, flags=re.M)
    assert ("/health", "200") in {(path, status) for _, path, status in lines}, text[-2000:]
    assert ("/search", "401") in {(path, status) for _, path, status in lines}, text[-2000:]
    assert str(supervisor) not in {pid for pid, _, _ in lines}  # written by the workers, not the supervisor
    assert "Sunita" not in text  # a child's name in a query string never reaches the log


def _env(settings: Settings) -> dict[str, str]:
    """The environment of a server on ``settings``' store (its schema made), nothing else of ours."""
    with open_resources(settings) as res:
        create_service_schema(res.engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKCHILD_")}
    env |= {"TRACKCHILD_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT)}
    if settings.database_url:
        env["TRACKCHILD_DATABASE_URL"] = settings.database_url
    return env


def _ask_health(conn: socket.socket) -> bytes:
    conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
    answer = b""
    while b'"ok"}' not in answer:
        chunk = conn.recv(65536)
        if not chunk:  # the server closed the connection
            break
        answer += chunk
    return answer


def test_an_idle_connection_outlives_a_reading_pause(settings: Settings, tmp_path: Path) -> None:
    """A person reads a page for a few seconds and clicks again on the same connection: before
    ``keep_alive_seconds`` the server had closed it after 5 s and the click got no answer."""
    with serving(_env(settings), tmp_path / "serve.log") as base:
        port = urlsplit(base).port or 80
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            assert _ask_health(conn).startswith(b"HTTP/1.1 200")
            time.sleep(6.5)
            assert _ask_health(conn).startswith(b"HTTP/1.1 200")
