"""Matching after filing (issue 11): a filing answers once the record is stored and indexed, and
its match job (written in the filing's transaction) ranks it after the answer. Real stores
(SQLite and PostgreSQL), real tantivy, the real matcher; the worker is run explicitly here
(the in-process worker thread is off in tests), and as real server processes in the last test."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from search_api.app import create_app
from search_api.config import Settings
from search_api.db import utcnow
from search_api.fusion.service import Matcher
from search_api.records import matching_jobs
from search_api.records.models import MatchJobRow
from search_api.resources import open_resources
from search_api.review.models import DuplicateFlagRow, ReviewPairRow
from tests.factories import add_users, found_child, missing_report, run_match_jobs
from tests.live import spawn_uvicorn, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "match jobs 2026 pass"
PATNA = {"district": "Patna", "state": "Bihar"}
REPORT = missing_report(id="MP-J-1", name="Yadavi Rathore", sex="F", age=8, place=PATNA)
ARRIVAL = found_child(id="FC-J-1", name="Yadavi Rathore", sex="F", age=8, place=PATNA)


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def _admin(client: TestClient) -> dict[str, str]:
    add_users(client.app.state.resources, password=PASSWORD, people=[("adm", "admin", "", "", "")])  # type: ignore[attr-defined]
    token = client.post("/auth/token", data={"username": "adm", "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _count(res, table) -> int:  # type: ignore[no-untyped-def]
    with res.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _jobs(res) -> list[MatchJobRow]:  # type: ignore[no-untyped-def]
    with res.session_factory() as session:
        rows = list(session.scalars(select(MatchJobRow).order_by(MatchJobRow.pk)))
        session.expunge_all()
        return rows


def test_filing_answers_before_matching_and_the_job_queues_the_pair(store_url: str, tmp_path: Path) -> None:
    """Fails on the old code: the filing itself queued the pair and answered its count."""
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url)
    with _client(settings) as client:
        res, admin = client.app.state.resources, _admin(client)  # type: ignore[attr-defined]
        assert client.post("/records", json=REPORT, headers=admin).status_code == 201
        assert run_match_jobs(res).done == 1  # the report's own job: nothing to pair with yet
        answer = client.post("/records", json=ARRIVAL, headers=admin)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["matching"] == "queued" and "queued_for_review" not in body and body["candidates"] == []
        # answered before matching: no pair yet, the arrival's job waits, due now (its indexes are up)
        assert _count(res, ReviewPairRow) == 0
        jobs = {j.record_key: j for j in _jobs(res)}
        job = jobs["found:FC-J-1"]
        assert job.pk == body["match_job"] and job.status == "pending" and job.open_key == "found:FC-J-1" and job.claimed_by is None
        assert job.next_attempt_at.replace(tzinfo=dt.UTC) <= utcnow()
        # candidates are still computed on demand meanwhile (a read, queueing nothing)
        shown = client.get("/records/found/FC-J-1/candidates", headers=admin).json()
        assert shown[0]["key"] == "missing:MP-J-1" and _count(res, ReviewPairRow) == 0
        done = run_match_jobs(res)
        assert (done.done, done.queued, done.failed) == (1, 1, 0)
        queue = client.get("/review/queue", headers=admin).json()
        assert [(p["missing_key"], p["found_key"]) for p in queue] == [("missing:MP-J-1", "found:FC-J-1")]
        job = {j.record_key: j for j in _jobs(res)}["found:FC-J-1"]
        assert job.status == "done" and job.open_key is None and job.done_at is not None and job.attempts == 1
        assert (job.queued, job.flagged) == (1, 0)
        assert run_match_jobs(res).done == 0  # nothing left


def test_inline_matching_answers_with_the_counts_and_leaves_no_job(settings: Settings) -> None:
    with _client(settings.model_copy(update={"match_on_filing": "inline"})) as client:
        res, admin = client.app.state.resources, _admin(client)  # type: ignore[attr-defined]
        client.post("/records", json=REPORT, headers=admin)
        body = client.post("/records", json=ARRIVAL, headers=admin).json()
        assert body["matching"] == "done" and body["queued_for_review"] == 1 and "match_job" not in body
        assert body["candidates"][0]["key"] == "missing:MP-J-1"
        assert _jobs(res) == []


def test_a_second_filing_before_the_job_runs_joins_it(store_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url)
    with _client(settings) as client:
        res, admin = client.app.state.resources, _admin(client)  # type: ignore[attr-defined]
        first = client.post("/records", json=REPORT, headers=admin).json()
        edited = {**REPORT, "marks": "mole on left cheek", "version": first["record"]["version"]}
        second = client.put("/records/missing/MP-J-1", json=edited, headers=admin)
        assert second.status_code == 200, second.text
        assert second.json()["match_job"] == first["match_job"]  # one open job per record
        [job] = _jobs(res)
        assert job.filings == 2 and job.status == "pending"
        assert run_match_jobs(res).done == 1
        # the next filing after it ran gets a job of its own
        third = client.put("/records/missing/MP-J-1", json={**REPORT, "marks": "scar on chin"}, headers=admin).json()
        assert third["match_job"] != first["match_job"] and [j.status for j in _jobs(res)] == ["done", "pending"]


def test_a_record_filed_again_while_its_job_runs_is_matched_again(settings: Settings) -> None:
    """The job read the record before the second filing: finishing must not close the job."""
    with open_resources(settings) as res:
        from search_api.db import create_service_schema

        create_service_schema(res.engine)
        assert res.ingestor().ingest_records([REPORT]).ok
        with res.session_factory() as session:
            ticket = matching_jobs.enqueue(session=session, record_key="missing:MP-J-1")
            matching_jobs.release(session=session, ticket=ticket)
            session.commit()

        class RefiledWhileRanking(Matcher):
            refiled = False

            def rank(self, record, **kwargs):  # type: ignore[no-untyped-def]
                if not self.refiled:
                    self.refiled = True
                    with res.session_factory() as session:
                        self.ticket = matching_jobs.enqueue(session=session, record_key=record.key)
                        session.commit()
                return super().rank(record, **kwargs)

        matcher = RefiledWhileRanking(res)
        first = matching_jobs.run_pending(res, matcher)
        assert (first.done, first.rerun) == (0, 1)
        [job] = _jobs(res)
        assert job.status == "pending" and job.claimed_by is None and job.filings == 2
        assert matching_jobs.run_pending(res, matcher).done == 0  # waits for the second filing's indexes
        with res.session_factory() as session:
            matching_jobs.release(session=session, ticket=matcher.ticket)
            session.commit()
        assert matching_jobs.run_pending(res, matcher).done == 1
        assert [j.status for j in _jobs(res)] == ["done"]


def test_a_failing_job_is_retried_later_and_does_not_block_the_others(store_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url)
    with _client(settings) as client:
        res, admin = client.app.state.resources, _admin(client)  # type: ignore[attr-defined]
        poison = missing_report(id="MP-J-BAD", name="Secret Name", sex="M", age=5, place=PATNA)
        for record in (poison, REPORT, ARRIVAL):
            assert client.post("/records", json=record, headers=admin).json()["matching"] == "queued"

        class Broken(Matcher):
            def rank(self, record, **kwargs):  # type: ignore[no-untyped-def]
                if record.id == "MP-J-BAD":
                    raise RuntimeError(f"cannot rank {record.name}")
                return super().rank(record, **kwargs)

        matcher = Broken(res)
        done = matching_jobs.run_pending(res, matcher)
        assert (done.done, done.retried, done.queued) == (2, 1, 1)  # the first job failed; the two behind it ran
        bad = _jobs(res)[0]
        assert bad.status == "pending" and bad.claimed_by is None and bad.attempts == 1
        assert bad.last_error.startswith("RuntimeError at ") and "Secret" not in bad.last_error  # ids only, never the message
        assert bad.next_attempt_at.replace(tzinfo=dt.UTC) > utcnow()  # backed off
        assert matching_jobs.run_pending(res, matcher).retried == 0  # not due yet
        later = utcnow()
        for attempt in range(2, matching_jobs.MAX_ATTEMPTS + 1):
            later += dt.timedelta(hours=1)
            again = matching_jobs.run_pending(res, matcher, now=later)
            assert (again.retried, again.failed) == ((1, 0) if attempt < matching_jobs.MAX_ATTEMPTS else (0, 1))
        bad = _jobs(res)[0]
        assert bad.status == "failed" and bad.open_key is None and bad.attempts == matching_jobs.MAX_ATTEMPTS
        # given up on: the next filing of that record gets a new job, which a working matcher runs
        assert client.put("/records/missing/MP-J-BAD", json={**poison, "age": 6}, headers=admin).json()["match_job"] != bad.pk
        assert run_match_jobs(res).done == 1


def test_a_claim_left_by_a_dead_worker_is_taken_over(settings: Settings) -> None:
    with _client(settings) as client:
        res, admin = client.app.state.resources, _admin(client)  # type: ignore[attr-defined]
        for record in (REPORT, ARRIVAL, missing_report(id="MP-J-2", name="Kiran Paswan", sex="M", age=11, place=PATNA)):
            client.post("/records", json=record, headers=admin)
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()  # a process of this machine that is no more
        host = matching_jobs.worker_name().split(":")[0]
        now = utcnow()
        claims = {
            "missing:MP-J-1": ("elsewhere:1:aaaa", now - dt.timedelta(hours=1)),  # another machine's, long stale
            "found:FC-J-1": (f"{host}:{gone.pid}:bbbb", now),  # this machine's, its process dead: freed at once
            "missing:MP-J-2": ("elsewhere:2:cccc", now),  # another machine's, fresh: left alone
        }
        with res.session_factory() as session:
            for key, (by, at) in claims.items():
                session.execute(update(MatchJobRow).where(MatchJobRow.record_key == key).values(claimed_by=by, claimed_at=at, attempts=1))
            session.commit()
        done = run_match_jobs(res)
        assert done.done == 2 and done.queued == 1
        status = {j.record_key: (j.status, j.attempts) for j in _jobs(res)}
        assert status == {"missing:MP-J-1": ("done", 2), "found:FC-J-1": ("done", 2), "missing:MP-J-2": ("pending", 1)}
        # a job whose runner died on it every time is given up, so it cannot take down the next runner
        with res.session_factory() as session:
            session.execute(update(MatchJobRow).where(MatchJobRow.record_key == "missing:MP-J-2")
                            .values(claimed_at=now - dt.timedelta(hours=1), attempts=matching_jobs.MAX_ATTEMPTS))  # fmt: skip
            session.commit()
        assert run_match_jobs(res).failed == 1
        assert {j.record_key: j.status for j in _jobs(res)}["missing:MP-J-2"] == "failed"


def test_a_duplicate_is_flagged_by_the_job_not_the_filing(settings: Settings) -> None:
    with _client(settings) as client:
        res, admin = client.app.state.resources, _admin(client)  # type: ignore[attr-defined]
        client.post("/records", json=REPORT, headers=admin)
        twin = missing_report(id="MP-J-TWIN", name="Yadavi Rathor", sex="F", age=8, place=PATNA, date="2025-01-12")
        assert "duplicates_flagged" not in client.post("/records", json=twin, headers=admin).json()
        assert _count(res, DuplicateFlagRow) == 0
        assert run_match_jobs(res).flagged == 1 and _count(res, DuplicateFlagRow) == 1


def _wait(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_two_serve_workers_one_runs_the_match_jobs_and_the_other_takes_over(settings: Settings) -> None:
    """Two real server processes on one data dir, each with its match worker (every 0.3 s): the
    lock names one; every job is run by that process; when it is killed the other runs the next."""
    with open_resources(settings) as res:
        from search_api.db import create_service_schema

        create_service_schema(res.engine)
        add_users(res, password=PASSWORD, people=[("adm", "admin", "", "", "")])
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT),
           "TRACKCHILD_MATCH_JOB_INTERVAL_SECONDS": "0.3", "TRACKCHILD_NOTIFY_INTERVAL_SECONDS": "0"}  # fmt: skip
    env.pop("TRACKCHILD_DATABASE_URL", None)
    logs = [(settings.data_dir.parent / f"worker-{i}.log").open("w") for i in range(2)]
    started = [spawn_uvicorn(env, stderr=log) for log in logs]
    workers = [process for _, process in started]
    lock = settings.data_dir / matching_jobs.LOCK_FILE

    def why_not() -> str:
        return " | ".join(Path(log.name).read_text()[-1500:] for log in logs)

    def holder() -> int | None:
        text = lock.read_text().strip() if lock.exists() else ""
        return int(text) if text.isdigit() else None

    def runners() -> set[int]:
        with open_resources(settings) as res:
            return {int(str(j.claimed_by).split(":")[1]) for j in _jobs(res) if j.claimed_by}

    try:
        for url, worker in started:
            wait_until_healthy(url, worker, timeout_s=240, why_not=why_not)
        assert _wait(lambda: holder() in {w.pid for w in workers}, 120), f"no worker took the lead: {why_not()}"

        def file(url: str, record: dict) -> dict:
            token = httpx.post(f"{url}/auth/token", data={"username": "adm", "password": PASSWORD}).json()["access_token"]
            answer = httpx.post(f"{url}/records", json=record, headers={"Authorization": f"Bearer {token}"}, timeout=120)
            assert answer.status_code == 201, answer.text
            return answer.json()

        file(started[0][0], REPORT)  # through both processes: whichever answers, one runs the job
        assert file(started[1][0], ARRIVAL)["matching"] == "queued"
        with open_resources(settings) as res:
            assert _wait(lambda: all(j.status == "done" for j in _jobs(res)) and _count(res, ReviewPairRow) == 1, 120), why_not()
        assert runners() == {holder()}  # claimed by the leader alone
        leader = next(w for w in workers if w.pid == holder())
        leader.kill()
        leader.wait(timeout=30)
        survivor, survivor_url = next((w, url) for url, w in started if w is not leader)
        assert _wait(lambda: holder() == survivor.pid, 60), "the other worker did not take over"
        file(survivor_url, missing_report(id="MP-J-3", name="Yadavi Rathore", sex="F", age=8, place=PATNA, date="2025-02-01"))
        with open_resources(settings) as res:
            assert _wait(lambda: all(j.status == "done" for j in _jobs(res)), 120), why_not()
            last = _jobs(res)[-1]
        assert last.record_key == "missing:MP-J-3" and int(str(last.claimed_by).split(":")[1]) == survivor.pid
    finally:
        stop([w for w in workers if w.poll() is None])
        for log in logs:
            log.close()


def test_candidates_count_the_register_again_only_when_it_changed(settings: Settings) -> None:
    """Counting the missing reports (the prior of a pair) scans the store on every ranking before
    (linear in the register: 40 ms of a 150 ms ranking at 20k per side); now only once the text
    index's document count moved. Fails on the old code: every call counted."""
    from sqlalchemy import event

    from search_api.deps import matcher_of

    with _client(settings) as client:
        res, admin = client.app.state.resources, _admin(client)  # type: ignore[attr-defined]
        for record in (REPORT, ARRIVAL):
            client.post("/records", json=record, headers=admin)
        counted: list[str] = []

        def note(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
            if "GROUP BY child_records.kind" in statement:
                counted.append(statement)

        event.listen(res.engine, "before_cursor_execute", note)
        try:
            for _ in range(3):
                assert client.get("/records/found/FC-J-1/candidates", headers=admin).json()[0]["key"] == "missing:MP-J-1"
            assert len(counted) <= 1
            prior = matcher_of(client.app).prior  # type: ignore[arg-type]
            counted.clear()
            client.post("/records", json=missing_report(id="MP-J-4", name="Sunil Oraon", sex="M", age=12, place=PATNA), headers=admin)
            client.get("/records/found/FC-J-1/candidates", headers=admin)
            assert len(counted) == 1 and matcher_of(client.app).prior != prior  # type: ignore[arg-type]  # one more report: a new prior
        finally:
            event.remove(res.engine, "before_cursor_execute", note)


def test_a_match_job_ranks_before_it_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails on the old code: the job queued its pairs (a write) and then ranked duplicates with the
    store's write lock held, so every worker's writes (an audit entry per request) waited a ranking."""
    import sqlite3

    from search_api.records import flows

    settings = Settings(data_dir=tmp_path / "data")
    locked_during_ranking: list[str] = []
    real = flows.find_duplicates

    def find_duplicates_and_probe(**kwargs):  # type: ignore[no-untyped-def]
        found = real(**kwargs)
        probe = sqlite3.connect(settings.data_dir / "trackchild.sqlite3", timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")  # another worker's write: must not wait on the job
            probe.rollback()
        except sqlite3.OperationalError as exc:
            locked_during_ranking.append(str(exc))
        finally:
            probe.close()
        return found

    monkeypatch.setattr(flows, "find_duplicates", find_duplicates_and_probe)
    with _client(settings) as client:
        res, admin = client.app.state.resources, _admin(client)  # type: ignore[attr-defined]
        assert client.post("/records", json=REPORT, headers=admin).status_code == 201
        assert client.post("/records", json=ARRIVAL, headers=admin).status_code == 201
        assert run_match_jobs(res).done == 2
        assert _count(res, ReviewPairRow) == 1  # the job did write: the pair is queued
    assert locked_during_ranking == []


def test_a_match_job_state_is_seen_over_the_api(store_url: str, tmp_path: Path) -> None:
    """Issue 11: a filing answers before its match job runs; GET .../match-status says where the
    job is (pending → running → done), to whoever sees the record's candidates, and /admin/match-jobs
    says how the worker keeps up. The job's error (code, not data) is for admins only."""
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url)
    with _client(settings) as client:
        res, admin = client.app.state.resources, _admin(client)  # type: ignore[attr-defined]
        add_users(res, password=PASSWORD, people=[("dcpu_gaya", "dcpu", "Bihar", "Gaya", "")])
        token = client.post("/auth/token", data={"username": "dcpu_gaya", "password": PASSWORD}).json()["access_token"]
        officer = {"Authorization": f"Bearer {token}"}  # another district: limited records, candidates all the same
        assert res.ingestor().ingest_records([missing_report(id="MP-J-OLD", name="Kiran Paswan", sex="M", age=11, place=PATNA)]).ok
        poison = missing_report(id="MP-J-BAD", name="Secret Name", sex="M", age=5, place=PATNA)
        for record in (REPORT, ARRIVAL, poison):
            assert client.post("/records", json=record, headers=admin).json()["matching"] == "queued"
        url = "/records/found/FC-J-1/match-status"
        got = client.get(url, headers=admin)
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["state"], body["done_at"], body["attempts"], body["last_error"]) == ("pending", None, 0, "")
        assert dt.datetime.fromisoformat(body["queued_at"]) <= utcnow()
        seen = client.get(url, headers=officer).json()
        assert seen["state"] == "pending" and "last_error" not in seen
        # the candidates' rule, not a copy of it: the same answers for the same users
        for who in (admin, officer, {}):
            for path in ("/records/found/FC-J-1", "/records/found/NOPE"):
                assert (
                    client.get(f"{path}/match-status", headers=who).status_code == client.get(f"{path}/candidates", headers=who).status_code
                )
        assert client.get("/records/missing/MP-J-OLD/match-status", headers=admin).json()["state"] == "none"  # a bulk import's
        overview = client.get("/admin/match-jobs", headers=admin)
        assert overview.status_code == 200, overview.text
        assert overview.json()["counts"] == {"pending": 3, "running": 0, "done": 0, "failed": 0}
        assert overview.json()["oldest_pending_seconds"] >= 0 and overview.json()["failed"] == []
        assert client.get("/admin/match-jobs", headers=officer).status_code == 403
        assert client.get("/admin/match-jobs").status_code == 401
        # a runner holds the arrival's job: running
        arrival_job = {j.record_key: j for j in _jobs(res)}["found:FC-J-1"].pk
        with res.session_factory() as session:
            session.execute(update(MatchJobRow).where(MatchJobRow.pk == arrival_job).values(claimed_by="w:1:x", claimed_at=utcnow()))
            session.commit()
        assert client.get(url, headers=officer).json()["state"] == "running"
        assert client.get("/admin/match-jobs", headers=admin).json()["counts"] == {"pending": 2, "running": 1, "done": 0, "failed": 0}
        with res.session_factory() as session:  # a claim older than the timeout is a dead runner's: it waits again
            stale = utcnow() - dt.timedelta(seconds=settings.match_job_claim_timeout_seconds + 1)
            session.execute(update(MatchJobRow).where(MatchJobRow.pk == arrival_job).values(claimed_at=stale))
            session.commit()
        assert client.get(url, headers=officer).json()["state"] == "pending"

        class Broken(Matcher):
            def rank(self, record, **kwargs):  # type: ignore[no-untyped-def]
                if record.id == "MP-J-BAD":
                    raise RuntimeError(f"cannot rank {record.name}")
                return super().rank(record, **kwargs)

        later = utcnow() + dt.timedelta(seconds=settings.match_job_claim_timeout_seconds + 1)  # the stale claim is taken over
        for _ in range(matching_jobs.MAX_ATTEMPTS):
            matching_jobs.run_pending(res, Broken(res), now=later)
            later += dt.timedelta(hours=1)
        body = client.get(url, headers=admin).json()
        assert body["state"] == "done" and body["attempts"] == 1 and body["done_at"] and body["last_error"] == ""
        bad = client.get("/records/missing/MP-J-BAD/match-status", headers=admin).json()
        assert (
            bad["state"] == "failed" and bad["attempts"] == matching_jobs.MAX_ATTEMPTS and bad["last_error"].startswith("RuntimeError at ")
        )
        assert "last_error" not in client.get("/records/missing/MP-J-BAD/match-status", headers=officer).json()
        jobs = client.get("/admin/match-jobs", headers=admin).json()
        assert jobs["counts"] == {"pending": 0, "running": 0, "done": 2, "failed": 1} and jobs["oldest_pending_seconds"] is None
        [failed] = jobs["failed"]
        assert (
            failed["record_key"] == "missing:MP-J-BAD" and failed["last_error"].startswith("RuntimeError at ") and "Secret" not in str(jobs)
        )
