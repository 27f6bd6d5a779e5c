"""Children in care (issue 15, part 4): care plans and events kept by the child's own CCI and
its district's CWC/DCPU, CWC-only orders and reviews, and a CCI's roll against its capacity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app
from search_api.care import service as care
from search_api.config import Settings
from tests.factories import add_users, found_child

PASSWORD = "a long enough password"
HOWRAH = {"city": "Howrah", "district": "Howrah", "state": "West Bengal"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        res = test_client.app.state.resources
        add_users(res, password=PASSWORD, people=[
            ("home", "cci", "West Bengal", "Howrah", "Bal Ashram", "WB-CCI-17"),
            ("other_home", "cci", "West Bengal", "Howrah", "Bal Ashram", "WB-CCI-18"),  # same name, another home
            ("cwc_howrah", "cwc", "West Bengal", "Howrah", ""),
            ("dcpu_howrah", "dcpu", "West Bengal", "Howrah", ""),
            ("dcpu_twin", "dcpu", "Bihar", "Howrah", ""),  # a district of that name elsewhere (made up) sees nothing
            ("police_howrah", "police", "West Bengal", "Howrah", "Howrah PS", "WB-PS-1"),
        ])  # fmt: skip
        for i in range(3):
            child = found_child(id=f"FC-C-{i}", name=f"Child {i}", date=f"2026-0{i + 1}-10", place=HOWRAH, cci_name="Bal Ashram",
                                cci_code="WB-CCI-17")  # fmt: skip
            assert res.ingestor().ingest_records([child]).ok
        other = found_child(id="FC-C-9", name="Elsewhere", place=HOWRAH, cci_name="Bal Ashram", cci_code="WB-CCI-18")
        assert res.ingestor().ingest_records([other]).ok
        with res.session_factory() as session:
            care.set_cci(session=session, code="WB-CCI-17", name="Bal Ashram", state="West Bengal", district="Howrah", capacity=4)
            session.commit()
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    answer = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_care_plan_and_events_by_the_right_people(client: TestClient) -> None:
    home, other, cwc = login(client, "home"), login(client, "other_home"), login(client, "cwc_howrah")
    goal = {"domain": "education", "goal": "enrol in class 4 at the nearby school", "start_date": "2026-02-01", "target_date": "2026-06-30"}
    assert client.post("/care/children/FC-C-0/goals", json=goal, headers=home).status_code == 201
    assert client.post("/care/children/FC-C-0/goals", json=goal, headers=other).status_code == 403  # same name, another CCI
    assert client.post("/care/children/FC-C-0/goals", json=goal, headers=login(client, "police_howrah")).status_code == 403
    assert client.post("/care/children/FC-C-0/goals", json={**goal, "domain": "cricket"}, headers=home).status_code == 422
    assert client.post("/care/children/FC-C-0/goals", json={**goal, "start_date": "01/02/2026"}, headers=home).status_code == 422
    service = {"kind": "service", "on": "2026-02-15", "details": {"what": "counselling session"}}
    assert client.post("/care/children/FC-C-0/events", json=service, headers=home).status_code == 201
    review = {"kind": "review", "on": "2026-03-01"}
    assert client.post("/care/children/FC-C-0/events", json=review, headers=home).status_code == 403  # reviews are the CWC's
    done = client.post("/care/children/FC-C-0/events", json=review, headers=cwc)
    assert done.status_code == 201 and done.json()["next_review"] == "2026-05-30"  # three months on
    placed = {"kind": "foster", "on": "2026-04-01", "details": {"family": "FC-FAM-2"}}
    assert client.post("/care/children/FC-C-1/events", json=placed, headers=login(client, "dcpu_howrah")).status_code == 201
    record = client.get("/care/children/FC-C-0", headers=cwc).json()
    assert [g["domain"] for g in record["goals"]] == ["education"] and [e["kind"] for e in record["events"]] == ["service", "review"]
    assert client.get("/care/children/FC-C-0", headers=login(client, "dcpu_twin")).status_code == 403
    assert client.get("/care/children/NOPE", headers=cwc).status_code == 404


def test_a_ccis_roll_counts_against_capacity_and_orders_by_review_due(client: TestClient) -> None:
    home, cwc = login(client, "home"), login(client, "cwc_howrah")
    client.post("/care/children/FC-C-2/events", json={"kind": "review", "on": "2026-01-20"}, headers=cwc)
    roll = client.get("/care/ccis/WB-CCI-17/roll", headers=home).json()
    assert roll["capacity"] == 4 and roll["in_care"] == 3 and roll["occupancy"] == pytest.approx(0.75)
    assert [c["found_id"] for c in roll["children"]] == ["FC-C-0", "FC-C-2", "FC-C-1"]  # by next review due
    due = {c["found_id"]: c["next_review_due"] for c in roll["children"]}
    assert due["FC-C-2"] == (dt.date(2026, 1, 20) + dt.timedelta(days=90)).isoformat()
    assert client.get("/care/ccis/WB-CCI-17/roll", headers=login(client, "other_home")).status_code == 403
    assert client.get("/care/ccis/WB-CCI-17/roll", headers=login(client, "dcpu_twin")).status_code == 403
    assert client.get("/care/ccis/WB-CCI-17/roll", headers=login(client, "dcpu_howrah")).status_code == 200
    assert client.get("/care/ccis/NOPE/roll", headers=cwc).status_code == 422
