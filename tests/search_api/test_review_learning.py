"""Reviewers' decisions win, and the queue can offer the pairs the model is least sure of."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from search_api.app import create_app
from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.resources import Resources, open_resources
from search_api.review import service as review
from search_api.users.models import UserRow
from tests.factories import add_users

PASSWORD = "review learning password 2026"


@pytest.fixture
def res(settings: Settings) -> Iterator[Resources]:
    with open_resources(settings) as resources:
        create_service_schema(resources.engine)
        add_users(resources, password=PASSWORD, people=[("officer", "dcpu", "Bihar", "Patna", "")])
        yield resources


def _enqueue(session: Session, n: int, score: float, evidence: str = "e1") -> review.ReviewPairRow | None:
    return review.enqueue(
        session=session, missing_key=f"missing:M-{n}", found_key=f"found:F-{n}", score=score, explanation={}, evidence=evidence,
        missing_district="Patna", found_district="Patna", missing_state="Bihar", found_state="Bihar",
    )  # fmt: skip


def _officer(session: Session) -> UserRow:
    from sqlalchemy import select

    return session.scalars(select(UserRow).where(UserRow.username == "officer")).one()


@pytest.mark.parametrize("decision", ["reject", "confirm"])
def test_a_decided_pair_never_returns_whatever_the_model_or_records_say(res: Resources, decision: str) -> None:
    with res.session_factory() as session:
        row = _enqueue(session, 1, 0.9)
        assert row is not None
        review.decide(session=session, pair=row, decision=decision, note="seen the parents", user=_officer(session))
        status = row.status
        # the same evidence, new evidence (a record edited), and a model that is now certain
        for evidence, score in (("e1", 0.9), ("e2", 0.99), ("e3", 1.0)):
            assert _enqueue(session, 1, score, evidence) is None
            assert row.status == status and row.score == 0.9
        assert review.list_queue(session=session) == []


def test_only_a_person_reopens_a_rejected_pair_and_needs_a_reason(res: Resources) -> None:
    with res.session_factory() as session:
        row = _enqueue(session, 1, 0.8)
        officer = _officer(session)
        assert row is not None
        with pytest.raises(review.CannotReopen):  # a pending pair is open already
            review.decide(session=session, pair=row, decision="reopen", note="why", user=officer)
        review.decide(session=session, pair=row, decision="reject", note="different mole", user=officer)
        with pytest.raises(review.CannotReopen):
            review.decide(session=session, pair=row, decision="reopen", note=" ", user=officer)
        review.decide(session=session, pair=row, decision="reopen", note="the mother recognised the photo", user=officer)
        assert row.status == "pending"
        assert [d.decision for d in review.decisions_of(session=session, pair_pk=row.pk)] == ["reject", "reopen"]
        assert [r.pk for r in review.list_queue(session=session)] == [row.pk]


def test_least_sure_first_orders_by_distance_from_one_half(res: Resources) -> None:
    with res.session_factory() as session:
        scores = {1: 0.97, 2: 0.52, 3: 0.81, 4: 0.45, 5: 0.66}
        for n, score in scores.items():
            _enqueue(session, n, score)
        best = [r.missing_key for r in review.list_queue(session=session)]
        unsure = [r.missing_key for r in review.list_queue(session=session, order="least_sure")]
        assert best == ["missing:M-1", "missing:M-3", "missing:M-5", "missing:M-2", "missing:M-4"]
        assert unsure == ["missing:M-2", "missing:M-4", "missing:M-5", "missing:M-3", "missing:M-1"]
        with pytest.raises(ValueError, match="queue order"):
            review.list_queue(session=session, order="random")


def test_queue_order_through_the_api_and_a_rejected_pair_leaves_it(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        res = client.app.state.resources
        add_users(res, password=PASSWORD, people=[("officer", "dcpu", "Bihar", "Patna", "")])
        with res.session_factory() as session:
            for n, score in {1: 0.95, 2: 0.55}.items():
                _enqueue(session, n, score)
            session.commit()
        token = client.post("/auth/token", data={"username": "officer", "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        ordered = client.get("/review/queue", params={"order": "least_sure"}, headers=headers).json()
        assert [p["missing_key"] for p in ordered] == ["missing:M-2", "missing:M-1"]
        assert client.get("/review/queue", params={"order": "random"}, headers=headers).status_code == 422
        pk = ordered[0]["pk"]
        # decisions on pairs whose records are not in the store are refused by policy; decide through the service
        with res.session_factory() as session:
            row = review.get_or_raise(session=session, pair_pk=pk)
            review.decide(session=session, pair=row, decision="reject", note="no", user=_officer(session))
            session.commit()
        assert [p["missing_key"] for p in client.get("/review/queue", headers=headers).json()] == ["missing:M-1"]


def test_the_queue_page_offers_least_sure_first_and_a_rejected_pair_is_reopened_by_a_person(settings: Settings) -> None:
    import re

    from tests.factories import found_child, missing_report
    from ui import create_web_app

    with open_resources(settings) as res:
        create_service_schema(res.engine)
        add_users(res, password=PASSWORD, people=[("officer", "dcpu", "Bihar", "Patna", "")])
        records = [missing_report(id="MP-L-1"), found_child(id="FC-L-1", place={"district": "Patna", "state": "Bihar"})]
        assert res.ingestor().ingest_records(records).ok
        with res.session_factory() as session:
            row = review.enqueue(
                session=session, missing_key="missing:MP-L-1", found_key="found:FC-L-1", score=0.7, explanation={}, evidence="e",
                missing_district="Patna", found_district="Patna", missing_state="Bihar", found_state="Bihar",
            )  # fmt: skip
            assert row is not None
            review.decide(session=session, pair=row, decision="reject", note="different child", user=_officer(session))
            session.commit()
            pk = row.pk
    with TestClient(create_web_app(settings)) as client:
        nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/ui/login").text).group(1)  # type: ignore[union-attr]
        client.post("/ui/login", data={"username": "officer", "password": PASSWORD, "login_csrf": nonce})
        page = client.get("/ui/review", params={"order": "least_sure"}).text
        assert re.search(r'<option value="least_sure"\s+selected>', page)
        pair_page = client.get(f"/ui/review/{pk}").text
        assert 'value="reopen"' in pair_page and 'value="confirm"' not in pair_page  # decided: only a reopen is offered
        csrf = re.search(r'name="csrf" value="([^"]+)"', pair_page).group(1)  # type: ignore[union-attr]
        refused = client.post(f"/ui/review/{pk}/decision", data={"decision": "reopen", "note": "", "csrf": csrf})
        assert refused.status_code == 422  # a reason is needed
        done = client.post(f"/ui/review/{pk}/decision", data={"decision": "reopen", "note": "new photo from the family", "csrf": csrf})
        assert done.status_code == 200 and 'value="confirm"' in done.text  # back in the queue, decidable again
