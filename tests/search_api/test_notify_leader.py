"""The notification worker runs inside every ``serve`` worker, but only one delivers: the one
holding the data dir's leader lock (a real fcntl lock; each worker opens its own descriptor, as
separate processes do). When the leader stops, another takes over; the outbox's CAS claim
stays the safety net underneath."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.notifications import service as notifications
from search_api.notifications.flows import BackgroundWorker, Leadership
from search_api.notifications.models import InboxRow, OutboxRow
from search_api.resources import open_resources
from search_api.users.models import UserRow
from tests.factories import add_users
from tests.live import spawn_uvicorn, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]


def _queue(res, n: int) -> None:  # type: ignore[no-untyped-def]
    with res.session_factory() as session:
        officer = session.scalar(select(UserRow).where(UserRow.username == "dcpu_patna"))
        for i in range(n):
            notifications.notify(session=session, users=[officer], event="overdue", subject_key=f"pair:{i}", text=f"Overdue: pair {i}",
                                 link=f"/ui/review/{i}")  # fmt: skip
        session.commit()


def _wait(condition, seconds: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_only_the_leader_delivers_and_another_takes_over(settings: Settings) -> None:
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        add_users(res, password="a long enough password", people=[("dcpu_patna", "dcpu", "Bihar", "Patna", "")])
        _queue(res, 3)
        first, second = BackgroundWorker(res, 0.2).start(), BackgroundWorker(res, 0.2).start()
        try:
            assert _wait(lambda: first.passes + second.passes >= 5)
            leader, follower = (first, second) if first.passes else (second, first)
            assert follower.passes == 0  # it ticked as often, but never delivered
            with res.session_factory() as session:
                assert _wait(lambda: session.scalar(select(func.count()).select_from(InboxRow)) == 3)
                assert session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.status != "sent")) == 0
            leader.stop()
            _queue(res, 2)
            assert _wait(lambda: follower.passes > 0)  # the lock was dropped: the other worker leads now
            with res.session_factory() as session:
                assert _wait(lambda: session.scalar(select(func.count()).select_from(InboxRow)) == 5)
        finally:
            first.stop()
            second.stop()


def test_the_lock_belongs_to_a_process_and_dies_with_it(settings: Settings) -> None:
    """Another process holds the lock: this one may not lead; once that process is gone, it may."""
    lock = settings.data_dir / "notify-worker.lock"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[2]);"
         "from search_api.notifications.flows import Leadership; from pathlib import Path;"
         "assert Leadership(Path(sys.argv[1])).holds(); print('held', flush=True); time.sleep(60)", str(lock), str(ROOT)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        here = Leadership(lock)
        assert not here.holds()
        assert lock.read_text().strip() == str(holder.pid)  # which process delivers, for an operator
    finally:
        holder.kill()
        holder.wait()
    assert here.holds()
    here.release()


@pytest.mark.slow
def test_two_serve_workers_one_delivers_and_the_other_takes_over_when_it_dies(settings: Settings) -> None:
    """Two real server processes on one data dir, each with its notification worker (every 1 s):
    the lock names one of them; the messages are delivered once; when that process is killed,
    the other takes the lock and delivers what comes next."""
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        add_users(res, password="a long enough password", people=[("dcpu_patna", "dcpu", "Bihar", "Patna", "")])
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT), "TRACKCHILD_NOTIFY_INTERVAL_SECONDS": "1"}
    env.pop("TRACKCHILD_DATABASE_URL", None)
    logs = [(settings.data_dir.parent / f"worker-{i}.log").open("w") for i in range(2)]
    started = [spawn_uvicorn(env, stderr=log) for log in logs]
    workers = [process for _, process in started]

    def why_not() -> str:
        return " | ".join(Path(log.name).read_text()[-1500:] for log in logs)

    lock = settings.data_dir / "notify-worker.lock"

    def holder() -> int | None:
        text = lock.read_text().strip() if lock.exists() else ""
        return int(text) if text.isdigit() else None

    try:
        for url, worker in started:  # a loaded CI machine starts two servers slowly: wait for both, with their logs
            wait_until_healthy(url, worker, timeout_s=240, why_not=why_not)
        ok = _wait(lambda: holder() in {w.pid for w in workers}, 120)
        assert ok, f"no worker took the lead: {why_not()}"
        with open_resources(settings) as res:
            _queue(res, 4)
            with res.session_factory() as session:
                assert _wait(lambda: session.scalar(select(func.count()).select_from(InboxRow)) == 4, 30)
                time.sleep(2.5)  # two more ticks of both workers: still delivered once each
                assert session.scalar(select(func.count()).select_from(InboxRow)) == 4
            leader = next(w for w in workers if w.pid == holder())
            leader.kill()
            leader.wait(timeout=30)
            survivor = next(w for w in workers if w is not leader)
            assert _wait(lambda: holder() == survivor.pid, 30), "the other worker did not take over"
            _queue(res, 1)
            with res.session_factory() as session:
                assert _wait(lambda: session.scalar(select(func.count()).select_from(InboxRow)) == 5, 30)
    finally:
        stop([w for w in workers if w.poll() is None])
        for log in logs:
            log.close()
