"""Live server processes for tests that need real workers: a free port, a health wait, N uvicorn workers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(base: str, process: subprocess.Popen, *, timeout_s: float, why_not: Callable[[], str]) -> None:
    """Poll ``/health`` until it answers 200; a process that exits or a deadline passed fails with its log."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server at {base} did not start: {why_not()[-2000:]}")
        time.sleep(0.2)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def spawn_uvicorn(env: dict[str, str], *, stderr: Any = subprocess.PIPE) -> tuple[str, subprocess.Popen]:
    """One uvicorn process of the app on a free port (not waited for); its base URL and process."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "search_api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
    return f"http://127.0.0.1:{port}", process


@contextlib.contextmanager
def uvicorn_workers(env: dict[str, str], count: int = 2, *, timeout_s: float = 120) -> Iterator[list[str]]:
    """``count`` separate uvicorn processes of the app on one data dir (as ``serve --workers`` runs them); yields base URLs."""
    started = [spawn_uvicorn(env) for _ in range(count)]
    workers = [process for _, process in started]
    try:
        for url, worker in started:
            wait_until_healthy(url, worker, timeout_s=timeout_s, why_not=lambda w=worker: _stderr_if_dead(w))
        yield [url for url, _ in started]
    finally:
        stop(workers)


def _stderr_if_dead(worker: subprocess.Popen) -> str:
    if worker.poll() is None or worker.stderr is None:
        return "(still running)"
    return worker.stderr.read().decode(errors="replace")


@contextlib.contextmanager
def serving(env: dict[str, str], log_path: Path, *options: str, match_interval: float = 0.3) -> Iterator[str]:
    """``trackchild serve [options]`` on a free port with this environment, until the block ends; yields
    its base URL. Its match worker runs as in production (often, here); ``match_interval=0`` turns it off."""
    port = free_port()
    log = log_path.open("w")
    env = {**env, "TRACKCHILD_MATCH_JOB_INTERVAL_SECONDS": f"{match_interval:g}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "search_api.cli", "serve", "--port", str(port), *options], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server, timeout_s=90, why_not=log_path.read_text)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
