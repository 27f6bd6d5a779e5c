"""One truth across processes and crashes. Each write spanning the store, the audit and the text
index is run in a real subprocess killed with SIGKILL at a step; afterwards the store and the
audit agree (both or neither), and the repair a restart runs (``sync_pending``) or ``reindex``
brings the index back to the store. A ``reindex`` while the server runs is picked up by the
server, and a generation the server holds is never deleted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from indexer import SearchFilters, get_record, parse_record
from indexer.store import upsert_records
from search_api.app import create_app
from search_api.audit.models import AuditEntryRow
from search_api.config import Settings
from search_api.db import utcnow
from search_api.fusion.service import Matcher
from search_api.records.matching_jobs import INDEXING_GRACE, run_pending
from search_api.records.models import MatchJobRow
from search_api.resources import open_resources
from search_api.review.models import ReviewDecisionRow
from tests.factories import add_users, found_child, missing_report, run_match_jobs

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "crash-tests-2026"

DRIVER = """
import os, signal, sys
from pathlib import Path

from search_api.config import Settings
from search_api.resources import open_resources

def crash_at(owner, name, when):
    original = getattr(owner, name)
    def wrapped(*args, **kwargs):
        if when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result
    setattr(owner, name, wrapped)

settings = Settings(data_dir=Path(sys.argv[1]))
res = open_resources(settings)
"""


def _run(data_dir: Path, body: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TRACKCHILD_DATABASE_URL", None)
    script = DRIVER + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script, str(data_dir)], env=env, capture_output=True, text=True, timeout=300)


def _killed(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == -signal.SIGKILL, f"the step was not reached: rc={proc.returncode}\n{proc.stderr[-3000:]}"


def _audit_count(res, action: str) -> int:  # type: ignore[no-untyped-def]
    with res.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntryRow).where(AuditEntryRow.action == action)) or 0)


def _indexed_status(res, key: str) -> str | None:  # type: ignore[no-untyped-def]
    kind = key.partition(":")[0]
    for status in ("open", "traced", "in_care", "restored"):
        hits = res.text_index.search("", filters=SearchFilters(kind=kind, status=status), limit=1000, explain=False)
        if any(h.key == key for h in hits):
            return status
    return None


SAVE = """
from sqlalchemy import select
from search_api.fusion.service import Matcher
from search_api.records.flows import save_record
from search_api.users.models import UserRow
import indexer.search.tantivy_index as ti
import search_api.audit.service as audit_service
import search_api.records.flows as flows
{crash}
with res.session_factory() as session:
    user = session.scalar(select(UserRow).where(UserRow.username == "pol"))
    record = {{"kind": "missing", "id": "MP-C-1", "name": "Rekha Kumari", "sex": "F", "age": 9,
              "place": {{"district": "Patna", "state": "Bihar"}}}}
    save_record(res=res, matcher=Matcher(res), session=session, data=record, user=user, source="crash-test")
    session.commit()
"""


@pytest.mark.parametrize(
    ("crash", "saved"),
    [
        ("crash_at(flows, 'append', 'after')", False),  # the audit entry is written, nothing committed yet
        ("crash_at(flows, 'index_pending', 'before')", True),  # committed; the index not yet written
        ("crash_at(ti.TantivyTextIndex, 'commit', 'before')", True),  # the index written, not committed
    ],
    ids=["before-commit", "after-commit", "index-uncommitted"],
)
def test_a_record_and_its_audit_entry_survive_together(settings: Settings, crash: str, saved: bool) -> None:
    with open_resources(settings) as res:
        add_users(res, password=PASSWORD, people=[("pol", "police", "Bihar", "Patna", "Patna Kotwali")])
    _killed(_run(settings.data_dir, SAVE.format(crash=crash)))
    with open_resources(settings) as res:
        with res.session_factory() as session:
            stored = get_record(session=session, kind="missing", record_id="MP-C-1")
        assert (stored is not None) == saved
        assert _audit_count(res, "record_edit") == int(saved)  # both or neither
        assert _indexed_status(res, "missing:MP-C-1") is None  # killed before the index committed
        assert _match_jobs(res) == ([("missing:MP-C-1", "pending")] if saved else [])  # the match job too: both or neither
    with TestClient(create_app(settings)) as client:  # a server start repairs what is pending
        res = client.app.state.resources  # type: ignore[attr-defined]
        assert _indexed_status(res, "missing:MP-C-1") == ("open" if saved else None)
        with res.session_factory() as session:
            from indexer import count_records

            assert count_records(session=session).pending_index == 0
        # the job the dead filing left waits out its grace (the filing never said its indexes were up), then runs
        assert run_pending(res, Matcher(res)).done == 0
        assert run_pending(res, Matcher(res), now=utcnow() + INDEXING_GRACE).done == int(saved)
        assert _match_jobs(res) == ([("missing:MP-C-1", "done")] if saved else [])


def _match_jobs(res) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with res.session_factory() as session:
        return [(j.record_key, j.status) for j in session.scalars(select(MatchJobRow).order_by(MatchJobRow.pk))]


DECIDE = """
from sqlalchemy import select
from indexer import Ingestor
from search_api.review.flows import decide_pair
from search_api.users.models import UserRow
import search_api.review.flows as review_flows
{crash}
with res.session_factory() as session:
    user = session.scalar(select(UserRow).where(UserRow.username == "off"))
    decide_pair(res=res, session=session, pair_pk=1, decision="confirm", note="family met", user=user, source="crash-test")
    session.commit()
"""


@pytest.mark.parametrize(
    ("crash", "decided"),
    [
        ("crash_at(Ingestor, 'stage_records', 'after')", False),  # statuses staged with the decision, not committed
        ("crash_at(review_flows, 'index_pending', 'before')", True),  # committed, the index still says open
    ],
    ids=["before-commit", "after-commit"],
)
def test_a_decision_and_its_statuses_survive_together(settings: Settings, crash: str, decided: bool) -> None:
    with TestClient(create_app(settings)) as client:
        res = client.app.state.resources  # type: ignore[attr-defined]
        add_users(res, password=PASSWORD, people=[("off", "dcpu", "Bihar", "Patna", ""), ("adm", "admin", "", "", "")])
        token = client.post("/auth/token", data={"username": "adm", "password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        place = {"district": "Patna", "state": "Bihar"}
        client.post("/records", json=missing_report(id="MP-C-2", name="Yadavi Rathore", sex="F", age=8, place=place), headers=auth)
        queued = client.post("/records", json=found_child(id="FC-C-2", name="Yadavi Rathore", sex="F", age=8, place=place), headers=auth)
        assert queued.json()["matching"] == "queued" and run_match_jobs(res).queued == 1
    _killed(_run(settings.data_dir, DECIDE.format(crash=crash)))
    with open_resources(settings) as res:
        with res.session_factory() as session:
            decisions = session.scalar(select(func.count()).select_from(ReviewDecisionRow))
            pair = (("missing", "MP-C-2"), ("found", "FC-C-2"))
            statuses = {get_record(session=session, kind=k, record_id=i).record.status for k, i in pair}  # type: ignore[union-attr]
        assert decisions == int(decided) and _audit_count(res, "review_decision") == int(decided)
        assert statuses == ({"traced", "restored"} if decided else {"open", "in_care"})
        assert _indexed_status(res, "missing:MP-C-2") == "open"  # the index lags until repaired
        res.ingestor().sync_pending()
        assert _indexed_status(res, "missing:MP-C-2") == ("traced" if decided else "open")
        assert _indexed_status(res, "found:FC-C-2") == ("restored" if decided else "in_care")


RETENTION = """
from search_api.audit.service import Actor
from search_api.records.retention import archive_closed_cases
from indexer import Ingestor
crash_at(Ingestor, "drop_archived", "before")
archive_closed_cases(res=res, days=0, actor=Actor("cli:test", "operator", "cli"))
"""


def test_retention_commits_the_store_first_and_the_outbox_finishes(settings: Settings) -> None:
    with open_resources(settings) as res:
        report = res.ingestor().ingest_records([missing_report(id="MP-C-3", name="Sonu Yadav", status="traced"),
                                                 missing_report(id="MP-C-4", name="Monu Yadav")])  # fmt: skip
        assert report.ok
    _killed(_run(settings.data_dir, RETENTION))
    with open_resources(settings) as res:
        with res.session_factory() as session:
            assert get_record(session=session, kind="missing", record_id="MP-C-3") is None  # archived in the store
        assert _audit_count(res, "archive") == 1
        assert _indexed_status(res, "missing:MP-C-3") == "traced"  # the index has not dropped it yet
        res.ingestor().sync_pending()  # the outbox: what a restart or the next ingest runs
        assert _indexed_status(res, "missing:MP-C-3") is None
        assert _indexed_status(res, "missing:MP-C-4") == "open"


REINDEX_KILLED = """
import indexer.search.tantivy_index as ti
crash_at(ti.TantivyTextIndex, "_set_current", "before")  # the new generation is built, not yet live
res.ingestor().reindex()
"""


def test_reindex_while_the_server_runs(settings: Settings) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TRACKCHILD_DATA_DIR": str(settings.data_dir)}
    env.pop("TRACKCHILD_DATABASE_URL", None)
    with TestClient(create_app(settings)) as client:
        res = client.app.state.resources  # type: ignore[attr-defined]
        assert res.ingestor().ingest_records([missing_report(id="MP-C-5", name="Pinky Devi")]).ok
        index = res.text_index
        first = index.generation
        # a record the live index lacks (as after a lost index write): only a rebuild brings it
        with res.session_factory() as session:
            upsert_records(session=session, records=[parse_record(missing_report(id="MP-C-6", name="Chintu Ram"))])
            session.commit()
        assert _indexed_status(res, "missing:MP-C-6") is None

        _killed(_run(settings.data_dir, REINDEX_KILLED))  # a reindex killed before its switch
        assert index.generation == first and _indexed_status(res, "missing:MP-C-5") == "open"  # the server is unharmed

        rebuilt = subprocess.run([sys.executable, "-m", "search_api.cli", "reindex"], env=env, capture_output=True, text=True, timeout=300)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert (settings.data_dir / "text_index" / first).is_dir()  # the server still holds it: not deleted
        # the server picks the new generation up on its next read, without a restart
        assert _indexed_status(res, "missing:MP-C-6") == "open" and _indexed_status(res, "missing:MP-C-5") == "open"
        assert index.generation != first
        # and writes through the server land in the live generation
        assert res.ingestor().ingest_records([missing_report(id="MP-C-7", name="Bablu Singh")]).ok
        assert _indexed_status(res, "missing:MP-C-7") == "open"
        live = index.generation
    again = subprocess.run([sys.executable, "-m", "search_api.cli", "reindex"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    generations = sorted(p.name for p in (settings.data_dir / "text_index").iterdir() if p.is_dir())
    assert first not in generations and live not in generations and len(generations) == 1  # released generations are collected
    with open_resources(settings) as res:
        assert {_indexed_status(res, f"missing:MP-C-{n}") for n in (5, 6, 7)} == {"open"}
