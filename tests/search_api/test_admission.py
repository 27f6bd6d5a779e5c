"""Admission: a worker's requests at work at once are bounded; the rest wait in arrival order,
and a client slow to send its body waits outside without holding a place."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from search_api.admission import Admission
from search_api.app import create_app
from search_api.config import Settings


class Meter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.order: list[str] = []


def _app(meter: Meter, limit: int) -> Admission:
    def work(request: Request) -> JSONResponse:  # a sync route: it runs on a thread, as ours do
        with meter.lock:
            meter.now += 1
            meter.most = max(meter.most, meter.now)
            meter.order.append(request.query_params.get("n", ""))
        time.sleep(0.05)
        with meter.lock:
            meter.now -= 1
        return JSONResponse({"ok": True})

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"bytes": len(await request.body())})

    def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def digest(request: Request) -> JSONResponse:
        return JSONResponse({"sha256": hashlib.sha256(await request.body()).hexdigest()})

    routes = [Route("/work", work), Route("/echo", echo, methods=["POST"]), Route("/digest", digest, methods=["POST"])]
    routes.append(Route("/health", health))
    return Admission(Starlette(routes=routes), limit=limit)


@pytest.mark.parametrize(("limit", "most"), [(1, 1), (3, 3), (0, 12)])
def test_requests_at_work_at_once_are_bounded(limit: int, most: int) -> None:
    meter = Meter()

    async def run() -> None:
        transport = httpx.ASGITransport(app=_app(meter, limit))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers = await asyncio.gather(*(client.get("/work", params={"n": str(i)}) for i in range(12)))
        assert all(a.status_code == 200 for a in answers)

    asyncio.run(run())
    assert meter.most == most


def test_a_slow_upload_holds_no_place() -> None:
    """With one place, a request whose body is still arriving does not keep a quick one waiting."""
    meter = Meter()
    app = _app(meter, 1)

    async def run() -> float:
        transport = httpx.ASGITransport(app=app)

        async def slow_body():
            for _ in range(10):
                await asyncio.sleep(0.1)
                yield b"x" * 100

        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            upload = asyncio.create_task(client.post("/echo", content=slow_body()))
            await asyncio.sleep(0.15)  # the upload is under way
            started = time.perf_counter()
            quick = await client.get("/work")
            waited = time.perf_counter() - started
            assert quick.status_code == 200
            assert (await upload).json() == {"bytes": 1000}  # the body reached the app whole
        return waited

    assert asyncio.run(run()) < 0.5  # not the upload's remaining ~0.85 s


def test_the_service_admits_by_its_setting(tmp_path: Path) -> None:
    app = create_app(Settings.isolated(data_dir=tmp_path, requests_at_work=4))
    limits = [m.kwargs["limit"] for m in app.user_middleware if m.cls is Admission]
    assert limits == [4]


def test_the_liveness_probe_never_queues() -> None:
    """With the one place taken by slow work, /health still answers at once."""
    meter = Meter()
    app = _app(meter, 1)

    async def run() -> float:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            busy = [asyncio.create_task(client.get("/work")) for _ in range(6)]  # 6 × 50 ms, one at a time
            await asyncio.sleep(0.02)
            started = time.perf_counter()
            assert (await client.get("/health")).status_code == 200
            waited = time.perf_counter() - started
            await asyncio.gather(*busy)
        return waited

    assert asyncio.run(run()) < 0.1  # not behind the ~0.3 s of queued work


def test_a_large_body_reaches_the_route_whole() -> None:
    """A body past the in-memory bound (a form with photos) waits in a temporary file and is
    handed to the route in pieces, byte for byte."""
    meter = Meter()
    app = _app(meter, 2)
    payload = bytes(range(256)) * (3 * 4096 + 7)  # ~3 MB, not a multiple of the piece size

    async def run() -> dict:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            empty = await client.post("/echo", content=b"")
            assert empty.json() == {"bytes": 0}
            return (await client.post("/digest", content=payload)).json()

    assert asyncio.run(run()) == {"sha256": hashlib.sha256(payload).hexdigest()}
