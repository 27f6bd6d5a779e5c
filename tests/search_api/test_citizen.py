"""The citizen corner (issue 16, part 4) on a real app (SQLite, tantivy, the face pipeline):
public reports without login under abuse control (store-backed rate limits, a hashcash proof of
work, a moderation delay without it), moderation by the district's DCPU into a record that is
matched like any other, and public notices on recorded consent, withdrawn when the child is traced."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from indexer import get_record
from search_api.audit.models import AuditEntryRow
from search_api.citizen import proof
from search_api.citizen.models import CitizenReportRow, PublicNoticeRow
from search_api.config import Settings
from search_api.records.models import MatchJobRow
from tests.factories import add_users, found_child, missing_report, run_match_jobs
from ui.app import create_web_app

PASSWORD = "a long enough password"
FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
BITS = 8  # a quick proof for tests; the default asks for 18


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Iterator[TestClient]:
    """The app on SQLite and on PostgreSQL (the rate limits' upsert, the JSON columns, the queue's queries)."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("TRACKCHILD_DATA_DIR", str(data_dir))
    settings = Settings(data_dir=data_dir, database_url=store_url, citizen_pow_bits=BITS, citizen_reports_per_hour=50,
                        notify_interval_seconds=0)  # fmt: skip
    with TestClient(create_web_app(settings)) as test_client:
        res = test_client.app.state.resources
        add_users(res, password=PASSWORD, people=[
            ("dcpu_patna", "dcpu", "Bihar", "Patna", ""),
            ("police_patna", "police", "Bihar", "Patna", "Kotwali PS", "BR-PAT-001"),
            ("dcpu_gaya", "dcpu", "Bihar", "Gaya", ""),
            ("dcpu_patna_mh", "dcpu", "Maharashtra", "Patna", ""),  # a namesake elsewhere: no key to Bihar's Patna
            ("cwc_patna", "cwc", "Bihar", "Patna", ""),
            ("registrar", "admin", "", "", ""),
        ])  # fmt: skip
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    answer = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def solved(client: TestClient) -> dict[str, str]:
    got = client.get("/public/challenge").json()
    assert got["bits"] == BITS
    return {"pow_challenge": got["challenge"], "pow_nonce": proof.solve(got["challenge"])}


MISSING = {"kind": "missing", "state": "Bihar", "district": "Patna", "place": "Gandhi Maidan", "seen_on": "31/31/2025",
           "child_name": "Rahul Kumar", "age": "about 9", "sex": "M", "description": "blue shirt, a scar on the chin",
           "reporter_name": "Suresh Kumar", "reporter_phone": "9800000001", "reporter_relation": "father"}  # fmt: skip


def file_report(client: TestClient, values: dict, *, photo: bytes | None = None, pow_: dict | None = None):  # type: ignore[no-untyped-def]
    files = {"photo": ("child.jpg", photo, "image/jpeg")} if photo else None
    return client.post("/public/reports", data={**values, **(pow_ if pow_ is not None else solved(client))}, files=files)


def report_row(client: TestClient, reference: str) -> CitizenReportRow:
    with client.app.state.resources.session_factory() as session:  # type: ignore[attr-defined]
        row = session.scalar(select(CitizenReportRow).where(CitizenReportRow.reference == reference))
        session.expunge_all()
        return row


def test_accepted_report_becomes_a_record_that_is_matched(client: TestClient) -> None:
    res = client.app.state.resources  # type: ignore[attr-defined]
    assert res.ingestor().ingest_records([found_child(id="FC-PATNA-1", name="Rahul", sex="M", age=10, cci_code="CCI/BR/9",
                                                      place={"district": "Patna", "state": "Bihar"}, marks="scar on chin")]).ok  # fmt: skip
    face = (FACES / "obama_4.jpg").read_bytes()
    filed = file_report(client, MISSING, photo=face)
    assert filed.status_code == 201, filed.text
    receipt = filed.json()
    assert receipt["held_until"] is None and "set-cookie" not in filed.headers  # no cookie for the public
    assert filed.headers["x-robots-tag"] == "noindex, nofollow"
    cross_site = client.post("/public/reports", data={**MISSING, **solved(client)}, headers={"Origin": "https://elsewhere.example"})
    assert cross_site.status_code == 403  # another site's page posting through a visitor's browser
    reference = receipt["reference"]
    with res.session_factory() as session:  # the district's DCPU hears of it (ids and place only)
        from search_api.notifications.models import OutboxRow

        told = list(session.scalars(select(OutboxRow).where(OutboxRow.event == "citizen_report")))
        assert len(told) == 1 and reference in told[0].text and "Rahul" not in told[0].text
    dcpu, police, gaya, twin = (login(client, u) for u in ("dcpu_patna", "police_patna", "dcpu_gaya", "dcpu_patna_mh"))
    queue = client.get("/citizen/reports", headers=dcpu).json()
    assert [r["reference"] for r in queue] == [reference]
    report_pk = queue[0]["pk"]
    assert [r["reference"] for r in client.get("/citizen/reports", headers=police).json()] == [reference]  # police read
    for other in (gaya, twin):  # another district, and Patna of another state: nothing
        assert client.get("/citizen/reports", headers=other).json() == []
        assert client.get(f"/citizen/reports/{report_pk}", headers=other).status_code == 403
    assert client.get(f"/citizen/reports/{report_pk}/photo", headers=police).headers["content-type"] == "image/jpeg"
    # police read; only the DCPU of the district moderates
    assert client.post(f"/citizen/reports/{report_pk}/accept", json={}, headers=police).status_code == 403
    assert client.post(f"/citizen/reports/{report_pk}/accept", json={}, headers=twin).status_code == 403
    accepted = client.post(f"/citizen/reports/{report_pk}/accept", json={"unit_name": "Kotwali PS", "unit_code": "BR-PAT-001"},
                           headers=dcpu)  # fmt: skip
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    key = f"missing:CIT-{reference}"
    assert body["record_key"] == key and body["report"]["status"] == "accepted"
    # through the ingest's tidy path: an impossible date is cleared, the warning kept on the report
    assert any(w["field"] == "date" for w in body["warnings"]), body["warnings"]
    assert any(w["field"] == "date" for w in report_row(client, reference).warnings)
    # matched after the answer, by its match job: nothing queued yet, then the job finds the seen child
    assert body["matching"] == "queued" and body["match_job"] and body["candidates"] == [] and body["queued_for_review"] is None
    assert run_match_jobs(res).done == 1
    with res.session_factory() as session:
        job = session.get(MatchJobRow, body["match_job"])
        assert job is not None and job.status == "done" and job.record_key == key
    with res.session_factory() as session:
        stored = get_record(session=session, kind="missing", record_id=f"CIT-{reference}")
        assert stored is not None and stored.record.age == 9 and stored.record.age_is_estimate and len(stored.record.photos) == 1
        assert stored.record.reported_by.phone == "9800000001" and stored.record.police_station_code == "BR-PAT-001"
        actions = [a for (a,) in session.execute(select(AuditEntryRow.action).order_by(AuditEntryRow.seq))]
        assert {"citizen_report", "citizen_list", "citizen_accept"} <= set(actions)
    # matched like any other record: searchable, and the candidate shows on its candidates route
    cands = client.get(f"/records/missing/CIT-{reference}/candidates", headers=dcpu).json()
    assert cands[0]["key"] == "found:FC-PATNA-1"
    hits = client.get("/search", params={"q": "Rahul", "kind": "missing"}, headers=dcpu).json()
    assert f"CIT-{reference}" in [h["id"] for h in hits]
    # decided once
    assert client.post(f"/citizen/reports/{report_pk}/accept", json={}, headers=dcpu).status_code == 422


def test_rejected_report_is_kept_with_its_reason(client: TestClient) -> None:
    seen = {"kind": "seen", "state": "Bihar", "district": "Patna", "place": "Patna Junction, platform 2", "age": "7",
            "description": "a girl alone, crying, red frock"}  # fmt: skip
    reference = file_report(client, seen).json()["reference"]
    dcpu = login(client, "dcpu_patna")
    pk = client.get("/citizen/reports", headers=dcpu).json()[0]["pk"]
    assert client.post(f"/citizen/reports/{pk}/reject", json={"reason": ""}, headers=dcpu).status_code == 422
    assert client.post(f"/citizen/reports/{pk}/reject", json={"reason": "x"}, headers=login(client, "police_patna")).status_code == 403
    rejected = client.post(f"/citizen/reports/{pk}/reject", json={"reason": "Childline reached her: she is with her mother"}, headers=dcpu)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    row = report_row(client, reference)
    assert row.status == "rejected" and row.reason.startswith("Childline") and row.decided_by == "dcpu_patna" and row.record_key == ""
    assert client.get("/citizen/reports", headers=dcpu).json() == []
    assert [r["reference"] for r in client.get("/citizen/reports", params={"status": "rejected"}, headers=dcpu).json()] == [reference]
    with client.app.state.resources.session_factory() as session:  # type: ignore[attr-defined]
        assert session.scalar(select(AuditEntryRow.detail).where(AuditEntryRow.action == "citizen_reject"))["reason"].startswith(
            "Childline"
        )


def test_form_checks_name_the_field(client: TestClient) -> None:
    cases = [({**MISSING, "district": "Gotham"}, "district"), ({**MISSING, "state": "Atlantis"}, "state"),
             ({**MISSING, "reporter_phone": ""}, "reporter_phone"), ({**MISSING, "child_name": ""}, "child_name"),
             ({"kind": "seen", "state": "Bihar", "district": "Patna"}, "description")]  # fmt: skip
    for values, field in cases:
        answer = file_report(client, values)
        assert answer.status_code == 422 and answer.json()["detail"].startswith(f"{field}:"), (field, answer.text)
    # a file that is no image is refused as a record's photo would be
    answer = file_report(client, MISSING, photo=b"%PDF-1.4 not a photo")
    assert answer.status_code == 415, answer.text


def test_rate_limit_per_address(client: TestClient) -> None:
    # four an hour from one address (this test's setting); the fifth is refused with Retry-After
    client.app.state.resources.settings.citizen_reports_per_hour = 4  # type: ignore[attr-defined]
    for _ in range(4):
        assert file_report(client, {**MISSING, "child_name": "Asha"}).status_code in (201, 422)
    refused = file_report(client, MISSING)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    with client.app.state.resources.session_factory() as session:  # type: ignore[attr-defined]
        assert len(list(session.scalars(select(CitizenReportRow)))) == 4


def test_proof_of_work_refusals_and_the_delay_without_it(client: TestClient) -> None:
    good = solved(client)
    wrong = {**good, "pow_nonce": next(str(n) for n in range(10_000) if not _ok(good["pow_challenge"], str(n)))}
    assert file_report(client, MISSING, pow_=wrong).status_code == 400
    parts = good["pow_challenge"].split(".")
    easier = ".".join([parts[0], parts[1], "1", parts[3], parts[4]])  # asks for 1 bit, but its signature no longer fits
    assert file_report(client, MISSING, pow_={"pow_challenge": easier, "pow_nonce": proof.solve(easier)}).status_code == 400
    assert file_report(client, MISSING, pow_=good).status_code == 201
    replay = file_report(client, MISSING, pow_=good)
    assert replay.status_code == 400 and "used already" in replay.json()["detail"]
    # no proof at all (a browser without JavaScript): taken, but held back before moderation
    held = file_report(client, {**MISSING, "child_name": "Meena"}, pow_={})
    assert held.status_code == 201 and held.json()["held_until"] is not None
    dcpu = login(client, "dcpu_patna")
    assert [r["child_name"] for r in client.get("/citizen/reports", headers=dcpu).json()] == ["Rahul Kumar"]
    row = report_row(client, held.json()["reference"])
    assert row.proof == "delay"
    assert client.post(f"/citizen/reports/{row.pk}/accept", json={}, headers=dcpu).status_code == 422


def _ok(challenge: str, nonce: str) -> bool:
    return proof.leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) >= BITS


def test_proof_checks() -> None:
    secret = b"k" * 32
    challenge = proof.issue(secret, 6, now=1_000_000)
    nonce = proof.solve(challenge)
    assert proof.verify(secret, challenge, nonce, min_bits=6, max_age_seconds=60, now=1_000_030)
    with pytest.raises(proof.ProofRefused, match="too old"):
        proof.verify(secret, challenge, nonce, min_bits=6, max_age_seconds=60, now=1_000_061)
    with pytest.raises(proof.ProofRefused, match="easier"):
        proof.verify(secret, challenge, nonce, min_bits=7, max_age_seconds=60, now=1_000_001)
    with pytest.raises(proof.ProofRefused, match="not issued here"):
        proof.verify(b"x" * 32, challenge, nonce, min_bits=6, max_age_seconds=60, now=1_000_001)
    assert proof.leading_zero_bits(bytes([0, 0x1F])) == 11 and proof.leading_zero_bits(bytes([0x80])) == 0


NOTICE_FIELDS = {"public_id", "first_name", "age", "district", "photo_url"}


def _publish(client: TestClient, auth: dict, record_id: str):  # type: ignore[no-untyped-def]
    body = {
        "record_id": record_id,
        "guardian_name": "Sunita Devi",
        "guardian_relation": "mother",
        "consent_how": "signed form at Kotwali PS",
    }
    return client.post("/citizen/notices", json=body, headers=auth)


def test_notice_only_with_consent_and_withdrawn_when_traced(client: TestClient) -> None:
    res = client.app.state.resources  # type: ignore[attr-defined]
    photo = res.photo_store.put_bytes((FACES / "obama_5.jpg").read_bytes(), suffix=".jpg").relpath
    child = missing_report(id="MP-NOTICE-1", name="Pooja Kumari", age=8, sex="F", photos=[photo], police_station_code="BR-PAT-001",
                           place={"city": "Patna", "district": "Patna", "state": "Bihar", "address": "House 12, Ward 4"},
                           reported_by={"name": "Sunita Devi", "phone": "9811111111", "relation": "mother"},
                           mother_name="Sunita Devi", description="very shy")  # fmt: skip
    assert res.ingestor().ingest_records([child, found_child(id="FC-POOJA", name="Pooja", sex="F", age=9,
                                          place={"district": "Patna", "state": "Bihar"})]).ok  # fmt: skip
    assert client.get("/public/notices").json() == []  # no consent, no notice
    police, gaya, cwc = login(client, "police_patna"), login(client, "dcpu_gaya"), login(client, "cwc_patna")
    assert _publish(client, gaya, "MP-NOTICE-1").status_code == 403
    assert _publish(client, cwc, "MP-NOTICE-1").status_code == 403
    published = _publish(client, police, "MP-NOTICE-1")
    assert published.status_code == 201, published.text
    assert published.json()["consent_by"] == "police_patna" and published.json()["consent_at"]
    assert _publish(client, police, "MP-NOTICE-1").status_code == 422  # one notice at a time
    shown = client.get("/public/notices")
    assert shown.headers["x-robots-tag"] == "noindex, nofollow" and "set-cookie" not in shown.headers
    [notice] = shown.json()
    assert set(notice) == NOTICE_FIELDS and notice["first_name"] == "Pooja" and notice["age"] == 8 and notice["district"] == "Patna"
    for private in ("Kumari", "Sunita", "9811111111", "Ward 4", "shy", "MP-NOTICE-1", "Bihar"):
        assert private not in shown.text
    picture = client.get(notice["photo_url"])
    assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8" and b"Exif" not in picture.content[:64]
    # the DCPU confirms the match: the notice comes down in the decision's own transaction
    dcpu = login(client, "dcpu_patna")
    sent = client.post("/records/missing/MP-NOTICE-1/review", json={"other_key": "found:FC-POOJA", "reason": "mother identified"},
                       headers=dcpu)  # fmt: skip
    assert sent.status_code == 201, sent.text
    pair = sent.json()["pk"]
    decided = client.post(f"/review/pairs/{pair}/decision", json={"decision": "confirm", "note": "mother identified her"}, headers=dcpu)
    assert decided.status_code == 200, decided.text
    assert client.get("/public/notices").json() == []
    assert client.get(notice["photo_url"]).status_code == 404
    with res.session_factory() as session:
        row = session.scalar(select(PublicNoticeRow))
        assert row.status == "withdrawn" and row.withdrawn_by == "dcpu_patna" and f"pair {pair}" in row.withdrawn_reason
        entry = session.scalar(select(AuditEntryRow).where(AuditEntryRow.action == "notice_withdraw"))
        decision = session.scalar(select(AuditEntryRow).where(AuditEntryRow.action == "review_decision"))
        assert entry.detail["automatic"] and entry.seq > decision.seq
    # reopened, the child is open again, but the notice stays down until a new consent
    assert client.post(f"/review/pairs/{pair}/reopen", json={"reason": "wrong child"}, headers=dcpu).status_code == 200
    assert client.get("/public/notices").json() == []
    assert _publish(client, police, "MP-NOTICE-1").status_code == 201
    assert len(client.get("/public/notices").json()) == 1
    # the guardian withdraws consent
    pk = client.get("/citizen/notices", headers=police).json()[0]["pk"]
    assert client.post(f"/citizen/notices/{pk}/withdraw", json={"reason": "mother asked"}, headers=gaya).status_code == 403
    assert client.post(f"/citizen/notices/{pk}/withdraw", json={"reason": "mother asked"}, headers=police).status_code == 200
    assert client.get("/public/notices").json() == []


def test_notice_withdrawn_when_a_write_traces_the_child(client: TestClient) -> None:
    res = client.app.state.resources  # type: ignore[attr-defined]
    assert res.ingestor().ingest_records([missing_report(id="MP-W", name="Guddu", police_station_code="BR-PAT-001",
                                          place={"district": "Patna", "state": "Bihar"})]).ok  # fmt: skip
    admin = login(client, "registrar")
    assert _publish(client, admin, "MP-W").status_code == 201
    assert [n["first_name"] for n in client.get("/public/notices").json()] == ["Guddu"]
    body = {k: v for k, v in client.get("/records/missing/MP-W", headers=admin).json().items()
            if k not in ("photo_count", "created_at", "updated_at", "access", "version")}  # fmt: skip
    assert client.put("/records/missing/MP-W", json={**body, "status": "traced"}, headers=admin).status_code == 200
    assert client.get("/public/notices").json() == []
    assert client.put("/records/missing/MP-W", json={**body, "status": "open"}, headers=admin).status_code == 200
    assert client.get("/public/notices").json() == []  # re-published only with a new consent
    assert _publish(client, admin, "MP-W").status_code == 201


def test_robots(client: TestClient) -> None:
    from urllib.robotparser import RobotFileParser

    answer = client.get("/robots.txt")
    parser = RobotFileParser()
    parser.parse(answer.text.splitlines())
    for path in ("/ui/public/report", "/ui/public/notices", "/public/notices", "/ui/"):
        assert not parser.can_fetch("Googlebot", f"http://x{path}")
    assert answer.headers["x-robots-tag"] == "noindex, nofollow"
    assert time.time() > 0


def _page_login(client: TestClient, username: str) -> None:
    import re

    client.cookies.clear()
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/ui/login", data={"username": username, "password": PASSWORD, "login_csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303


def test_public_pages_and_moderation_pages(client: TestClient) -> None:
    import re

    for lang in ("en", "hi"):
        client.cookies.clear()
        client.cookies.set("tc_lang", lang)
        for path in ("/ui/public/report", "/ui/public/report?kind=missing", "/ui/public/privacy", "/ui/public/notices"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert '<meta name="robots" content="noindex, nofollow">' in page.text and page.headers["x-robots-tag"] == "noindex, nofollow"
            assert "tc_session" not in page.headers.get("set-cookie", "")
        assert ("गोपनीयता सूचना" in page.text) == (lang == "hi")
    client.cookies.clear()
    form = client.get("/ui/public/report")
    assert set(client.cookies.keys()) == {"tc_public_csrf"}  # the form's double-submit token, no session
    challenge = re.search(r'data-challenge="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    values = {k: v for k, v in MISSING.items()} | {"pow_challenge": challenge, "pow_nonce": proof.solve(challenge)}
    forged = client.post("/ui/public/report", data={**values, "form_csrf": "not-it"})
    assert forged.status_code == 400
    form = client.get("/ui/public/report")
    token = re.search(r'name="form_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    challenge = re.search(r'data-challenge="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    values |= {"pow_challenge": challenge, "pow_nonce": proof.solve(challenge), "form_csrf": token}
    client.cookies.set("tc_lang", "hi")
    wrong = client.post("/ui/public/report", data={**values, "district": "Gotham"})  # the field is named, in Hindi; what was typed stays
    assert wrong.status_code == 422 and "कृपया सुधारें" in wrong.text and "<strong>ज़िला</strong>" in wrong.text
    assert 'value="Gandhi Maidan"' in wrong.text
    token = re.search(r'name="form_csrf" value="([^"]+)"', wrong.text).group(1)  # type: ignore[union-attr]
    challenge = re.search(r'data-challenge="([^"]+)"', wrong.text).group(1)  # type: ignore[union-attr]
    values |= {"pow_challenge": challenge, "pow_nonce": proof.solve(challenge), "form_csrf": token}
    sent = client.post("/ui/public/report", data=values, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/ui/public/sent?ref="), sent.text[:500]
    assert "held" not in sent.headers["location"]
    _page_login(client, "dcpu_patna")
    queue = client.get("/ui/citizen")
    assert queue.status_code == 200 and "Gandhi Maidan" in queue.text
    pk = int(re.search(r"/ui/citizen/reports/(\d+)", queue.text).group(1))  # type: ignore[union-attr]
    detail = client.get(f"/ui/citizen/reports/{pk}")
    assert 'id="accept-form"' in detail.text and "9800000001" in detail.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', detail.text).group(1)  # type: ignore[union-attr]
    accepted = client.post(f"/ui/citizen/reports/{pk}/accept", data={"csrf": csrf}, follow_redirects=False)
    assert accepted.status_code == 303 and accepted.headers["location"].startswith("/ui/records/missing/CIT-")
    record = client.get(accepted.headers["location"])
    assert record.status_code == 200 and "Rahul Kumar" in record.text
    _page_login(client, "police_patna")
    detail = client.get(f"/ui/citizen/reports/{pk}")
    assert detail.status_code == 200 and 'id="accept-form"' not in detail.text
    _page_login(client, "dcpu_gaya")
    assert client.get(f"/ui/citizen/reports/{pk}").status_code == 403


def test_cli_moderation_and_notices(settings: Settings) -> None:
    from typer.testing import CliRunner

    from search_api.citizen import flows
    from search_api.cli import app as cli_app
    from search_api.resources import open_resources

    with open_resources(settings) as res:
        add_users(res, password=PASSWORD, people=[("dcpu_patna", "dcpu", "Bihar", "Patna", ""), ("dcpu_gaya", "dcpu", "Bihar", "Gaya", "")])
        assert res.ingestor().ingest_records([found_child(id="FC-CLI", name="Rahul", sex="M", age=10,
                                                          place={"district": "Patna", "state": "Bihar"})]).ok  # fmt: skip
        refs = []
        for _ in range(2):  # one transaction each, as requests are: the rate limit counts in a transaction of its own
            with res.session_factory() as session:
                refs.append(flows.submit_report(res=res, session=session, values=MISSING, photo=None, address="10.0.0.1").reference)
                session.commit()
        with res.session_factory() as session:
            for row in session.scalars(select(CitizenReportRow)):
                row.visible_after = row.created_at  # sent without the proof: let the delay pass
            session.commit()
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["citizen", "reports", "--as", "dcpu_patna", "--json"])
    assert listed.exit_code == 0, listed.output
    assert "Rahul Kumar" in listed.output and all(r in listed.output for r in refs)
    assert runner.invoke(cli_app, ["citizen", "accept", "1", "--as", "dcpu_gaya"]).exit_code == 2  # another district's report
    accepted = runner.invoke(cli_app, ["citizen", "accept", "1", "--as", "dcpu_patna"])
    assert accepted.exit_code == 0, accepted.output
    assert f"missing:CIT-{refs[0]}" in accepted.output and "matching queued" in accepted.output and "cleared" in accepted.output
    matched = runner.invoke(cli_app, ["match", "--pending", "--once"])
    assert matched.exit_code == 0 and "match jobs: 1 done" in matched.output and "0 still pending" in matched.output, matched.output
    assert runner.invoke(cli_app, ["citizen", "reject", "2", "--as", "dcpu_patna", "--reason", "duplicate of report 1"]).exit_code == 0
    published = runner.invoke(cli_app, ["citizen", "publish", f"CIT-{refs[0]}", "--as", "dcpu_patna", "--guardian-name", "Suresh Kumar",
                                        "--relation", "father", "--how", "signed form at DCPU office"])  # fmt: skip
    assert published.exit_code == 0, published.output
    shown = runner.invoke(cli_app, ["citizen", "notices", "--as", "dcpu_patna"])
    assert "Suresh Kumar (father)" in shown.output and "public" in shown.output
    assert runner.invoke(cli_app, ["citizen", "withdraw", "1", "--as", "dcpu_patna"]).exit_code == 0
    assert "withdrawn (consent withdrawn)" in runner.invoke(cli_app, ["citizen", "notices", "--as", "dcpu_patna"]).output
    # a new consent, then an import that traces the child: the notice comes down with the import
    assert runner.invoke(cli_app, ["citizen", "publish", f"CIT-{refs[0]}", "--as", "dcpu_patna", "--guardian-name", "Suresh Kumar",
                                   "--relation", "father", "--how", "again, by phone"]).exit_code == 0  # fmt: skip
    with open_resources(settings) as res, res.session_factory() as session:
        stored = get_record(session=session, kind="missing", record_id=f"CIT-{refs[0]}")
        body = stored.record.model_dump(mode="json") | {"status": "traced"}  # type: ignore[union-attr]
    register = settings.data_dir.parent / "traced.jsonl"
    register.write_text(json.dumps(body, ensure_ascii=False) + "\n", encoding="utf-8")
    imported = runner.invoke(cli_app, ["ingest", str(register), "--no-match"])
    assert imported.exit_code == 0, imported.output
    shown = runner.invoke(cli_app, ["citizen", "notices", "--as", "dcpu_patna"]).output
    assert "withdrawn (the child is traced)" in shown, shown
    assert runner.invoke(cli_app, ["citizen", "withdraw", "2", "--as", "dcpu_patna"]).exit_code == 2  # down already
