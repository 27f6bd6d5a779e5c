"""After the match (issue 15): a confirmed pair becomes a restoration case whose steps, due
dates, escalation and notifications run on a real app (SQLite, tantivy) and a real SMTP
server on loopback (aiosmtpd); a confirmed match can be reopened."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app
from search_api.config import Settings
from search_api.notifications import service as notifications
from search_api.notifications.flows import channels_for
from search_api.restoration import flows as restoration
from tests.factories import add_users, found_child, missing_report, run_match_jobs

PASSWORD = "a long enough password"
CHILD_NAME = "Yadavi Rathore"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, mailbox
    controller.stop()


@pytest.fixture
def client(tmp_path, monkeypatch, smtp) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    port, _mailbox = smtp
    data_dir = tmp_path / "data"
    monkeypatch.setenv("TRACKCHILD_DATA_DIR", str(data_dir))
    settings = Settings(data_dir=data_dir, smtp_host="127.0.0.1", smtp_port=port, notify_interval_seconds=0)
    with TestClient(create_app(settings)) as test_client:
        res = test_client.app.state.resources
        add_users(res, password=PASSWORD, people=[
            ("constable", "police", "Bihar", "Patna", "Patna Kotwali"),
            ("caseworker", "cci", "West Bengal", "Howrah", "Children Home, Howrah"),
            ("cwc_howrah", "cwc", "West Bengal", "Howrah", ""),
            ("dcpu_patna", "dcpu", "Bihar", "Patna", ""),
            ("dcpu_howrah", "dcpu", "West Bengal", "Howrah", ""),
            ("dcpu_gaya", "dcpu", "Bihar", "Gaya", ""),
            ("dcpu_patna_mh", "dcpu", "Maharashtra", "Patna", ""),
            ("state_bihar", "state", "Bihar", "", ""),
            ("registrar", "admin", "", "", ""),
        ])  # fmt: skip
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def deliver(client: TestClient) -> notifications.DeliveryReport:
    res = client.app.state.resources  # type: ignore[attr-defined]
    return notifications.deliver_pending(session_factory=res.session_factory, channels=channels_for(res.settings))


def confirmed_pair(client: TestClient) -> int:
    police, cci, officer = login(client, "constable"), login(client, "caseworker"), login(client, "dcpu_patna")
    report = missing_report(id="MP-J-1", name=CHILD_NAME, age=8, sex="F", date="2025-05-01", marks="scar on chin")
    assert client.post("/records", json=report, headers=police).status_code == 201
    child = found_child(id="FC-J-1", name=CHILD_NAME, age=8, sex="F", date="2025-05-20", marks="scar on chin")
    assert client.post("/records", json=child, headers=cci).status_code == 201
    run_match_jobs(client.app.state.resources)  # type: ignore[attr-defined]  # the server's match worker, after the answers
    pair = next(p for p in client.get("/review/queue", headers=officer).json() if p["found_key"] == "found:FC-J-1")
    done = client.post(
        f"/review/pairs/{pair['pk']}/decision", json={"decision": "confirm", "note": "mother identified her"}, headers=officer
    )
    assert done.status_code == 200, done.text
    return pair["pk"]


def test_nodal_officers_hear_of_new_records_at_once_and_email_carries_no_name(client: TestClient, smtp) -> None:  # type: ignore[no-untyped-def]
    _port, mailbox = smtp
    state, officer = login(client, "state_bihar"), login(client, "dcpu_patna")
    assert client.put("/users/dcpu_patna/nodal", json={"nodal": True}, headers=state).status_code == 200
    assert client.put("/users/dcpu_howrah/nodal", json={"nodal": True}, headers=state).status_code == 403  # another state's officer
    assert client.put("/users/dcpu_patna/nodal", json={"nodal": True}, headers=officer).status_code == 403  # not by themselves
    assert client.put("/me/contact", json={"email": "dcpu.patna@example.org"}, headers=officer).status_code == 200
    police = login(client, "constable")
    assert client.post("/records", json=missing_report(id="MP-N-1", name=CHILD_NAME), headers=police).status_code == 201
    assert client.get("/notifications/unread", headers=officer).json() == {"unread": 0}  # in the outbox, not yet delivered
    report = deliver(client)
    assert report.sent == 2 and report.failed == 0  # in-app and email
    assert client.get("/notifications/unread", headers=officer).json() == {"unread": 1}
    inbox = client.get("/notifications", headers=officer).json()
    assert inbox[0]["event"] == "new_missing" and "missing:MP-N-1" in inbox[0]["text"]
    assert len(mailbox.messages) == 1
    recipients, body = mailbox.messages[0]
    assert recipients == ["dcpu.patna@example.org"] and "missing:MP-N-1" in body
    assert "Yadavi" not in body and "Rathore" not in body
    assert all("Yadavi" not in item["text"] for item in inbox)
    client.post("/notifications/read", headers=officer)
    assert client.get("/notifications/unread", headers=officer).json() == {"unread": 0}
    # the outsider's officer (Gaya) heard nothing
    assert client.get("/notifications", headers=login(client, "dcpu_gaya")).json() == []


def test_a_failed_delivery_is_retried_and_every_attempt_kept(client: TestClient, smtp) -> None:  # type: ignore[no-untyped-def]
    _port, mailbox = smtp
    res = client.app.state.resources  # type: ignore[attr-defined]
    officer = login(client, "dcpu_patna")
    client.put("/me/contact", json={"email": "dcpu.patna@example.org"}, headers=officer)
    with res.session_factory() as session:
        from sqlalchemy import select

        from search_api.notifications.models import DeliveryAttemptRow, OutboxRow
        from search_api.users.models import UserRow

        user = session.scalar(select(UserRow).where(UserRow.username == "dcpu_patna"))
        notifications.notify(
            session=session, users=[user], event="overdue", subject_key="pair:1", text="Overdue: pair 1", link="/ui/review/1"
        )
        session.commit()
    dead = {
        "in_app": channels_for(res.settings)["in_app"],
        "email": type(channels_for(res.settings)["email"])(host="127.0.0.1", port=1, sender="x@y"),
    }
    first = notifications.deliver_pending(session_factory=res.session_factory, channels=dead)
    assert first.sent == 1 and first.retried == 1 and "smtp 127.0.0.1:1" in first.errors[0]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    second = notifications.deliver_pending(session_factory=res.session_factory, channels=channels_for(res.settings), now=later)
    assert second.sent == 1 and len(mailbox.messages) == 1
    with res.session_factory() as session:
        email_row = session.scalar(select(OutboxRow).where(OutboxRow.channel == "email"))
        attempts = list(session.scalars(select(DeliveryAttemptRow).where(DeliveryAttemptRow.outbox_pk == email_row.pk)))
        assert email_row.status == "sent" and [a.ok for a in attempts] == [False, True]


def test_restoration_journey_with_escalation_and_permissions(client: TestClient) -> None:
    res = client.app.state.resources  # type: ignore[attr-defined]
    pair_pk = confirmed_pair(client)
    patna, howrah, cwc, cci = (login(client, u) for u in ("dcpu_patna", "dcpu_howrah", "cwc_howrah", "caseworker"))
    cases = client.get("/restoration/cases", headers=patna).json()
    assert len(cases) == 1 and cases[0]["pair_pk"] == pair_pk and cases[0]["status"] == "traced"
    case = cases[0]["pk"]
    # nobody else sees it: another district, the same district name in another state, the state's own officer
    for outsider in ("dcpu_gaya", "dcpu_patna_mh", "state_bihar"):
        headers = login(client, outsider)
        assert client.get("/restoration/cases", headers=headers).json() == []
        assert client.get(f"/restoration/cases/{case}", headers=headers).status_code == 403
    assert client.get(f"/restoration/cases/{case}", headers=login(client, "constable")).status_code == 200  # the reporting station
    detail = client.get(f"/restoration/cases/{case}", headers=cwc).json()
    assert [s["step"] for s in detail["steps"]] == ["cwc_order", "home_verification"] and detail["may_record"] == ["cwc_order"]

    order = {"fields": {"order_type": "restoration", "order_no": "CWC/HWH/2025/114", "order_date": "2025-06-02"}}
    assert client.post(f"/restoration/cases/{case}/steps/cwc_order", json=order, headers=patna).status_code == 403  # a CWC orders
    bad = {"fields": {"order_type": "adoption", "order_no": "1", "order_date": "2025-06-02"}}
    assert client.post(f"/restoration/cases/{case}/steps/cwc_order", json=bad, headers=cwc).status_code == 422
    assert client.post(f"/restoration/cases/{case}/steps/cwc_order", json=order, headers=cwc).status_code == 200
    assert client.post(f"/restoration/cases/{case}/steps/cwc_order", json=order, headers=cwc).status_code == 422  # already recorded
    handover = {"fields": {"date": "2025-06-20", "escorting_unit": "Children Home, Howrah", "receiving_person": "mother",
                           "relation": "mother", "id_document": "Aadhaar seen"}}  # fmt: skip
    assert client.post(f"/restoration/cases/{case}/steps/handover", json=handover, headers=cci).status_code == 422  # verification first
    visit = {"fields": {"report_date": "2025-06-10", "outcome": "favourable"}, "notes": "home visited"}
    assert client.post(f"/restoration/cases/{case}/steps/home_verification", json=visit, headers=howrah).status_code == 403  # family's DCPU
    assert client.post(f"/restoration/cases/{case}/steps/home_verification", json=visit, headers=patna).status_code == 200
    assert client.post(f"/restoration/cases/{case}/steps/handover", json=handover, headers=cci).status_code == 200
    detail = client.get(f"/restoration/cases/{case}", headers=patna).json()
    assert detail["case"]["status"] == "restored"
    due = {s["step"]: s["due_at"][:10] for s in detail["steps"] if s["done_at"] is None}
    assert due == {"followup_1m": "2025-07-20", "followup_3m": "2025-09-18", "followup_6m": "2025-12-17"}

    # the 1-month visit falls due and escalates: the district's nodal officer, then the state's
    state = login(client, "state_bihar")
    client.put("/users/dcpu_patna/nodal", json={"nodal": True}, headers=state)
    client.put("/users/state_bihar/nodal", json={"nodal": True}, headers=state)
    first_due = dt.datetime(2025, 7, 21, 13, tzinfo=dt.UTC)
    with res.session_factory() as session:
        overdue = restoration.list_overdue_for(session=session, settings=res.settings, user=_user(session, "dcpu_patna"), now=first_due)
        assert [i.step for i in overdue] == ["followup_1m"] and overdue[0].subject.startswith("step:")
        assert restoration.escalate(session=session, settings=res.settings, now=first_due).district_level == 1
        assert restoration.escalate(session=session, settings=res.settings, now=first_due).district_level == 0  # once per level
        later = first_due + dt.timedelta(days=res.settings.escalate_after_days)
        assert restoration.escalate(session=session, settings=res.settings, now=later).state_level == 1
        session.commit()
    deliver(client)
    assert [n["event"] for n in client.get("/notifications", headers=patna).json()].count("overdue") == 1
    assert [n["event"] for n in client.get("/notifications", headers=state).json()] == ["overdue"]
    visit_1m = {"fields": {"visit_date": "2025-07-22", "outcome": "settled"}}
    assert client.post(f"/restoration/cases/{case}/steps/followup_1m", json=visit_1m, headers=patna).status_code == 200

    # the audit trail has every move
    audit = client.get("/audit", params={"action": "restoration_step"}, headers=login(client, "registrar")).json()
    assert len(audit) == 4


def test_a_confirmed_match_can_be_reopened_and_nothing_is_deleted(client: TestClient) -> None:
    pair_pk = confirmed_pair(client)
    patna, gaya = login(client, "dcpu_patna"), login(client, "dcpu_gaya")
    case = client.get("/restoration/cases", headers=patna).json()[0]["pk"]
    assert client.post(f"/review/pairs/{pair_pk}/reopen", json={"reason": "DNA test negative"}, headers=gaya).status_code == 403
    empty = client.post(f"/review/pairs/{pair_pk}/reopen", json={"reason": ""}, headers=patna)
    assert empty.status_code == 422  # a reason is required
    reopened = client.post(f"/review/pairs/{pair_pk}/reopen", json={"reason": "DNA test negative"}, headers=patna)
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert body["pair"]["status"] == "pending" and [d["decision"] for d in body["decisions"]] == ["confirm", "reopen"]
    assert client.get("/records/missing/MP-J-1", headers=patna).json()["status"] == "open"
    assert client.get("/records/found/FC-J-1", headers=patna).json()["status"] == "in_care"
    assert client.get(f"/restoration/cases/{case}", headers=patna).json()["case"]["status"] == "suspended"
    order = {"fields": {"order_type": "restoration", "order_no": "1", "order_date": "2025-06-02"}}
    assert client.post(f"/restoration/cases/{case}/steps/cwc_order", json=order, headers=login(client, "cwc_howrah")).status_code == 422
    # confirming again resumes the same case
    again = client.post(f"/review/pairs/{pair_pk}/decision", json={"decision": "confirm", "note": "second test positive"}, headers=patna)
    assert again.status_code == 200
    cases = client.get("/restoration/cases", headers=patna).json()
    assert [c["pk"] for c in cases] == [case] and cases[0]["status"] == "traced"


def _user(session, username: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from search_api.users.models import UserRow

    return session.scalar(select(UserRow).where(UserRow.username == username))
