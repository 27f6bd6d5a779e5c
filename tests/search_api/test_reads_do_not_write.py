"""Reads don't write: a record page and GET /candidates compute matching but queue nothing, and
leave one audit entry per view; queueing is an explicit POST (or the matcher's own job)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from search_api import Settings, open_resources
from search_api.audit.models import AuditEntryRow
from search_api.review.models import DuplicateFlagRow, ReviewPairRow
from tests.factories import add_users, found_child, missing_report
from ui import create_web_app

PASSWORD = "reads-do-not-write-2026"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with open_resources(settings) as res:
        add_users(res, password=PASSWORD, people=[("dcpu1", "dcpu", "Bihar", "Patna", ""), ("pol1", "police", "Bihar", "Patna", "")])
        # loaded as a bulk import does (no matching): a strong pair and a strong duplicate, neither queued
        report = res.ingestor().ingest_records(
            [
                missing_report(id="MP-R-1", name="Yadavi Rathore", sex="F", age=8, place={"district": "Patna", "state": "Bihar"}),
                missing_report(id="MP-R-2", name="Yadavi Rathor", sex="F", age=8, place={"district": "Patna", "state": "Bihar"}),
                found_child(id="FC-R-1", name="Yadavi Rathore", sex="F", age=8, place={"district": "Patna", "state": "Bihar"}),
            ]
        )
        assert report.ok
    with TestClient(create_web_app(settings)) as test_client:
        yield test_client


def _counts(client: TestClient) -> tuple[int, int, int]:
    with client.app.state.resources.session_factory() as session:  # type: ignore[attr-defined]
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in (ReviewPairRow, DuplicateFlagRow, AuditEntryRow))  # type: ignore[return-value]


def _token(client: TestClient, name: str) -> dict[str, str]:
    token = client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_get_candidates_and_duplicates_queue_nothing_and_audit_once(client: TestClient) -> None:
    auth = _token(client, "dcpu1")
    pairs, flags, audit = _counts(client)
    for _ in range(2):
        shown = client.get("/records/missing/MP-R-1/candidates", headers=auth)
        assert shown.status_code == 200 and shown.json()[0]["key"] == "found:FC-R-1"
        assert client.get("/records/missing/MP-R-1/duplicates", headers=auth).json()[0]["key"] == "missing:MP-R-2"
    assert _counts(client) == (pairs, flags, audit + 4)  # one entry per GET, nothing queued or flagged
    assert pairs == 0 and flags == 0

    queued = client.post("/records/missing/MP-R-1/match", headers=auth)  # the explicit action
    assert queued.status_code == 200 and queued.json()["queued_for_review"] == 1 and queued.json()["duplicates_flagged"] == 1
    assert _counts(client) == (1, 1, audit + 5)


def test_record_page_queues_nothing_and_audits_each_view_once(client: TestClient) -> None:
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    client.post("/ui/login", data={"username": "dcpu1", "password": PASSWORD, "login_csrf": nonce}, follow_redirects=False)
    before = _counts(client)
    for _ in range(3):
        page = client.get("/ui/records/missing/MP-R-1")
        assert page.status_code == 200 and "FC-R-1" in page.text
    pairs, flags, audit = _counts(client)
    assert (pairs, flags) == (0, 0)
    assert audit == before[2] + 3
    with client.app.state.resources.session_factory() as session:  # type: ignore[attr-defined]
        last = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(3)).all()
    assert {e.action for e in last} == {"record_view"} and all("found:FC-R-1" in e.targets for e in last)
