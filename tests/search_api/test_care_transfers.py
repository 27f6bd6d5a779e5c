"""Transfers of a child in care between CCIs of different districts and states (issue 15): asked
by the sending CCI or its district's CWC, acknowledged by the receiving CCI; the child's CCI
changes only then, every move is audited and the receiving unit is told at once."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from search_api.care import service as care
from search_api.notifications import service as notifications
from search_api.notifications.flows import channels_for
from tests.factories import add_users
from tests.search_api.test_care import PASSWORD, client, login  # noqa: F401  (the fixture)


def _deliver(app_client: TestClient) -> None:
    res = app_client.app.state.resources  # type: ignore[attr-defined]
    notifications.deliver_pending(session_factory=res.session_factory, channels=channels_for(res.settings))


def test_a_transfer_needs_both_units_and_moves_the_child_only_when_acknowledged(client: TestClient) -> None:  # noqa: F811
    res = client.app.state.resources  # type: ignore[attr-defined]
    add_users(res, password=PASSWORD, people=[
        ("patna_home", "cci", "Bihar", "Patna", "Bal Ashram", "BR-CCI-5"),
        ("patna_twin", "cci", "Maharashtra", "Patna", "Bal Ashram", "BR-CCI-5"),  # the same code in another state: not the receiver
        ("cwc_patna", "cwc", "Bihar", "Patna", ""),
        ("dcpu_patna", "dcpu", "Bihar", "Patna", ""),
    ])  # fmt: skip
    with res.session_factory() as session:
        care.set_cci(session=session, code="BR-CCI-5", name="Bal Ashram Patna", state="Bihar", district="Patna", capacity=10)
        session.commit()
    home, other, cwc, receiver = (login(client, u) for u in ("home", "other_home", "cwc_howrah", "patna_home"))
    ask = {"to_code": "BR-CCI-5", "order_no": "CWC/HWH/2026/9"}
    assert client.post("/care/children/FC-C-0/transfers", json=ask, headers=other).status_code == 403  # another CCI
    dcpu = login(client, "dcpu_howrah")
    assert client.post("/care/children/FC-C-0/transfers", json=ask, headers=dcpu).status_code == 403  # the CWC orders, not the DCPU
    assert client.post("/care/children/FC-C-0/transfers", json={"to_code": "WB-CCI-17"}, headers=home).status_code == 422  # its own CCI
    wrong = client.post("/care/children/FC-C-0/transfers", json={**ask, "to_state": "Kerala"}, headers=home)
    assert wrong.status_code == 422 and "to_state" in wrong.json()["detail"]
    unknown = client.post("/care/children/FC-C-0/transfers", json={"to_code": "XX-9"}, headers=home)
    assert unknown.status_code == 422 and "to_state, to_district" in unknown.json()["detail"]
    asked = client.post("/care/children/FC-C-0/transfers", json=ask, headers=home)
    assert asked.status_code == 201, asked.text
    transfer = asked.json()
    assert transfer["status"] == "requested" and (transfer["to_state"], transfer["to_district"]) == ("Bihar", "Patna")
    assert client.post("/care/children/FC-C-0/transfers", json=ask, headers=cwc).status_code == 422  # one open request at a time
    # nothing has moved yet: the child is still on the sending roll, not on the receiving one
    assert "FC-C-0" in [c["found_id"] for c in client.get("/care/ccis/WB-CCI-17/roll", headers=home).json()["children"]]
    roll = client.get("/care/ccis/BR-CCI-5/roll", headers=receiver).json()
    assert roll["children"] == [] and [t["status"] for t in roll["transfers"]] == ["requested"]
    # the receiving unit heard of it at once (ids only)
    _deliver(client)
    inbox = client.get("/notifications", headers=receiver).json()
    assert [n["event"] for n in inbox] == ["transfer_requested"] and "found:FC-C-0" in inbox[0]["text"] and "Child" not in inbox[0]["text"]
    assert [n["event"] for n in client.get("/notifications", headers=login(client, "cwc_patna")).json()] == ["transfer_requested"]
    assert client.get("/notifications", headers=login(client, "patna_twin")).json() == []
    # only the receiving CCI answers: not the sender, not the same code in another state
    answer = f"/care/transfers/{transfer['pk']}/answer"
    for who in ("home", "cwc_howrah", "patna_twin", "cwc_patna"):
        assert client.post(answer, json={"answer": "acknowledge"}, headers=login(client, who)).status_code == 403, who
    assert client.post("/care/transfers/999/answer", json={"answer": "acknowledge"}, headers=receiver).status_code == 404
    done = client.post(answer, json={"answer": "acknowledge", "note": "arrived with escort"}, headers=receiver)
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    assert client.post(answer, json={"answer": "decline"}, headers=receiver).status_code == 422  # answered once
    # now the child is the receiving CCI's: its roll, its care record, the record itself
    moved = client.get("/care/ccis/BR-CCI-5/roll", headers=receiver).json()["children"]
    assert [c["found_id"] for c in moved] == ["FC-C-0"] and moved[0]["since"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert "FC-C-0" not in [c["found_id"] for c in client.get("/care/ccis/WB-CCI-17/roll", headers=home).json()["children"]]
    record = client.get("/records/found/FC-C-0", headers=receiver).json()
    assert record["cci_code"] == "BR-CCI-5" and record["cci_name"] == "Bal Ashram Patna"
    goal = {"domain": "health", "goal": "eye check-up", "start_date": "2026-05-01"}
    assert client.post("/care/children/FC-C-0/goals", json=goal, headers=receiver).status_code == 201
    assert client.post("/care/children/FC-C-0/goals", json=goal, headers=home).status_code == 403  # no longer the sender's
    assert client.post("/care/children/FC-C-0/goals", json=goal, headers=login(client, "dcpu_patna")).status_code == 201  # the new district
    events = client.get("/care/children/FC-C-0", headers=receiver).json()
    assert [e["kind"] for e in events["events"]] == ["transfer"] and events["events"][0]["details"]["to"] == "BR-CCI-5"
    assert [t["status"] for t in events["transfers"]] == ["acknowledged"]
    # audited on both sides, and the sender was told
    assert _transfer_audit(res) == ["care_transfer_request", "care_transfer_acknowledge"]
    _deliver(client)
    assert [n["event"] for n in client.get("/notifications", headers=home).json()] == ["transfer_acknowledged"]


def test_a_declined_transfer_leaves_the_child_where_it_is(client: TestClient) -> None:  # noqa: F811
    res = client.app.state.resources  # type: ignore[attr-defined]
    add_users(res, password=PASSWORD, people=[("patna_home", "cci", "Bihar", "Patna", "Bal Ashram", "BR-CCI-5")])
    asked = client.post("/care/children/FC-C-1/transfers", json={"to_code": "BR-CCI-5", "to_state": "Bihar", "to_district": "Patna"},
                        headers=login(client, "cwc_howrah"))  # fmt: skip
    assert asked.status_code == 201, asked.text
    declined = client.post(f"/care/transfers/{asked.json()['pk']}/answer", json={"answer": "decline", "note": "no place"},
                           headers=login(client, "patna_home"))  # fmt: skip
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert client.get("/records/found/FC-C-1", headers=login(client, "home")).json()["cci_code"] == "WB-CCI-17"
    assert _transfer_audit(res) == ["care_transfer_request", "care_transfer_decline"]


def _transfer_audit(res) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from search_api.audit.models import AuditEntryRow

    with res.session_factory() as session:
        stmt = select(AuditEntryRow.action).where(AuditEntryRow.action.like("care_transfer%")).order_by(AuditEntryRow.seq)
        return list(session.scalars(stmt))


def test_the_cli_asks_and_answers_a_transfer(client: TestClient) -> None:  # noqa: F811
    import subprocess
    import sys
    from pathlib import Path

    res = client.app.state.resources  # type: ignore[attr-defined]
    add_users(res, password=PASSWORD, people=[("patna_home", "cci", "Bihar", "Patna", "Bal Ashram", "BR-CCI-5")])
    env = {"TRACKCHILD_DATA_DIR": str(res.settings.data_dir), "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "search_api.cli", "care", *args], env=env, capture_output=True, text=True, timeout=120)

    refused = cli("transfer", "FC-C-2", "--to", "BR-CCI-5", "--as", "home")
    assert refused.returncode != 0 and "to_state, to_district" in refused.stdout + refused.stderr  # not in the register
    asked = cli("transfer", "FC-C-2", "--to", "BR-CCI-5", "--state", "Bihar", "--district", "Patna", "--as", "home")
    assert asked.returncode == 0 and "transfer 1:" in asked.stdout, asked.stdout + asked.stderr
    assert cli("answer", "1", "acknowledge", "--as", "home").returncode != 0  # the sender cannot acknowledge
    done = cli("answer", "1", "acknowledge", "--as", "patna_home")
    assert done.returncode == 0 and "acknowledged" in done.stdout, done.stdout + done.stderr
    assert client.get("/records/found/FC-C-2", headers=login(client, "patna_home")).json()["cci_code"] == "BR-CCI-5"
