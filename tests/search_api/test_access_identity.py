"""Issue 11, access control: units by identity, districts with their state, sending pairs for
review, the queue's limits and audit, and search outside the jurisdiction (each test fails
on the code before the fix)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from search_api.app import create_app
from search_api.audit.models import AuditEntryRow
from search_api.cli import app as cli_app
from search_api.config import Settings
from search_api.review import service as review
from search_api.review.models import DuplicateFlagRow, ReviewPairRow
from search_api.users.models import UserRow
from search_api.users.schemas import UserCreate
from tests.factories import add_users, found_child, missing_report

PASSWORD = "identity password 2026"
REASON = "same scar, says the CWC"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"role": "dcpu", "district": "Aurangabad"}, "state"),
        ({"role": "cwc", "state": "Bihar"}, "district"),
        ({"role": "state"}, "state"),
        ({"role": "police", "state": "Bihar", "district": "Patna", "unit": "Kotwali"}, "unit_code"),
        ({"role": "cci", "state": "Bihar", "district": "Gaya", "unit": "Bal Ashram"}, "unit_code"),
    ],
)
def test_accounts_need_their_state_district_and_unit_code(fields: dict, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        UserCreate(username="someone", password=PASSWORD, **fields)


def test_accounts_with_their_identity_are_accepted() -> None:
    UserCreate(username="kotwali", role="police", state="Bihar", district="Patna", unit="Kotwali", unit_code="10101001", password=PASSWORD)
    UserCreate(username="boss", role="central", password=PASSWORD)


def test_cli_user_add_needs_the_identity_and_stores_the_unit_code(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKCHILD_NEW_USER_PASSWORD", PASSWORD)
    runner = CliRunner()
    refused = runner.invoke(cli_app, ["user", "add", "kotwali", "--role", "police", "--state", "Bihar", "--district", "Patna"])
    assert refused.exit_code != 0 and "unit_code" in refused.output
    no_state = runner.invoke(cli_app, ["user", "add", "aurangabad", "--role", "dcpu", "--district", "Aurangabad"])
    assert no_state.exit_code != 0 and "state" in no_state.output
    args = ["user", "add", "kotwali", "--role", "police", "--state", "Bihar", "--district", "Patna", "--unit", "Kotwali"]
    added = runner.invoke(cli_app, [*args, "--unit-code", "10101001"])
    assert added.exit_code == 0, added.output
    with TestClient(create_app(settings)) as client:
        token = client.post("/auth/token", data={"username": "kotwali", "password": PASSWORD}).json()["access_token"]
        me = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["unit_code"] == "10101001" and me["state"] == "Bihar"


def test_outsider_query_plan_matches_and_names_the_childs_own_names_only() -> None:
    from indexer import build_query_plan
    from indexer.search.query import explain_hit

    evidence = {"name": ["sunita", "kumari"], "father_name": ["ramesh"], "marks": ["burn mark on right hand"]}
    full = build_query_plan("ramesh burn sunita")
    assert {m.field for m in explain_hit(full, evidence)} == {"name", "father_name", "marks"}
    names = build_query_plan("ramesh burn sunita", fields="names")
    assert {c.field for g in names.groups for c in g.clauses} <= {"name_tokens", "name_keys", "name_prefixes"}
    assert {m.field for m in explain_hit(names, evidence)} == {"name"}
    assert build_query_plan("scar on chin", fields="names").groups  # still name words, never description clauses


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        res = test_client.app.state.resources
        people = [
            ("kotwali_patna", "police", "Bihar", "Patna", "Kotwali", "BR-PAT-01"),
            ("kotwali_lucknow", "police", "Uttar Pradesh", "Lucknow", "Kotwali", "UP-LKO-01"),
            ("gandhi_maidan", "police", "Bihar", "Patna", "Gandhi Maidan", "BR-PAT-02"),
            ("ashram_gaya", "cci", "Bihar", "Gaya", "Bal Ashram", "CCI/BR/9"),
            ("dcpu_patna", "dcpu", "Bihar", "Patna", ""),
            ("dcpu_aurangabad_br", "dcpu", "Bihar", "Aurangabad", ""),
            ("jjb_patna", "jjb", "Bihar", "Patna", ""),
            ("admin", "admin", "", "", ""),
        ]
        add_users(res, password=PASSWORD, people=people)
        yield test_client


def auth(client: TestClient, username: str) -> dict[str, str]:
    token = client.post("/auth/token", data={"username": username, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


PATNA = {"city": "Patna", "district": "Patna", "state": "Bihar"}
LUCKNOW = {"city": "Lucknow", "district": "Lucknow", "state": "Uttar Pradesh"}
PUNE = {"city": "Pune", "district": "Pune", "state": "Maharashtra"}


def test_units_are_compared_by_code_not_by_name(client: TestClient) -> None:
    """Issue 11 item 5: a "Kotwali" of Patna edited a "Kotwali" report of Lucknow."""
    lucknow, patna, admin = auth(client, "kotwali_lucknow"), auth(client, "kotwali_patna"), auth(client, "admin")
    report = missing_report(id="MP-LKO-1", name="Asha Verma", place=LUCKNOW, police_station="Kotwali")
    created = client.post("/records", json=report, headers=lucknow)
    assert created.status_code == 201 and created.json()["record"]["police_station_code"] == "UP-LKO-01"  # the code comes from the user
    assert client.put("/records/missing/MP-LKO-1", json=report | {"reported_by": {"phone": "9999999999"}}, headers=patna).status_code == 403
    assert client.get("/records/missing/MP-LKO-1", headers=patna).json()["access"] == "limited"
    assert client.post("/records", json=report | {"id": "MP-LKO-2", "police_station_code": "UP-LKO-01"}, headers=patna).status_code == 403
    # a re-submission without the code keeps the stored one (by the owner, or by an admin)
    assert client.put("/records/missing/MP-LKO-1", json=report | {"age": 10}, headers=admin).status_code == 200
    assert client.get("/records/missing/MP-LKO-1", headers=admin).json()["police_station_code"] == "UP-LKO-01"
    assert client.put("/records/missing/MP-LKO-1", json=report | {"age": 11}, headers=lucknow).status_code == 200
    # a "Bal Ashram" of Gaya does not read or edit a "Bal Ashram" child of Pune
    pune_child = found_child(id="FC-PUNE-1", name="Meena", place=PUNE, cci_name="Bal Ashram", cci_code="CCI/MH/3")
    assert client.post("/records", json=pune_child, headers=admin).status_code == 201
    gaya = auth(client, "ashram_gaya")
    assert client.get("/records/found/FC-PUNE-1", headers=gaya).json()["access"] == "limited"
    assert client.put("/records/found/FC-PUNE-1", json=pune_child, headers=gaya).status_code == 403


def test_police_and_cci_do_not_close_cases_themselves(client: TestClient) -> None:
    police, cci, admin = auth(client, "kotwali_patna"), auth(client, "ashram_gaya"), auth(client, "admin")
    report = missing_report(id="MP-CL-1", place=PATNA)
    assert client.post("/records", json=report, headers=police).status_code == 201
    for status in ("traced", "closed"):
        assert client.put("/records/missing/MP-CL-1", json=report | {"status": status}, headers=police).status_code == 403
    assert client.post("/records", json=missing_report(id="MP-CL-2", place=PATNA, status="traced"), headers=police).status_code == 403
    child = found_child(id="FC-CL-1", place={"district": "Gaya", "state": "Bihar"})
    assert client.post("/records", json=child, headers=cci).status_code == 201
    assert client.put("/records/found/FC-CL-1", json=child | {"status": "restored"}, headers=cci).status_code == 403
    assert client.put("/records/found/FC-CL-1", json=child | {"status": "transferred"}, headers=cci).status_code == 200
    assert client.put("/records/missing/MP-CL-1", json=report | {"status": "traced"}, headers=admin).status_code == 200
    # once closed by someone who may, the owner may still re-submit it unchanged
    assert client.put("/records/missing/MP-CL-1", json=report | {"status": "traced", "age": 10}, headers=police).status_code == 200


def test_records_from_before_unit_codes_belong_to_no_unit(client: TestClient) -> None:
    res = client.app.state.resources
    legacy = missing_report(id="MP-OLD-1", place=PATNA, police_station="Kotwali")  # no code: an older import
    assert res.ingestor().ingest_records([legacy]).ok
    police, admin = auth(client, "kotwali_patna"), auth(client, "admin")
    assert client.put("/records/missing/MP-OLD-1", json=legacy, headers=police).status_code == 403
    assert client.put("/records/missing/MP-OLD-1", json=legacy | {"police_station_code": "BR-PAT-01"}, headers=admin).status_code == 200
    assert client.put("/records/missing/MP-OLD-1", json=legacy, headers=police).status_code == 200


def test_a_district_is_its_state_and_district(client: TestClient) -> None:
    """Issue 11 item 6: Aurangabad (Bihar) must not see Aurangabad (Maharashtra)."""
    res, admin = client.app.state.resources, auth(client, "admin")
    maharashtra = {"district": "Aurangabad", "state": "Maharashtra"}
    for body in (missing_report(id="MP-AUR-MH", name="Kavita Jadhav", place=maharashtra, police_station_code="MH-1"),
                 found_child(id="FC-AUR-MH", name="Kavita", place=maharashtra, cci_code="CCI/MH/1")):  # fmt: skip
        assert client.post("/records", json=body, headers=admin).status_code == 201
    with res.session_factory() as session:
        review.enqueue(session=session, missing_key="missing:MP-AUR-MH", found_key="found:FC-AUR-MH", score=0.9,
                       explanation={"features": {}}, evidence="e", missing_district="Aurangabad", found_district="Aurangabad",
                       missing_state="Maharashtra", found_state="Maharashtra")  # fmt: skip
        session.add(DuplicateFlagRow(kind="missing", key_a="missing:MP-AUR-MH", key_b="missing:MP-AUR-MH2", score=0.8, status="pending",
                                     evidence_hash="e", district_a="Aurangabad", district_b="Aurangabad", state_a="Maharashtra",
                                     state_b="Maharashtra", explanation={"features": {}}))  # fmt: skip
        session.commit()
    bihar = auth(client, "dcpu_aurangabad_br")
    assert client.get("/review/queue", headers=bihar).json() == []
    assert client.get("/records/missing/MP-AUR-MH", headers=bihar).json()["access"] == "limited"
    assert client.get("/review/queue", params={"district": "Aurangabad"}, headers=bihar).json() == []
    assert client.get("/review/duplicates", headers=bihar).json() == []
    assert "missing:MP-AUR-MH" in [p["missing_key"] for p in client.get("/review/queue", headers=admin).json()]
    assert len(client.get("/review/duplicates", headers=admin).json()) == 1
    # an account of a district role without a state (from before states were required) covers nothing
    with res.session_factory() as session:
        user = session.scalar(select(UserRow).where(UserRow.username == "dcpu_aurangabad_br"))
        user.state = ""  # type: ignore[union-attr]
        session.commit()
    assert client.get("/records/missing/MP-AUR-MH", headers=bihar).json()["access"] == "limited"
    assert client.get("/review/queue", headers=bihar).json() == []


def _audit(client: TestClient, action: str) -> list[AuditEntryRow]:
    with client.app.state.resources.session_factory() as session:
        return list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == action).order_by(AuditEntryRow.seq)))


def _pairs(client: TestClient) -> int:
    with client.app.state.resources.session_factory() as session:
        return len(list(session.scalars(select(ReviewPairRow))))


def test_sending_for_review_needs_a_proposed_pair_or_an_audited_override(client: TestClient) -> None:
    """Issue 11 item 1: any police user could pair its own record with any child in the
    country and then open that child's full record through the pair."""
    police, dcpu, jjb, admin = (auth(client, u) for u in ("kotwali_patna", "dcpu_patna", "jjb_patna", "admin"))
    own = missing_report(id="MP-SR-1", name="Pooja Kumari", sex="F", age=9, place=PATNA)
    assert client.post("/records", json=own, headers=police).status_code == 201
    alike = found_child(id="FC-SR-1", name="Pooja", sex="F", age=10, place=LUCKNOW, cci_code="CCI/UP/1")
    stranger = found_child(id="FC-SR-2", name="Arjun Yadav", sex="M", age=15, place=PUNE, cci_code="CCI/MH/2",
                           father_name="Ravi Yadav", description="tall, speaks Marathi")  # fmt: skip
    for body in (alike, stranger):
        assert client.post("/records", json=body, headers=admin).status_code == 201
    candidates = [c["key"] for c in client.get("/records/missing/MP-SR-1/candidates", headers=police).json()]
    assert "found:FC-SR-1" in candidates and "found:FC-SR-2" not in candidates
    before = _pairs(client)
    # the stranger: refused to police (with or without a reason), to a reviewer without a reason, to a JJB at all
    for headers, body in ((police, {}), (police, {"reason": "I want to"}), (dcpu, {}), (jjb, {"reason": "x"})):
        sent = client.post("/records/missing/MP-SR-1/review", json={"other_key": "found:FC-SR-2", **body}, headers=headers)
        assert sent.status_code == 403, sent.text
    nowhere = client.post("/records/missing/MP-SR-1/review", json={"other_key": "found:NOPE"}, headers=police)
    assert nowhere.status_code == 404
    # another station of the same district does not send this station's pairs, proposed or not
    neighbour = auth(client, "gandhi_maidan")
    assert client.post("/records/missing/MP-SR-1/review", json={"other_key": "found:FC-SR-1"}, headers=neighbour).status_code == 403
    assert _pairs(client) == before  # no junk pair was made
    # the proposed candidate: sent by the owner, audited, the other side limited to the sender
    sent = client.post("/records/missing/MP-SR-1/review", json={"other_key": "found:FC-SR-1"}, headers=police)
    assert sent.status_code == 201, sent.text
    pair = sent.json()
    assert pair["found"]["access"] == "limited" and "name" not in pair["found"] and pair["missing"]["access"] == "full"
    assert not [f for f, row in pair["explanation"]["features"].items() if {"missing", "found", "detail"} & set(row)]
    entry = _audit(client, "review_send")[-1]
    assert entry.username == "kotwali_patna" and entry.detail["proposed"] is True and f"pair:{pair['pk']}" in entry.targets
    # a reviewer of the district overrides with a reason: allowed, and the reason is in the audit trail
    override = client.post("/records/missing/MP-SR-1/review", json={"other_key": "found:FC-SR-2", "reason": REASON}, headers=dcpu)
    assert override.status_code == 201, override.text
    entry = _audit(client, "review_send")[-1]
    assert entry.username == "dcpu_patna" and entry.detail == {"proposed": False, "score": entry.detail["score"], "override_reason": REASON}


def test_listing_the_queue_is_audited_and_limited_per_side(client: TestClient) -> None:
    """Issue 11 item 7."""
    police, dcpu, admin = auth(client, "kotwali_patna"), auth(client, "dcpu_patna"), auth(client, "admin")
    own = missing_report(id="MP-Q-1", name="Rani Kumari", sex="F", age=8, place=PATNA, father_name="Mohan Kumar", marks="mole on chin")
    assert client.post("/records", json=own, headers=police).status_code == 201
    other = found_child(id="FC-Q-1", name="Rani Devi", sex="F", age=8, place=PUNE, cci_code="CCI/MH/9", father_name="Mohan Kumar",
                        mother_name="Sita Devi", marks="mole on chin")  # fmt: skip
    assert client.post("/records", json=other, headers=admin).status_code == 201
    assert client.post("/records/missing/MP-Q-1/review", json={"other_key": "found:FC-Q-1"}, headers=police).status_code == 201
    before = len(_audit(client, "review_list"))
    queue = client.get("/review/queue", headers=dcpu).json()
    assert len(_audit(client, "review_list")) == before + 1
    item = next(p for p in queue if p["found_key"] == "found:FC-Q-1")
    assert item["missing"]["name"] == "Rani Kumari"  # Patna: the DCPU's own side, in full
    assert item["found"]["access"] == "limited" and not {"name", "father_name", "mother_name", "marks"} & set(item["found"])
    assert "Devi" not in str(item) and "Sita" not in str(item)
    full = next(p for p in client.get("/review/queue", headers=admin).json() if p["found_key"] == "found:FC-Q-1")
    assert full["found"]["name"] == "Rani Devi" and full["access"] == "full"


def test_search_outside_the_jurisdiction_is_no_oracle_for_hidden_fields(client: TestClient) -> None:
    """Issue 11 item 8: an outsider's search for a word of a hidden field found the record and named the field."""
    admin, police = auth(client, "admin"), auth(client, "kotwali_patna")
    lucknow_child = found_child(id="FC-OR-1", name="Lata", place=LUCKNOW, cci_code="CCI/UP/4", father_name="Bhuvanesh Tiwari",
                                marks="tattoo of a peacock", clothing="green kurta", description="stammers when afraid")  # fmt: skip
    assert client.post("/records", json=lucknow_child, headers=admin).status_code == 201
    for word in ("Bhuvanesh", "peacock", "kurta", "stammers", "tattoo peacock"):
        hits = client.get("/search", params={"q": word}, headers=police).json()
        assert "FC-OR-1" not in [h["id"] for h in hits], word
        assert client.get("/search", params={"q": word}, headers=admin).json()[0]["id"] == "FC-OR-1", word  # inside: still found
    by_name = [h for h in client.get("/search", params={"q": "Lata"}, headers=police).json() if h["id"] == "FC-OR-1"]
    assert by_name and by_name[0]["matched_fields"] == ["name"] and by_name[0]["access"] == "limited"


def test_search_date_filters_do_not_confirm_an_outsiders_hidden_date(client: TestClient) -> None:
    """Issue 11: a date window narrowed around an outsider's record listed it only while the window
    held its date, which the limited view hides; outside the jurisdiction the window is not applied."""
    admin, police = auth(client, "admin"), auth(client, "kotwali_patna")
    lucknow = missing_report(id="MP-DT-LKO", name="Kavita Yadav", place=LUCKNOW, date="2026-03-14", police_station_code="UP-LKO-01")
    patna = missing_report(id="MP-DT-PAT", name="Kavita Singh", place=PATNA, date="2026-03-14", police_station_code="BR-PAT-01")
    for report in (lucknow, patna):
        assert client.post("/records", json=report, headers=admin).status_code == 201

    def hits(who: dict, q: str = "Kavita", **params: str) -> dict[str, dict]:
        answer = client.get("/search", params={"q": q, **params}, headers=who)
        assert answer.status_code == 200, answer.text
        return {h["id"]: h for h in answer.json()}

    around = {"date_from": "2026-03-14", "date_to": "2026-03-14"}
    windows = [{"date_from": "2026-03-15"}, {"date_to": "2026-03-13"}, {"date_from": "2020-01-01", "date_to": "2020-01-31"}, around]
    for window in windows:
        seen = hits(police, **window)
        assert "MP-DT-LKO" in seen, window  # listed whatever the window: its presence says nothing of its date
        assert seen["MP-DT-LKO"]["access"] == "limited" and "date" not in seen["MP-DT-LKO"]["record"]
        assert seen["MP-DT-LKO"]["filters_not_applied"] == sorted(window)
        assert ("MP-DT-PAT" in seen) == (window is around), window  # the own district: filtered as asked
        assert seen.get("MP-DT-PAT", {}).get("filters_not_applied", []) == []
        # a listing without words (filters only) is no oracle either
        listed = hits(police, q="", state="Uttar Pradesh", **window)
        assert "MP-DT-LKO" in listed, window
    # without a date filter nothing is said; a national user's search filters everything by date
    assert hits(police)["MP-DT-LKO"]["filters_not_applied"] == []
    assert "MP-DT-LKO" not in hits(admin, date_from="2026-03-15") and "MP-DT-LKO" in hits(admin, **around)
    said = [e.detail["not_applied_outside"] for e in _audit(client, "search") if e.username == "kotwali_patna"]
    assert ["date_from", "date_to"] in said and [] in said  # the audit says when a filter was not applied outside


def test_cli_export_follows_state_and_district(settings: Settings, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The CLI's role-limited entry point (``export --as``) compares (state, district) pairs too."""
    from search_api.db import create_service_schema
    from search_api.resources import open_resources

    bihar, maharashtra = {"district": "Aurangabad", "state": "Bihar"}, {"district": "Aurangabad", "state": "Maharashtra"}
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        records = [
            missing_report(id="MP-BR", place=bihar),
            missing_report(id="MP-MH", place=maharashtra),
            found_child(id="FC-MH", place=maharashtra),
        ]
        assert res.ingestor().ingest_records(records).ok
        people = [
            ("dcpu_br", "dcpu", "Bihar", "Aurangabad", ""),
            ("state_mh", "state", "Maharashtra", "", ""),
            ("root", "admin", "", "", ""),
        ]
        add_users(res, password=PASSWORD, people=people)
    runner = CliRunner()
    exported = {}
    for user in ("dcpu_br", "state_mh", "root"):
        out_file = tmp_path / f"{user}.jsonl"
        result = runner.invoke(cli_app, ["export", "--as", user, "--out", str(out_file)])
        assert result.exit_code == 0, result.output
        exported[user] = sorted(json.loads(line)["id"] for line in out_file.read_text().splitlines())
    assert exported == {"dcpu_br": ["MP-BR"], "state_mh": ["FC-MH", "MP-MH"], "root": ["FC-MH", "MP-BR", "MP-MH"]}
