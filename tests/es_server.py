"""An Elasticsearch-API server for the tests, and a loopback proxy that injects faults in front of it.

By default the server is noida-db, an emulator of the Elasticsearch 8 REST API written in
Rust (installed from PyPI with the dev extra), started on a free port for the test session
and stopped at its end. It is not Elasticsearch: test ids say ``es-emulator``, and no test
compares scores across engines. With ``TRACKCHILD_ES_URL`` set (CI against real
Elasticsearch 8 and 9), that server is used instead and test ids say ``elasticsearch``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ES_LABEL = "elasticsearch" if os.environ.get("TRACKCHILD_ES_URL") else "es-emulator"


@dataclass(frozen=True)
class EsServer:
    url: str
    label: str  # "es-emulator" (noida-db) or "elasticsearch" (a real server from TRACKCHILD_ES_URL)
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True

    @property
    def is_emulator(self) -> bool:
        return self.label == "es-emulator"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _noida_binary() -> str | None:
    """The server binary itself (the ``noida-db`` script is a wrapper that would outlive a terminate as a parent only)."""
    try:
        from importlib.resources import files

        binary = files("noida_db").joinpath("noida-db")
        if binary.is_file():
            return str(binary)
    except ImportError:
        pass
    beside_python = Path(sys.executable).parent / "noida-db"
    return str(beside_python) if beside_python.exists() else shutil.which("noida-db")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and anything it started (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"noida-db exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_cluster/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"noida-db did not answer /_cluster/health within {timeout:.0f}s: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="session")
def es_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EsServer]:
    """A real server from TRACKCHILD_ES_URL, else the noida-db emulator on a free port for this session."""
    url = os.environ.get("TRACKCHILD_ES_URL")
    if url:
        yield EsServer(
            url=url,
            label="elasticsearch",
            username=os.environ.get("TRACKCHILD_ES_USERNAME"),
            password=os.environ.get("TRACKCHILD_ES_PASSWORD"),
            ca_certs=os.environ.get("TRACKCHILD_ES_CA_CERTS"),
            verify_certs=os.environ.get("TRACKCHILD_ES_VERIFY_CERTS", "true") != "false",
        )
        return
    binary = _noida_binary()
    if binary is None:
        pytest.skip(
            "Elasticsearch half skipped: the noida-db emulator is not installed (pip install -e '.[dev]') and TRACKCHILD_ES_URL is unset"
        )
    folder = tmp_path_factory.mktemp("noida-db")
    log = folder / "noida-db.log"
    last_error: Exception | None = None
    for _ in range(3):  # the free port may be taken between our probe and the server's bind
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [binary, "start", "--only", "elasticsearch", "--elasticsearch-port", str(port), "--data-dir", str(folder / "data")],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: teardown stops the whole of it
            )
        try:
            _wait_healthy(url, proc, log)
        except RuntimeError as exc:
            last_error = exc
            _stop(proc)
            continue
        try:
            yield EsServer(url=url, label="es-emulator")
        finally:
            _stop(proc)
        return
    raise RuntimeError(f"could not start the noida-db emulator: {last_error}")


# -- a proxy that misbehaves on request ---------------------------------------------------------------


@dataclass
class Fault:
    path_contains: str
    status: int = 429
    times: int = 1
    delay: float = 0.0  # seconds before answering (a timeout test sets it above the client's timeout)
    error_type: str = "es_rejected_execution_exception"
    hits: int = field(default=0)


class FaultProxy:
    """Forwards HTTP to the server, except requests matching a queued fault, which get the fault's answer."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.faults: list[Fault] = []
        self.seen: list[str] = []  # "METHOD path" of every request, answered or not
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy._connections.add(self.connection)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy._lock:
                    proxy.seen.append(f"{self.command} {self.path}")
                    fault = next((f for f in proxy.faults if f.path_contains in self.path and f.hits < f.times), None)
                    if fault:
                        fault.hits += 1
                if fault:
                    if fault.delay:
                        time.sleep(fault.delay)
                    payload = b'{"error":{"type":"%s","reason":"injected by the test proxy"},"status":%d}'
                    payload = payload % (fault.error_type.encode(), fault.status)
                    self.send_response(fault.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("X-Elastic-Product", "Elasticsearch")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def fail(
        self,
        path_contains: str,
        *,
        status: int = 429,
        times: int = 1,
        delay: float = 0.0,
        error_type: str = "es_rejected_execution_exception",
    ) -> Fault:
        fault = Fault(path_contains=path_contains, status=status, times=times, delay=delay, error_type=error_type)
        with self._lock:
            self.faults.append(fault)
        return fault

    def heal(self) -> None:
        with self._lock:
            self.faults.clear()

    def stop(self) -> None:
        """Close the listening socket and every open connection: the server is gone, new connections are refused."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
