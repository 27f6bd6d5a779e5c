"""``trackchild bench load``: many users at once against a real server, from another process.

The server (``trackchild serve --workers N``) runs as a child process on loopback on its own
data dir (never the production settings); this process plays ``users`` concurrent users, each
looping over a mix of what people do: a police name search, opening a record, a CCI checking
a new arrival's candidates, a reviewer's queue, a photo search now and then, and new arrivals
being filed. It prints p50/p95/p99 per route, errors, throughput, the audit entries written
against the audited requests answered, and how often the server logged "database is locked".
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer import RegisterGenerator
from search_api.config import Settings
from search_api.resources import open_resources

FACES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "faces"
PASSWORD = "load test password 2026"
# route → share of requests (the mix: searches, record views, candidates, the queue, photo searches, arrivals)
MIX = {"search": 0.35, "record": 0.25, "candidates": 0.15, "queue": 0.12, "arrival": 0.10, "photo": 0.03}
AUDITED = {"search", "record", "candidates", "arrival", "photo"}  # routes that write one audit entry or more when answered 2xx


@dataclass
class LoadResult:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    ok: Counter = field(default_factory=Counter)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare(n: int, work_dir: Path, database_url: str | None, seed: int) -> tuple[Settings, list[dict], list[dict]]:
    """A data dir with ``n`` records per side and the bench's users (kept between runs of one size)."""
    data_dir = work_dir / f"load-n{n}" / "data"
    marker = data_dir / "bench-load.json"
    dataset = RegisterGenerator(seed=seed).dataset(n, n)
    if database_url:  # a schema of its own on the given PostgreSQL, emptied when the data is made again
        schema = f"bench_load_n{n}"
        sep = "&" if "?" in database_url else "?"
        database_url = f"{database_url}{sep}options=-csearch_path%3D{schema}"
    settings = Settings(data_dir=data_dir, database_url=database_url)
    if not marker.exists() or json.loads(marker.read_text()).get("database_url") != database_url:
        shutil.rmtree(data_dir, ignore_errors=True)
        from search_api.db import create_service_schema
        from search_api.users import service as users
        from search_api.users.schemas import UserCreate

        if database_url:
            from sqlalchemy import text

            from indexer import make_engine

            admin = make_engine(database_url.split("?options=")[0].split("&options=")[0])
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            admin.dispose()
        with open_resources(settings) as res:
            create_service_schema(res.engine)
            started = time.perf_counter()
            report = res.ingestor().ingest_records(dataset.records(), source="bench")
            print(f"setup: ingested {report.created} records in {time.perf_counter() - started:.0f}s", file=sys.stderr)
            with res.session_factory() as session:
                for username, role, unit in (("load-police", "police", "Kotwali"), ("load-cci", "cci", "Bench Home"),
                                             ("load-dcpu", "dcpu", ""), ("load-admin", "admin", "")):  # fmt: skip
                    user_in = UserCreate(username=username, role=role, state="Bihar", district="Patna", unit=unit, password=PASSWORD)
                    users.create(session=session, user_in=user_in)
                session.commit()
        marker.write_text(json.dumps({"n": n, "database_url": database_url}))
    return settings, dataset.missing, dataset.found


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _drive(
    base: str, *, users: int, total: int, missing: list[dict], found: list[dict], seed: int, first: list[str] | None = None
) -> tuple[LoadResult, float]:
    import httpx

    result = LoadResult()
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        tokens = {}
        for username in ("load-police", "load-cci", "load-dcpu", "load-admin"):
            answer = await client.post("/auth/token", data={"username": username, "password": PASSWORD})
            answer.raise_for_status()
            tokens[username] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        photos = [p.read_bytes() for p in sorted(FACES.glob("*.jpg"))[:8]]
        routes, weights = zip(*MIX.items(), strict=True)
        plan = (first or []) + rng.choices(routes, weights=weights, k=total)
        queue: asyncio.Queue[str] = asyncio.Queue()
        for route in plan:
            queue.put_nowait(route)
        arrivals = iter(range(10**9))

        def request_for(route: str, r: random.Random) -> tuple[str, str, dict]:
            if route == "search":
                record = r.choice(missing + found)
                words = str(record.get("name") or "x").split()
                return (
                    "GET",
                    "/search",
                    {"params": {"q": " ".join(words[: r.choice((1, 2))]), "limit": 10}, "headers": tokens["load-police"]},
                )
            if route == "record":
                record = r.choice(missing + found)
                return "GET", f"/records/{record['kind']}/{record['id']}", {"headers": tokens["load-police"]}
            if route == "candidates":
                record = r.choice(found)
                return "GET", f"/records/found/{record['id']}/candidates", {"headers": tokens["load-cci"]}
            if route == "queue":
                return "GET", "/review/queue", {"params": {"limit": 20}, "headers": tokens["load-dcpu"]}
            if route == "photo":
                return (
                    "POST",
                    "/search/photo",
                    {"files": {"file": ("p.jpg", r.choice(photos), "image/jpeg")}, "headers": tokens["load-admin"]},
                )
            template = {k: v for k, v in r.choice(found).items() if k not in ("cci_name", "photos")}
            body = {**template, "id": f"LOAD-{next(arrivals)}-{r.randrange(10**9)}"}
            return "POST", "/records", {"json": body, "headers": tokens["load-cci"]}

        async def user(number: int) -> None:
            r = random.Random(seed * 1000 + number)
            while True:
                try:
                    route = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                method, path, kwargs = request_for(route, r)
                started = time.perf_counter()
                try:
                    answer = await client.request(method, path, **kwargs)
                    status = answer.status_code
                    text = answer.text[:200] if status >= 300 else ""
                except httpx.HTTPError as exc:
                    status, text = 0, f"{type(exc).__name__}: {exc}"[:200]
                result.latencies[route].append(time.perf_counter() - started)
                if 200 <= status < 300:
                    result.ok[route] += 1
                else:
                    result.errors[route] += 1
                    if len(result.error_samples) < 10:
                        result.error_samples.append(f"{route} {method} {path} → {status} {text}")

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(users)))
        return result, time.perf_counter() - started


def run_load_bench(
    *, n: int, users: int, total: int, workers: int, work_dir: Path, database_url: str | None = None, seed: int = 31
) -> Iterator[str]:
    settings, missing, found = _prepare(n, work_dir, database_url, seed)
    from sqlalchemy import func, select

    from search_api.audit.models import AuditEntryRow
    from search_api.audit.service import verify

    def audit_count() -> int:
        with open_resources(settings) as res, res.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(AuditEntryRow)) or 0)

    before = audit_count()
    port = _free_port()
    log_path = settings.data_dir.parent / f"server-{int(time.time())}.log"
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(settings.data_dir), "TRACKCHILD_PHOTO_SEARCHES_PER_MINUTE": "100000"}
    env.pop("TRACKCHILD_DATABASE_URL", None)
    if database_url:
        env["TRACKCHILD_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "search_api.cli", "serve", "--port", str(port), "--workers", str(workers)]
    with log_path.open("w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            import httpx

            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"the server did not start; see {log_path}")
                time.sleep(0.3)
            # warm-up, not timed: photo searches first (each worker loads the face models on its first), then the mix
            warm = asyncio.run(_drive(f"http://127.0.0.1:{port}", users=workers * 3, total=workers * 10, missing=missing, found=found,
                                      seed=seed + 1, first=["photo"] * workers * 3))  # fmt: skip
            before = audit_count()
            result, elapsed = asyncio.run(
                _drive(f"http://127.0.0.1:{port}", users=users, total=total, missing=missing, found=found, seed=seed)
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
    written = audit_count() - before
    server_log = log_path.read_text(errors="replace")
    locked = server_log.count("database is locked")
    pool = server_log.count("QueuePool limit")
    done = sum(len(v) for v in result.latencies.values())
    errors = sum(result.errors.values())
    store = "PostgreSQL" if database_url else "SQLite"
    yield (
        f"load: {n:,} records per side on {store}, {workers} worker(s), {users} concurrent users, {done} requests in {elapsed:.1f}s "
        f"= {done / elapsed:.1f} req/s; errors {errors} ({100 * errors / max(done, 1):.1f} %); "
        f"warm-up errors {sum(warm[0].errors.values())}"
    )
    for route in MIX:
        values = result.latencies.get(route, [])
        if not values:
            continue
        yield (
            f"  {route:<10} n={len(values):>4}  p50 {1000 * statistics.median(values):7.0f} ms"
            f"  p95 {1000 * _percentile(values, 0.95):7.0f} ms"
            f"  p99 {1000 * _percentile(values, 0.99):7.0f} ms  errors {result.errors[route]}"
        )
    audited_ok = sum(result.ok[r] for r in AUDITED)
    with open_resources(settings) as res, res.session_factory() as session:
        chain = verify(session=session)
    yield (
        f"audit: {written} entries written for {audited_ok} audited requests answered 2xx (each writes at least one; "
        f"candidates and arrivals more); chain {'intact' if chain.ok else 'BROKEN: ' + '; '.join(chain.problems[:3])} "
        f"({chain.entries} entries)"
    )
    yield f'server log: "database is locked" {locked} times, pool exhausted {pool} times (log: {log_path})'
    for sample in result.error_samples:
        yield f"  error: {sample}"
