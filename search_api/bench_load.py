"""``trackchild bench load``: many users at once against a real server, from another process.

The server (``trackchild serve --workers N``) runs as a child process on loopback on its own
data dir (never the production settings); this process plays ``users`` concurrent users for
``duration`` seconds, each looping over what people of each role do (``MIX``): police search
names, open records and file missing reports; a CCI files arrivals and checks an arrival's
candidates; a DCPU lists the review queue, opens pairs and decides them; an investigator
searches by photo now and then. Each user sends its next request as soon as the last is
answered (``think`` 0, a closed loop), or after an exponential think time with mean ``think``
seconds, as a person reading a page. It prints requests/s, p50/p95/p99 and errors per route,
the match jobs' lag (a filing answers before matching: queued → done, and jobs still pending at
the end), peak RSS per server process, the load average, the audit entries written against the
requests answered, and how often the server logged "database is locked" or ran out of pooled
connections.

Seeding is a bulk path of its own (bench-only, not the serving code): the demo generator's
records are validated, written to the store in large multi-row inserts already marked
indexed, indexed with one commit, and the review queue is filled with the true pairs of the
DCPU's district, scored and explained by the real matcher.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer import RegisterGenerator, StoredRecord, parse_record
from search_api.config import Settings
from search_api.resources import Resources, open_resources

FACES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "faces"
PASSWORD = "load test password 2026"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# the bench's users: a police station, a children's home and the DCPU of one district
STATE, DISTRICT = "Bihar", "Patna"
STATION, STATION_CODE = "Patna Kotwali", "PS-PATNA-KOTWALI"
HOME, HOME_CODE = "Children Home, Patna", "CCI-PATNA"
USERS = {
    "load-police": {"role": "police", "unit": STATION, "unit_code": STATION_CODE},
    "load-cci": {"role": "cci", "unit": HOME, "unit_code": HOME_CODE},
    "load-dcpu": {"role": "dcpu", "unit": "DCPU Patna", "unit_code": ""},
    "load-admin": {"role": "admin", "unit": "", "unit_code": ""},
}
# route → (who does it, share of requests)
MIX: dict[str, tuple[str, float]] = {
    "search": ("load-police", 0.30),  # GET /search?q=<one or two words of a name>
    "record": ("load-police", 0.20),  # GET /records/{kind}/{id}: own district in full, elsewhere limited
    "new_missing": ("load-police", 0.05),  # POST /records: a report of the own station (its match job follows)
    "new_found": ("load-cci", 0.05),  # POST /records: an arrival at the own home (its match job follows)
    "candidates": ("load-cci", 0.06),  # GET /records/found/{id}/candidates: "check this arrival"
    "queue": ("load-dcpu", 0.15),  # GET /review/queue?limit=20
    "pair": ("load-dcpu", 0.07),  # GET /review/pairs/{pk}: both children side by side
    "decision": ("load-dcpu", 0.10),  # POST /review/pairs/{pk}/decision: reject, need info, confirm
    "photo": ("load-admin", 0.02),  # POST /search/photo
}


@dataclass
class LoadResult:
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    ok: Counter = field(default_factory=Counter)
    # (wall-clock start, route, seconds, status) of each request: where in the run the slow ones fall
    trace: list[tuple[float, str, float, int]] = field(default_factory=list)

    @property
    def latencies(self) -> dict[str, list[float]]:
        """Seconds per route, in the order answered."""
        by_route: dict[str, list[float]] = defaultdict(list)
        for _, route, took, _ in self.trace:
            by_route[route].append(took)
        return by_route


@dataclass
class Seeded:
    settings: Settings
    missing: list[dict]
    found: list[dict]
    own_found: list[str]  # ids of the bench CCI's children
    pairs: list[int]  # pending review pairs of the DCPU's district
    seconds: float  # seeding time (0 when reused)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _schema_url(database_url: str, schema: str) -> str:
    sep = "&" if "?" in database_url else "?"
    return f"{database_url}{sep}options=-csearch_path%3D{schema}"


def _reset_schema(database_url: str, schema: str, *, create: bool) -> None:
    from sqlalchemy import text

    from indexer import make_engine

    admin = make_engine(database_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if create:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()


def bulk_seed(res: Resources, records: list[dict], *, chunk: int = 5000) -> int:
    """Write generated records to an empty store, already marked indexed, and index them with one commit.

    Bench-only: the records come from our own generator, so the ingest path's lenient reading,
    per-record upsert, photo copying and per-batch bookkeeping are skipped.
    """
    from sqlalchemy import insert

    from indexer import build_document, prepare_write, store_metadata

    now = dt.datetime.now(dt.UTC)
    table = store_metadata().tables["child_records"]
    written = 0
    for start in range(0, len(records), chunk):
        parsed = [parse_record(r) for r in records[start : start + chunk]]
        rows = []
        for record in parsed:
            write = prepare_write(record)
            rows.append({**write.values, "indexed_hash": write.content_hash, "created_at": now, "updated_at": now})
        with res.engine.begin() as conn:
            conn.execute(insert(table), rows)
        res.text_index.upsert([build_document(record) for record in parsed])
        written += len(parsed)
    res.text_index.commit()
    with res.engine.begin() as conn:  # planner statistics now, not from an autovacuum pass in the middle of the load
        conn.exec_driver_sql("ANALYZE")
    return written


def _seed_queue(res: Resources, truth: list[dict]) -> int:
    """Queue the true pairs with a side in the DCPU's district and two wrong pairs for each,
    scored and explained by the real matcher (a queue like the one ``match --all --queue``
    leaves, without matching the whole register)."""
    from indexer import get_records_by_keys, record_key
    from search_api.fusion.service import Matcher

    matcher = Matcher(res, use_faces=False, check_current=False)
    rng = random.Random(len(truth))
    queued = 0
    with res.session_factory() as session:
        sample = rng.sample(truth, min(len(truth), 500))
        missing_pool = list(get_records_by_keys(session=session, keys=[record_key("missing", t["missing"]) for t in sample]).values())
        for start in range(0, len(truth), 2000):
            batch = truth[start : start + 2000]
            keys = [record_key("missing", t["missing"]) for t in batch] + [record_key("found", t["found"]) for t in batch]
            stored: dict[str, StoredRecord] = get_records_by_keys(session=session, keys=keys)
            for t in batch:
                missing, found = stored[record_key("missing", t["missing"])], stored[record_key("found", t["found"])]
                if DISTRICT not in (missing.record.place.district, found.record.place.district):
                    continue
                # a real queue holds more wrong pairs than right ones: two decoys of the same sex per true pair
                same_sex = [m for m in missing_pool if m.record.sex == found.record.sex] or missing_pool
                decoys = rng.sample(same_sex, 2) if found.record.place.district == DISTRICT else []
                for other in (missing, *decoys):
                    queued += _queue(session, matcher, other, found)
        session.commit()
    return queued


def _queue(session, matcher, missing: StoredRecord, found: StoredRecord) -> int:  # type: ignore[no-untyped-def]
    from search_api.review import service as review

    candidate = matcher.candidate_for(found.record, missing.record)
    row = review.enqueue(
        session=session, missing_key=missing.key, found_key=found.key, score=candidate.score,
        explanation=candidate.explanation.to_json(), evidence=review.evidence_hash(missing.content_hash, found.content_hash),
        missing_district=missing.record.place.district, found_district=found.record.place.district,
        missing_state=missing.record.place.state, found_state=found.record.place.state,
    )  # fmt: skip
    return int(row is not None)


def _prepare(n: int, work_dir: Path, database_url: str | None, seed: int, *, fresh: bool) -> Seeded:
    """A data dir (and PostgreSQL schema) with ``n`` records per side, the queue and the bench's
    users; kept between runs of one size and store unless ``fresh``."""
    store = "postgres" if database_url else "sqlite"
    data_dir = work_dir / f"load-{store}-n{n}" / "data"
    marker = data_dir / "bench-load.json"
    generator = RegisterGenerator(seed=seed)
    dataset = generator.dataset(n, n)
    schema = f"bench_load_n{n}"
    url = _schema_url(database_url, schema) if database_url else None
    settings = Settings.isolated(data_dir=data_dir, database_url=url)
    seconds = 0.0
    if fresh or not marker.exists() or json.loads(marker.read_text()).get("database_url") != url:
        started = time.perf_counter()
        shutil.rmtree(data_dir, ignore_errors=True)
        if database_url:
            _reset_schema(database_url, schema, create=True)
        from search_api.db import create_service_schema
        from search_api.users import service as users
        from search_api.users.schemas import UserCreate

        with open_resources(settings) as res:
            create_service_schema(res.engine)
            written = bulk_seed(res, list(dataset.records()))
            stored_at = time.perf_counter()
            queued = _seed_queue(res, dataset.truth)
            with res.session_factory() as session:
                for username, who in USERS.items():
                    users.create(session=session, user_in=UserCreate(username=username, state=STATE, district=DISTRICT,
                                                                      password=PASSWORD, **who))  # fmt: skip
                session.commit()
        seconds = time.perf_counter() - started
        print(f"seed: {written:,} records stored and indexed (one index commit) in {stored_at - started:.0f}s; "
              f"{queued} pairs queued for {DISTRICT}; {seconds:.0f}s in all", file=sys.stderr)  # fmt: skip
        marker.write_text(json.dumps({"n": n, "database_url": url, "seconds": round(seconds, 1)}))
    from sqlalchemy import select

    from search_api.review.models import ReviewPairRow

    with open_resources(settings) as res, res.session_factory() as session:
        pairs = list(
            session.scalars(
                select(ReviewPairRow.pk).where(
                    ReviewPairRow.status == "pending",
                    (ReviewPairRow.missing_district == DISTRICT) | (ReviewPairRow.found_district == DISTRICT),
                )
            )
        )
    own_found = [r["id"] for r in dataset.found if r.get("cci_code") == HOME_CODE]
    return Seeded(settings, dataset.missing, dataset.found, own_found, pairs, seconds)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class _Requests:
    """What each route sends, for one virtual user."""

    def __init__(self, seeded: Seeded, tokens: dict[str, dict], photos: list[bytes], decidable: list[int], rng: random.Random) -> None:
        self.s, self.tokens, self.photos, self.decidable, self.r = seeded, tokens, photos, decidable, rng

    def __call__(self, route: str) -> tuple[str, str, dict]:
        r, s = self.r, self.s
        headers = self.tokens[MIX[route][0]]
        match route:
            case "search":
                record = r.choice(s.missing) if r.random() < 0.5 else r.choice(s.found)
                words = str(record.get("name") or "x").split() or ["x"]
                return "GET", "/search", {"params": {"q": " ".join(words[: r.choice((1, 2))]), "limit": 10}, "headers": headers}
            case "record":
                record = r.choice(s.missing) if r.random() < 0.5 else r.choice(s.found)
                return "GET", f"/records/{record['kind']}/{record['id']}", {"headers": headers}
            case "candidates":
                found_id = r.choice(s.own_found) if s.own_found else r.choice(s.found)["id"]
                return "GET", f"/records/found/{found_id}/candidates", {"headers": headers}
            case "queue":
                return "GET", "/review/queue", {"params": {"limit": 20}, "headers": headers}
            case "pair":
                return "GET", f"/review/pairs/{r.choice(s.pairs)}", {"headers": headers}
            case "decision":
                pk = self.decidable.pop()  # each pair decided once: two reviewers never race on one here
                roll = r.random()
                decision, note = ("confirm", "same child: name, age and marks agree") if roll < 0.1 else (
                    ("need_info", "ask the home for a recent photo") if roll < 0.3 else ("reject", "different child"))  # fmt: skip
                return "POST", f"/review/pairs/{pk}/decision", {"json": {"decision": decision, "note": note}, "headers": headers}
            case "photo":
                return "POST", "/search/photo", {"files": {"file": ("p.jpg", r.choice(self.photos), "image/jpeg")}, "headers": headers}
            case "new_missing":
                template = {k: v for k, v in r.choice(s.missing).items() if k != "photos"}
                body = {**template, "id": f"LOAD-MP-{r.randrange(10**12)}", "police_station": STATION, "police_station_code": STATION_CODE}
                return "POST", "/records", {"json": body, "headers": headers}
            case _:  # new_found
                template = {k: v for k, v in r.choice(s.found).items() if k != "photos"}
                body = {**template, "id": f"LOAD-FC-{r.randrange(10**12)}", "cci_name": HOME, "cci_code": HOME_CODE}
                return "POST", "/records", {"json": body, "headers": headers}


async def _drive(
    base: str, seeded: Seeded, *, users: int, duration: float, seed: int, decidable: list[int], first: list[str] | None = None,
    think: float = 0.0,
) -> tuple[LoadResult, float]:  # fmt: skip
    import httpx

    result = LoadResult()
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        tokens = {}
        for username in USERS:
            answer = await client.post("/auth/token", data={"username": username, "password": PASSWORD})
            answer.raise_for_status()
            tokens[username] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        photos = [p.read_bytes() for p in sorted(FACES.glob("*.jpg"))[:8]]
        routes = list(MIX)
        weights = [MIX[route][1] for route in routes]
        firsts = list(first or [])
        deadline = time.perf_counter() + duration

        async def user(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            requests = _Requests(seeded, tokens, photos, decidable, rng)
            if think > 0 and not firsts:
                # people who read pages between clicks do not all click at the same instant: each
                # user's first click comes after a think time too, so the run starts in its steady
                # state. (Without it all users' first requests landed at once: a burst of 50 that
                # took up to 1.2 s to answer and alone made the p95/p99 of a 60 s run at 5 s think.)
                await asyncio.sleep(min(rng.expovariate(1 / think), duration))
            while time.perf_counter() < deadline or firsts:
                route = firsts.pop() if firsts else rng.choices(routes, weights=weights)[0]
                if route == "decision" and not decidable:
                    route = "queue"  # the district's queue is decided: the reviewer lists it again
                method, path, kwargs = requests(route)
                started, wall = time.perf_counter(), time.time()
                try:
                    answer = await client.request(method, path, **kwargs)
                    status = answer.status_code
                    text = answer.text[:200] if status >= 300 else ""
                except httpx.HTTPError as exc:
                    status, text = 0, f"{type(exc).__name__}: {exc}"[:200]
                took = time.perf_counter() - started
                result.trace.append((wall, route, took, status))
                if 200 <= status < 300:
                    result.ok[route] += 1
                else:
                    result.errors[route] += 1
                    if len(result.error_samples) < 10:
                        result.error_samples.append(f"{route} {method} {path} → {status} {text}")
                if think > 0 and not firsts:  # a person reads the page before the next click
                    await asyncio.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.perf_counter())))

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(users)))
        return result, time.perf_counter() - started


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _process_role(pid: int, server_pid: int, workers: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    if "resource_tracker" in cmdline:
        return "resource tracker"
    if pid == server_pid:
        return "server (the worker)" if workers == 1 else "supervisor"
    return "worker" if "multiprocessing" in cmdline or "spawn" in cmdline else "child"


def _peak_rss(server_pid: int, workers: int) -> list[tuple[int, str, int]]:
    """(pid, role, peak RSS in kB) of the server's processes, from the kernel's high-water mark."""
    return [(pid, _process_role(pid, server_pid, workers), _status_kb(pid, "VmHWM")) for pid in _descendants(server_pid)]


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _match_job_lag(settings: Settings, since: dt.datetime) -> tuple[list[float], int, int]:
    """Seconds from queued to done of the match jobs queued since ``since``; how many are still
    pending, and how many failed."""
    from sqlalchemy import select

    from search_api.records.models import MatchJobRow

    with open_resources(settings) as res, res.session_factory() as session:
        rows = session.execute(select(MatchJobRow.status, MatchJobRow.queued_at, MatchJobRow.done_at).where(MatchJobRow.queued_at >= since))
        lags, pending, failed = [], 0, 0
        for status, queued_at, done_at in rows:
            if status == "done" and done_at is not None:
                lags.append((done_at - queued_at).total_seconds())
            pending += status == "pending"
            failed += status == "failed"
    return lags, pending, failed


def _drain_match_jobs(settings: Settings) -> int:
    """Run the match jobs an earlier run left pending (a closed loop leaves hundreds), so that
    this run's server works on its own filings only; returns how many there were."""
    from search_api.fusion.service import Matcher
    from search_api.records import matching_jobs

    with open_resources(settings) as res:
        with res.session_factory() as session:
            pending = matching_jobs.pending_count(session=session)
        if pending:
            print(f"running {pending} match jobs an earlier run left pending", file=sys.stderr)
            matching_jobs.run_pending(res, Matcher(res), limit=pending)
    return pending


def run_load_bench(
    *, n: int, users: int, duration: float, workers: int, work_dir: Path, store: str = "sqlite", database_url: str | None = None,
    seed: int = 31, fresh: bool = False, drop: bool = False, warmup: float = 5.0, think: float = 0.0,
    match_on_filing: str = "background", server_settings: dict[str, str] | None = None, match_worker: str = "serve",
) -> Iterator[str]:  # fmt: skip
    """Seed (or reuse) ``n`` records per side, serve them with ``workers`` processes and play ``users`` users for ``duration`` s.

    ``think``: each user's mean pause between requests (exponential; 0 sends the next at once).
    ``match_on_filing``: the server's setting ("background": filings answer before their match job runs).
    ``server_settings``: more of the server's environment (``TRACKCHILD_…`` names), reported with the figures.
    ``match_worker``: "serve" (the match jobs run in a serving worker) or "process" (the workers' match
    worker off, ``trackchild match --pending --loop`` beside them, as the README suggests for heavy loads).

    Yields the report's lines. Never reads ``TRACKCHILD_DATABASE_URL``: PostgreSQL is named by
    ``database_url`` (a schema ``bench_load_n<N>`` of its own is made there; ``drop`` removes it after).
    """
    if store == "postgres":
        database_url = database_url or DEFAULT_PG
    elif store == "sqlite":
        database_url = None
    else:
        raise ValueError(f"store must be sqlite or postgres, not {store!r}")
    seeded = _prepare(n, work_dir, database_url, seed, fresh=fresh)
    leftover = _drain_match_jobs(seeded.settings)
    # The registers this process holds (millions of objects at 100,000 per side) are out of the
    # collector's sight: a full collection of them stalled the load generator itself for
    # hundreds of ms, and every request in flight then was timed as slow by the server's fault.
    gc.collect()
    gc.freeze()
    settings = seeded.settings
    from sqlalchemy import func, select

    from search_api.audit.models import AuditEntryRow
    from search_api.audit.service import verify

    def audit_count() -> int:
        with open_resources(settings) as res, res.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(AuditEntryRow)) or 0)

    port = _free_port()
    log_path = settings.data_dir.parent / f"server-w{workers}-{int(time.time())}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKCHILD_")}  # isolated from the production settings
    env |= {"TRACKCHILD_DATA_DIR": str(settings.data_dir), "TRACKCHILD_PHOTO_SEARCHES_PER_MINUTE": "100000",
            "TRACKCHILD_MATCH_ON_FILING": match_on_filing}  # fmt: skip
    env |= server_settings or {}
    if settings.database_url:
        env["TRACKCHILD_DATABASE_URL"] = settings.database_url
    if match_worker not in ("serve", "process"):
        raise ValueError(f"match_worker must be serve or process, not {match_worker!r}")
    beside = [sys.executable, "-m", "search_api.cli", "match", "--pending", "--loop"] if match_worker == "process" else None
    if beside:
        env["TRACKCHILD_MATCH_JOB_INTERVAL_SECONDS"] = "0"  # the workers leave the jobs to the process beside them
    command = [sys.executable, "-m", "search_api.cli", "serve", "--port", str(port), "--workers", str(workers)]
    decidable = list(seeded.pairs)
    random.Random(seed).shuffle(decidable)
    with log_path.open("w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        jobs = subprocess.Popen(beside, env=env, stdout=log, stderr=subprocess.STDOUT) if beside else None
        try:
            import httpx

            deadline = time.monotonic() + 300
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"the server did not start; see {log_path}")
                time.sleep(0.3)
            base = f"http://127.0.0.1:{port}"
            # warm-up, not timed: photo searches first (each worker loads the face models on its first), then the mix
            warm, _ = asyncio.run(_drive(base, seeded, users=workers * 4, duration=warmup, seed=seed + 1, decidable=decidable,
                                         first=["photo"] * workers * 4))  # fmt: skip
            before = audit_count()
            pending_before = len(decidable)
            load_before = _loadavg()
            load_started = dt.datetime.now(dt.UTC)
            result, elapsed = asyncio.run(_drive(base, seeded, users=users, duration=duration, seed=seed, decidable=decidable, think=think))
            load_after = _loadavg()
            rss = _peak_rss(server.pid, workers)
            if jobs is not None:
                rss.append((jobs.pid, "match worker (own process)", _status_kb(jobs.pid, "VmHWM")))
            lags, jobs_pending, jobs_failed = _match_job_lag(settings, load_started)  # at the end of the load, the server still up
        finally:
            gc.unfreeze()  # the registers go back to the collector: a caller (a test) runs on after the bench
            for process in (server, jobs):
                if process is None:
                    continue
                process.terminate()
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
    written = audit_count() - before
    trace_path = log_path.with_suffix(".requests.jsonl")
    with trace_path.open("w") as trace:
        for wall, route, took, status in result.trace:
            trace.write(json.dumps({"at": round(wall, 4), "route": route, "ms": round(1000 * took, 1), "status": status}) + "\n")
    server_log = log_path.read_text(errors="replace")
    locked = server_log.count("database is locked")
    pool = server_log.count("QueuePool limit")
    gc_pauses = [float(m) for m in re.findall(r"slow garbage collection: generation 2 took (\d+) ms", server_log)]
    latencies = result.latencies
    done = len(result.trace)
    errors = sum(result.errors.values())
    label = "PostgreSQL" if database_url else "SQLite"
    seeded_note = f"seeded in {seeded.seconds:.0f}s" if seeded.seconds else "seed reused"
    pacing = f"think time {think:g}s (mean, exponential)" if think > 0 else "no think time (closed loop)"
    yield (
        f"load: {n:,} records per side on {label} ({seeded_note}), {workers} worker(s), {users} concurrent users, "
        f"{done} requests in {elapsed:.1f}s = {done / elapsed:.1f} req/s; errors {errors}; warm-up errors {sum(warm.errors.values())}"
    )
    chosen = ", ".join(f"{k}={v}" for k, v in sorted((server_settings or {}).items())) or "defaults"
    where = "its own process (match --pending --loop)" if beside else "a serving worker"
    yield f"users: {pacing}; matching on filing: {match_on_filing}, match jobs run in {where}; server settings: {chosen}"
    yield f"load average (1/5/15 min): {load_before} at the start, {load_after} at the end; {os.cpu_count()} CPUs"
    yield f"  {'route':<12} {'n':>5} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
    every = [took for _, _, took, _ in result.trace]
    for route in [*MIX, "all"]:
        values = every if route == "all" else latencies.get(route, [])
        if not values:
            continue
        route_errors = errors if route == "all" else result.errors[route]
        yield (
            f"  {route:<12} {len(values):>5} {len(values) / elapsed:>6.1f} {1000 * _percentile(values, 0.5):>7.0f}"
            f" {1000 * _percentile(values, 0.95):>7.0f} {1000 * _percentile(values, 0.99):>7.0f} {route_errors:>6}"
        )
    if match_on_filing == "background":
        figures = (
            f"p50 {_percentile(lags, 0.5):.1f}s, p95 {_percentile(lags, 0.95):.1f}s, p99 {_percentile(lags, 0.99):.1f}s, "
            f"max {max(lags):.1f}s"
            if lags
            else "none done"
        )
        yield (
            f"match jobs (queued → done): {len(lags)} done, {figures}; "
            f"{jobs_pending} still pending at the end of the load, {jobs_failed} failed"
            + (f" ({leftover} left by an earlier run were run before the load)" if leftover else "")
        )
    yield "peak RSS: " + "; ".join(f"{role} {pid} {kb / 1024:.0f} MB" for pid, role, kb in rss)
    answered = sum(result.ok.values())
    with open_resources(settings) as res, res.session_factory() as session:
        chain = verify(session=session)
    yield (
        f"audit: {written} entries written for {answered} requests answered 2xx (each writes at least one); "
        f"chain {'intact' if chain.ok else 'BROKEN: ' + '; '.join(chain.problems[:3])} ({chain.entries} entries)"
    )
    yield (
        f"review: {pending_before - len(decidable)} pairs decided of {pending_before} pending in {DISTRICT}; "
        f'server log: "database is locked" {locked} times, pool exhausted {pool} times (log: {log_path})'
    )
    yield (
        f"full garbage collections the server logged as slow (over TRACKCHILD_GC_PAUSE_WARN_MS): {len(gc_pauses)}"
        + (f", longest {max(gc_pauses):.0f} ms, {sum(gc_pauses) / 1000:.1f} s in all" if gc_pauses else "")
    )
    yield f"each request's start, route, latency and status: {trace_path} (server log: per-request time inside the app)"
    for sample in result.error_samples:
        yield f"  error: {sample}"
    if drop:
        shutil.rmtree(settings.data_dir, ignore_errors=True)  # the server's log stays beside it
        if database_url:
            _reset_schema(database_url, f"bench_load_n{n}", create=False)
        yield f"dropped the bench data ({settings.data_dir}{' and schema bench_load_n' + str(n) if database_url else ''})"
