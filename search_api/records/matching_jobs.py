"""Matching after filing, as a durable job: the filing answers once the record is stored and
indexed; the job ranks it against the other register (strong pairs enter the review queue) and
its own (strong duplicates are flagged) soon after.

The job is written in the filing's transaction (an outbox, ``MatchJobRow``), so no committed
record is left unmatched by a crash. One worker per data dir runs the jobs (inside ``serve``,
elected by a lock file like the notification worker, or ``trackchild match --pending``); a job
is claimed by compare-and-swap, so two runners never match one filing twice at once, and a
claim left by a dead worker is taken over after ``match_job_claim_timeout_seconds``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from indexer import get_records_by_keys, insert_for
from search_api.db import as_utc, utcnow
from search_api.fusion.service import Matcher
from search_api.leadership import LeaderLoop, Leadership
from search_api.policy import authorize, may
from search_api.records.models import MatchJobRow
from search_api.resources import Resources
from search_api.users.models import UserRow

log = logging.getLogger("trackchild.match_jobs")

MAX_ATTEMPTS = 5
# a job waits this long for its filing to bring the indexes up (the filing then makes it due at
# once); a filing that died in between leaves its job due after it
INDEXING_GRACE = dt.timedelta(seconds=60)
LOCK_FILE = "match-worker.lock"


@dataclass(frozen=True)
class Ticket:
    """The open job a filing joined: its id and how many filings it answers for by now."""

    pk: int
    filings: int


def enqueue(*, session: Session, record_key: str, now: dt.datetime | None = None) -> Ticket:
    """Ask for a record to be matched, in the caller's transaction. A record with an open job
    joins it (one upsert on the unique ``open_key``, safe against a concurrent filing): the job
    reads the record as it is when it runs, and one that is running already runs once more."""
    now = now or utcnow()
    insert = insert_for(session)
    table = MatchJobRow.__table__
    statement = (
        insert(table)
        .values(
            record_key=record_key,
            open_key=record_key,
            status="pending",
            filings=1,
            queued_at=now,
            next_attempt_at=now + INDEXING_GRACE,
            attempts=0,
            last_error="",
        )
        .on_conflict_do_update(
            index_elements=[table.c.open_key],
            set_={"filings": table.c.filings + 1, "next_attempt_at": now + INDEXING_GRACE},
        )
        .returning(table.c.pk, table.c.filings)
    )
    pk, filings = session.execute(statement).one()
    return Ticket(pk, filings)


def release(*, session: Session, ticket: Ticket, now: dt.datetime | None = None) -> None:
    """The filing has brought the indexes up: its job is due now (unless a later filing joined
    it meanwhile; that one releases it in turn)."""
    session.execute(
        update(MatchJobRow)
        .where(MatchJobRow.pk == ticket.pk, MatchJobRow.filings == ticket.filings, MatchJobRow.status == "pending")
        .values(next_attempt_at=now or utcnow())
    )


def open_job_of(*, session: Session, record_key: str) -> MatchJobRow | None:
    """The record's job still waiting or running, if any (a page says candidates are being computed)."""
    return session.scalar(select(MatchJobRow).where(MatchJobRow.open_key == record_key))


def latest_job_of(*, session: Session, record_key: str) -> MatchJobRow | None:
    return session.scalar(select(MatchJobRow).where(MatchJobRow.record_key == record_key).order_by(MatchJobRow.pk.desc()).limit(1))


def worker_name() -> str:
    """Who claims a job, for an operator reading the table: host, process and a per-runner tag."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class JobsReport:
    done: int = 0
    retried: int = 0
    failed: int = 0
    rerun: int = 0  # refiled while running: runs again
    queued: int = 0  # pairs that entered the review queue
    flagged: int = 0  # possible duplicates flagged


def _error_of(exc: BaseException) -> str:
    """The exception's type and where it was raised: never its message, which may carry a child's data."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"[:300]


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(15 * 60, 5 * 2**attempts))  # 10 s, 20 s, 40 s, 80 s


def due_jobs(*, session: Session, now: dt.datetime, claim_timeout: dt.timedelta, limit: int) -> list[int]:
    """Open jobs that are due and nobody is running (or whose runner's claim has gone stale), oldest first."""
    return list(
        session.scalars(
            select(MatchJobRow.pk)
            .where(
                MatchJobRow.status == "pending",
                MatchJobRow.next_attempt_at <= now,
                or_(MatchJobRow.claimed_by.is_(None), MatchJobRow.claimed_at < now - claim_timeout),
            )
            .order_by(MatchJobRow.pk)
            .limit(limit)
        )
    )


def _claim(res: Resources, pk: int, worker: str, claim_timeout: dt.timedelta) -> tuple[str, int, int] | None:
    """Take a job by compare-and-swap; its record key, filings and attempts so far, or None if
    another runner took it first (its due time was checked when it was chosen)."""
    now = utcnow()
    with res.session_factory() as session:
        claimed = session.execute(
            update(MatchJobRow)
            .where(
                MatchJobRow.pk == pk,
                MatchJobRow.status == "pending",
                or_(MatchJobRow.claimed_by.is_(None), MatchJobRow.claimed_at < now - claim_timeout),
            )
            .values(claimed_by=worker, claimed_at=now, attempts=MatchJobRow.attempts + 1)
        )
        if claimed.rowcount != 1:
            session.rollback()
            return None
        session.commit()
        row = session.get(MatchJobRow, pk)
        assert row is not None
        return row.record_key, row.filings, row.attempts


def run_job(res: Resources, matcher: Matcher, pk: int, *, worker: str, report: JobsReport, claim_timeout: dt.timedelta) -> None:
    """Claim one job and match its record as it is in the store now; the pairs, the flags and the
    job's outcome commit together. An error is kept on the job (ids only) and retried later."""
    from search_api.records.flows import flag_duplicates, match_and_queue, rank_both

    claimed = _claim(res, pk, worker, claim_timeout)
    if claimed is None:
        return
    record_key, filings, attempts = claimed
    mine = (MatchJobRow.pk == pk, MatchJobRow.claimed_by == worker)
    if attempts > MAX_ATTEMPTS:  # its runners died on it each time: it must not take the next one down too
        with res.session_factory() as session:
            session.execute(update(MatchJobRow).where(*mine).values(status="failed", open_key=None, done_at=utcnow(),
                                                                   last_error="abandoned by its runner every time"))  # fmt: skip
            session.commit()
        log.error("match job %s for %s failed: abandoned by its runner %s times", pk, record_key, MAX_ATTEMPTS)
        report.failed += 1
        return
    with res.session_factory() as session:
        try:
            stored = get_records_by_keys(session=session, keys=[record_key]).get(record_key)
            queued = flagged = 0
            if stored is not None:  # archived since: nothing to match
                # both rankings first: the writes below then hold the store's write lock for
                # milliseconds, not for a ranking (every worker's audit entry waits on that lock)
                ranked, lookalikes = rank_both(matcher=matcher, stored=stored)
                queued = match_and_queue(matcher=matcher, session=session, stored=stored, candidates=ranked)[1]
                flagged = flag_duplicates(session=session, stored=stored, candidates=lookalikes)[1]
            counts = {"queued": func.coalesce(MatchJobRow.queued, 0) + queued, "flagged": func.coalesce(MatchJobRow.flagged, 0) + flagged}
            finished = session.execute(
                update(MatchJobRow)
                .where(*mine, MatchJobRow.filings == filings)
                .values(status="done", open_key=None, done_at=utcnow(), last_error="", **counts)
            )
            if finished.rowcount != 1:  # filed again while it ran: the new version is matched by a run of its own
                session.execute(update(MatchJobRow).where(*mine).values(claimed_by=None, claimed_at=None, attempts=0, **counts))
                report.rerun += 1
            else:
                report.done += 1
            session.commit()
            report.queued += queued
            report.flagged += flagged
        except Exception as exc:
            session.rollback()
            _failed(res, pk, record_key, worker, attempts, _error_of(exc), report)


def _failed(res: Resources, pk: int, record_key: str, worker: str, attempts: int, error: str, report: JobsReport) -> None:
    mine = (MatchJobRow.pk == pk, MatchJobRow.claimed_by == worker)
    with res.session_factory() as session:
        if attempts >= MAX_ATTEMPTS:
            values: dict = {"status": "failed", "open_key": None, "done_at": utcnow(), "last_error": error}
            report.failed += 1
            log.error("match job %s for %s failed for good after %s attempts: %s", pk, record_key, attempts, error)
        else:
            values = {"claimed_by": None, "claimed_at": None, "next_attempt_at": utcnow() + _backoff(attempts), "last_error": error}
            report.retried += 1
            log.warning("match job %s for %s failed (attempt %s, retried later): %s", pk, record_key, attempts, error)
        session.execute(update(MatchJobRow).where(*mine).values(**values))
        session.commit()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_claims(*, session: Session) -> int:
    """Free the claims of runners on this machine whose process is gone (a server killed while
    matching), so their jobs run now rather than after the claim timeout; returns how many."""
    host = socket.gethostname()[:60]
    freed = 0
    for pk, claimed_by in session.execute(
        select(MatchJobRow.pk, MatchJobRow.claimed_by).where(MatchJobRow.status == "pending", MatchJobRow.claimed_by.is_not(None))
    ):
        name, _, rest = str(claimed_by).partition(":")
        pid = rest.partition(":")[0]
        if name == host and pid.isdigit() and not _alive(int(pid)):
            freed += session.execute(
                update(MatchJobRow)
                .where(MatchJobRow.pk == pk, MatchJobRow.claimed_by == claimed_by)
                .values(claimed_by=None, claimed_at=None)
            ).rowcount
    return freed


def run_pending(
    res: Resources,
    matcher: Matcher,
    *,
    worker: str | None = None,
    limit: int = 200,
    stop: Callable[[], bool] = lambda: False,
    now: dt.datetime | None = None,
) -> JobsReport:
    """Run the jobs that are due (by ``now``, default the present; at most ``limit``), one at a time, oldest first."""
    worker = worker or worker_name()
    claim_timeout = dt.timedelta(seconds=res.settings.match_job_claim_timeout_seconds)
    report = JobsReport()
    with res.session_factory() as session:
        if release_dead_claims(session=session):
            session.commit()
        due = due_jobs(session=session, now=now or utcnow(), claim_timeout=claim_timeout, limit=limit)
    for pk in due:
        if stop():
            break
        run_job(res, matcher, pk, worker=worker, report=report, claim_timeout=claim_timeout)
    return report


def pending_count(*, session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(MatchJobRow).where(MatchJobRow.status == "pending")) or 0)


# what a job is doing, as a page or an operator says it ("none": the record was never queued,
# e.g. loaded by a bulk import, which matches as it loads)
JOB_STATES = ("pending", "running", "done", "failed")
FAILED_SHOWN = 20


def _state(row: MatchJobRow, *, now: dt.datetime, claim_timeout: dt.timedelta) -> str:
    """A pending job a live runner holds is running; a dead runner's stale claim waits like any other."""
    if row.status != "pending":
        return row.status
    claimed_at = as_utc(row.claimed_at)
    return "running" if row.claimed_by and claimed_at is not None and claimed_at >= now - claim_timeout else "pending"


@dataclass(frozen=True)
class MatchStatus:
    state: str  # one of JOB_STATES, or "none"
    queued_at: dt.datetime | None
    done_at: dt.datetime | None
    attempts: int
    last_error: str | None  # None unless the user may read the match worker's errors


def match_status_for(*, session: Session, user: UserRow, record_key: str, claim_timeout: dt.timedelta,
                     now: dt.datetime | None = None) -> MatchStatus:  # fmt: skip
    """The state of the record's latest match job. The caller has checked that the user may
    read the record (as for its candidates); the error (code, not data) is for operators only."""
    row = latest_job_of(session=session, record_key=record_key)
    if row is None:
        return MatchStatus("none", None, None, 0, "" if may(user, "match_jobs") else None)
    state = _state(row, now=now or utcnow(), claim_timeout=claim_timeout)
    error = row.last_error or "" if may(user, "match_jobs") else None
    return MatchStatus(state, as_utc(row.queued_at), as_utc(row.done_at), row.attempts, error)


@dataclass(frozen=True)
class FailedJob:
    record_key: str
    last_error: str
    attempts: int
    done_at: dt.datetime | None


@dataclass(frozen=True)
class JobsOverview:
    counts: dict[str, int]  # by state, every state named
    oldest_pending_seconds: float | None  # the oldest open job's age (pending or running), None if there is none
    failed: list[FailedJob]  # the latest given up on, newest first


def jobs_overview_for(*, session: Session, user: UserRow, claim_timeout: dt.timedelta, now: dt.datetime | None = None) -> JobsOverview:
    """How the match worker keeps up: jobs by state, how long the oldest open one has waited,
    and the latest failures (record keys and errors: ids and code, never a child's data)."""
    authorize(user, "match_jobs")
    now = now or utcnow()
    counts = dict.fromkeys(JOB_STATES, 0)
    for status, count in session.execute(select(MatchJobRow.status, func.count()).group_by(MatchJobRow.status)):
        counts[status] = counts.get(status, 0) + int(count)
    running = session.scalar(
        select(func.count())
        .select_from(MatchJobRow)
        .where(MatchJobRow.status == "pending", MatchJobRow.claimed_by.is_not(None), MatchJobRow.claimed_at >= now - claim_timeout)
    )
    counts["running"] = int(running or 0)
    counts["pending"] -= counts["running"]
    oldest = as_utc(session.scalar(select(func.min(MatchJobRow.queued_at)).where(MatchJobRow.status == "pending")))
    failed = session.execute(
        select(MatchJobRow.record_key, MatchJobRow.last_error, MatchJobRow.attempts, MatchJobRow.done_at)
        .where(MatchJobRow.status == "failed")
        .order_by(MatchJobRow.done_at.desc(), MatchJobRow.pk.desc())
        .limit(FAILED_SHOWN)
    )
    return JobsOverview(
        counts=counts,
        oldest_pending_seconds=max(0.0, (now - oldest).total_seconds()) if oldest is not None else None,
        failed=[FailedJob(key, error or "", attempts, as_utc(done_at)) for key, error, attempts, done_at in failed],
    )


class MatchWorker(LeaderLoop):
    """The match worker inside ``serve``: one per data dir (the lock ``match-worker.lock``), a
    pass every ``match_job_interval_seconds``. ``matcher`` gives the process's matcher (the one
    the requests use, with its caches), made on first use."""

    def __init__(self, res: Resources, matcher: Callable[[], Matcher], interval: float) -> None:
        self.res, self.name = res, worker_name()
        self.report = JobsReport()

        def work() -> None:
            done = run_pending(res, matcher(), worker=self.name, stop=lambda: self.stopping)
            for name in ("done", "retried", "failed", "rerun", "queued", "flagged"):
                setattr(self.report, name, getattr(self.report, name) + getattr(done, name))

        leadership = Leadership(res.settings.data_dir / LOCK_FILE)
        super().__init__(name="trackchild-match", leadership=leadership, interval=interval, work=work, log=log)

    def start(self) -> MatchWorker:
        super().start()
        return self


def start_match_worker(res: Resources, matcher: Callable[[], Matcher]) -> MatchWorker | None:
    """Start this process's match worker (None when ``match_job_interval_seconds`` is 0)."""
    interval = res.settings.match_job_interval_seconds
    if interval <= 0:
        return None
    return MatchWorker(res, matcher, interval).start()
