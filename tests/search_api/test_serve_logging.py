"""``serve --workers 2`` logs one access line per request from each worker (path, status, ms,
the worker's pid), and never a query string. Before search_api/logs.py the workers printed
warnings only: the access lines went nowhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.resources import open_resources
from tests.live import free_port, stop, wait_until_healthy

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_every_worker_logs_its_requests_without_query_strings(settings: Settings, tmp_path: Path) -> None:
    with open_resources(settings) as res:
        create_service_schema(res.engine)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKCHILD_")}
    env |= {"TRACKCHILD_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT)}
    if settings.database_url:
        env["TRACKCHILD_DATABASE_URL"] = settings.database_url
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        command = [sys.executable, "-m", "search_api.cli", "serve", "--port", str(port), "--workers", "2"]
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base, server, timeout_s=120, why_not=log_path.read_text)
            for _ in range(20):
                urllib.request.urlopen(f"{base}/health", timeout=10).close()
            with pytest.raises(urllib.error.HTTPError):  # not logged in: 401, but the line is written
                urllib.request.urlopen(f"{base}/search?q=Sunita+Kumari", timeout=10)
        finally:
            stop([server])
    text = log_path.read_text()
    lines = re.findall(r"^\S+ \S+ (\d+) trackchild\.access INFO GET (\S+) (\d+) \d+ms$", text, flags=re.M)
    assert ("/health", "200") in {(path, status) for _, path, status in lines}, text[-2000:]
    assert ("/search", "401") in {(path, status) for _, path, status in lines}, text[-2000:]
    assert str(server.pid) not in {pid for pid, _, _ in lines}  # written by the workers, not the supervisor
    assert "Sunita" not in text  # a child's name in a query string never reaches the log
