"""The API on a real app (lifespan, SQLite, tantivy, faces): every endpoint, bad input, no token."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from search_api.app import create_app
from search_api.config import Settings
from tests.conftest import SAMPLE_RECORDS
from tests.factories import add_users, found_child, missing_report, run_match_jobs

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
PASSWORD = "a long enough password"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        res = test_client.app.state.resources
        people = [
            ("constable", "police", "Bihar", "Patna", "Patna Kotwali"),
            ("caseworker", "cci", "West Bengal", "Howrah", "Children Home, Howrah"),
            ("officer", "dcpu", "Bihar", "Patna", ""),
            ("registrar", "admin", "", "", ""),
        ]
        add_users(res, password=PASSWORD, people=people)
        res.ingestor().ingest_file(SAMPLE_RECORDS)
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


PROTECTED = [
    ("get", "/auth/me"),
    ("get", "/records"),
    ("post", "/records"),
    ("get", "/records/missing/MP-000001"),
    ("put", "/records/missing/MP-000001"),
    ("get", "/records/found/FC-000001/candidates"),
    ("post", "/records/found/FC-000001/photos"),
    ("get", "/search?q=rahul"),
    ("post", "/search/photo"),
    ("get", "/review/queue"),
    ("get", "/review/pairs/1"),
    ("post", "/review/pairs/1/decision"),
    ("get", "/records/found/FC-000001/duplicates"),
    ("post", "/records/found/FC-000001/review"),
    ("get", "/review/duplicates"),
    ("post", "/review/duplicates/1/decision"),
    ("get", "/records/export/jsonl"),
    ("get", "/records/export/pfif"),
    ("get", "/records/export/csv"),
    ("post", "/records/retention/run"),
    ("get", "/audit"),
    ("get", "/audit/verify"),
    ("post", "/review/pairs/1/reopen"),
    ("get", "/restoration/cases"),
    ("get", "/restoration/cases/1"),
    ("post", "/restoration/cases/1/steps/cwc_order"),
    ("get", "/restoration/overdue"),
    ("get", "/notifications"),
    ("get", "/notifications/unread"),
    ("post", "/notifications/read"),
    ("get", "/me/contact"),
    ("put", "/me/contact"),
    ("put", "/users/someone/nodal"),
    ("get", "/care/children/FC-1"),
    ("post", "/care/children/FC-1/goals"),
    ("post", "/care/children/FC-1/events"),
    ("get", "/care/ccis/X/roll"),
    ("get", "/directory/entries"),
    ("get", "/directory/entries/1"),
    ("post", "/directory/entries"),
    ("delete", "/directory/entries/1"),
    ("post", "/directory/import"),
    ("get", "/directory/export.csv"),
    ("get", "/records/missing/MP-000001/actions"),
    ("post", "/records/missing/MP-000001/actions"),
    ("get", "/monitor/dashboard"),
    ("get", "/monitor/list/open"),
    ("get", "/monitor/digest?state=Bihar&week=2026-W48"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_but_health_and_login_needs_a_token(client: TestClient, method: str, path: str) -> None:
    assert getattr(client, method)(path).status_code == 401
    assert getattr(client, method)(path, headers={"Authorization": "Bearer forged"}).status_code == 401


def test_health_and_docs_are_open(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert "/search/photo" in client.get("/openapi.json").json()["paths"]


def test_login_failures(client: TestClient) -> None:
    assert client.post("/auth/token", data={"username": "constable", "password": "wrong"}).status_code == 401
    assert client.post("/auth/token", data={"username": "nobody", "password": PASSWORD}).status_code == 401
    assert client.get("/auth/me", headers=login(client, "constable")).json()["role"] == "police"


def test_text_search_and_filters(client: TestClient) -> None:
    auth = login(client, "constable")
    hits = client.get("/search", params={"q": "Hamsini Chad", "limit": 2}, headers=auth).json()
    assert {h["id"] for h in hits} == {"MP-000000", "FC-000001"}
    hits = client.get("/search", params={"q": "", "kind": "found", "sex": "M", "age_min": 2, "age_max": 4}, headers=auth).json()
    assert {h["id"] for h in hits} == {"FC-000000", "FC-000002", "FC-000004"}
    assert client.get("/search", params={"q": "x", "age_min": 9, "age_max": 2}, headers=auth).status_code == 422
    assert client.get("/search", params={"q": "x" * 10_000}, headers=auth).status_code == 422
    assert client.get("/search", params={"q": "\x00\x01 राकेश"}, headers=auth).status_code == 200


def test_police_file_a_report_and_cci_check_a_new_arrival(client: TestClient) -> None:
    police, cci = login(client, "constable"), login(client, "caseworker")
    report = missing_report(id="MP-API-1", name="Yadavi Rathore", age=8, sex="F", date="2025-05-01")
    created = client.post("/records", json=report, headers=police)
    assert created.status_code == 201, created.text
    assert client.post("/records", json=found_child(id="FC-X"), headers=police).status_code == 403  # police do not admit children
    arrival = found_child(id="FC-API-1", name="यादवी", age=9, sex="F", date="2025-07-01")
    saved = client.post("/records", json=arrival, headers=cci).json()
    assert saved["matching"] == "queued" and saved["match_job"]  # matched after the answer; candidates meanwhile on demand
    candidates = client.get("/records/found/FC-API-1/candidates", headers=cci).json()
    assert candidates[0]["id"] == "MP-API-1"
    assert candidates[0]["explain"]["features"]["name_phonetic"]["level"] in ("strong_one", "full", "loose")  # यादवी reads "yadvi"
    # the report is in Patna, the CCI in Howrah: a limited view, enough to decide and to call the station
    got = client.get("/records/missing/MP-API-1", headers=cci).json()
    assert got["access"] == "limited" and got["first_name"] == "Yadavi" and got["status"] == "open"
    assert got["contact_unit"] == "Patna Kotwali" and "father_name" not in got and "name" not in got
    assert client.get("/records/missing/MP-API-1", headers=police).json()["name"] == "Yadavi Rathore"
    listed = client.get("/records", params={"kind": "missing", "district": "patna"}, headers=cci).json()
    assert "MP-API-1" in {r["id"] for r in listed}


def test_bad_records_get_field_errors_and_nothing_is_lost(client: TestClient) -> None:
    police = login(client, "constable")
    response = client.post("/records", json=missing_report(id="MP-000001", age="nine", sex="boyish"), headers=police)
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["detail"]["problems"]}
    assert fields == {"age", "sex"}
    assert client.get("/records/missing/MP-000001", headers=login(client, "registrar")).json()["name"] == "Abha Kumari"  # untouched
    assert client.get("/records/missing/NOPE", headers=police).status_code == 404
    assert client.put("/records/missing/MP-000001", json={"kind": "found"}, headers=police).status_code == 422
    assert client.get("/records/lost/X", headers=police).status_code == 422


def _png(size: tuple[int, int] = (50, 50)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.slow
def test_photo_upload_and_photo_search(client: TestClient) -> None:
    police = login(client, "constable")
    assert client.post("/records", json=missing_report(id="MP-PH-1"), headers=police).status_code == 201
    photo = (FACES / "obama_4.jpg").read_bytes()
    # another station's report takes no photo from this constable
    other = client.post("/records/missing/MP-000001/photos", files={"file": ("x.jpg", photo, "image/jpeg")}, headers=police)
    assert other.status_code == 403
    response = client.post("/records/missing/MP-PH-1/photos", files={"file": ("x.jpg", photo, "image/jpeg")}, headers=police)
    assert response.status_code == 201, response.text
    assert response.json()["record"]["photos"][0].startswith("photos/")
    assert response.json()["photo_check"]["ok"] is True
    # a face too small is kept, and said at once with what to do
    small = client.post(
        "/records/missing/MP-PH-1/photos", files={"file": ("s.jpg", (FACES / "obama_240p.jpg").read_bytes(), "image/jpeg")}, headers=police
    )
    assert small.status_code == 201 and len(small.json()["record"]["photos"]) == 2
    check = small.json()["photo_check"]
    assert [p["code"] for p in check["problems"]] == ["too_small"] and "closer" in check["problems"][0]["action"]
    probe = (FACES / "obama_5.jpg").read_bytes()
    hits = client.post("/search/photo", files={"file": ("p.jpg", probe, "image/jpeg")}, headers=police).json()
    assert hits[0]["id"] == "MP-PH-1" and hits[0]["face_score"] > 0.5
    # hostile uploads: 4xx with a message, never a 500
    for data, code in ((b"not an image", 415), (_png()[:40], 415), (b"", 422)):
        answer = client.post("/records/missing/MP-PH-1/photos", files={"file": ("a.png", data, "image/png")}, headers=police)
        assert answer.status_code == code, (code, answer.text)
    big = b"\xff" * (client.app.state.resources.settings.max_photo_bytes + 1)
    assert client.post("/search/photo", files={"file": ("big.jpg", big, "image/jpeg")}, headers=police).status_code == 413
    blank = client.post("/search/photo", files={"file": ("b.png", _png((300, 300)), "image/png")}, headers=police)
    assert blank.status_code == 422 and "no usable face" in blank.text
    # the saved face index is from another model or crop: a clear 503 until 'trackchild reindex', never mixed vectors
    res = client.app.state.resources
    manifest = res.face_index_dir / "manifest.json"
    manifest.write_text(manifest.read_text().replace(res.face_index.model_id, "facenet-other+crop-m44"))
    res._face_index = None  # as a restarted server would find it
    switched = client.post("/search/photo", files={"file": ("p.jpg", probe, "image/jpeg")}, headers=police)
    assert switched.status_code == 503 and "trackchild reindex" in switched.text


def test_review_queue_decisions_and_status_changes(client: TestClient) -> None:
    police, cci, officer = login(client, "constable"), login(client, "caseworker"), login(client, "officer")
    client.post(
        "/records",
        json=missing_report(id="MP-R-1", name="Yadavi Rathore", age=8, sex="F", date="2025-05-01", marks="scar on chin"),
        headers=police,
    )
    client.post(
        "/records",
        json=found_child(
            id="FC-R-1",
            name="Yadavi Rathore",
            age=8,
            sex="F",
            date="2025-05-20",
            marks="scar on chin",
            place={"city": "Patna", "district": "Patna", "state": "Bihar", "lat": 25.6, "lon": 85.1},
        ),
        headers=cci,
    )
    run_match_jobs(client.app.state.resources)  # type: ignore[attr-defined]  # the server's match worker, after the answers
    assert client.get("/review/queue", headers=police).status_code == 403  # police do not review
    queue = client.get("/review/queue", headers=officer).json()
    pair = next(p for p in queue if p["found_key"] == "found:FC-R-1")
    assert pair["missing_key"] == "missing:MP-R-1" and pair["status"] == "pending"
    evidence = client.get(f"/review/pairs/{pair['pk']}", headers=officer).json()
    assert evidence["missing"]["id"] == "MP-R-1" and evidence["found"]["id"] == "FC-R-1"
    assert (
        client.post(f"/review/pairs/{pair['pk']}/decision", json={"decision": "confirm"}, headers=officer).status_code == 422
    )  # reason needed
    assert client.post(f"/review/pairs/{pair['pk']}/decision", json={"decision": "confirm", "note": "x"}, headers=cci).status_code == 403
    done = client.post(
        f"/review/pairs/{pair['pk']}/decision", json={"decision": "confirm", "note": "parents identified her"}, headers=officer
    )
    assert done.status_code == 200
    assert done.json()["decisions"][0]["username"] == "officer" and done.json()["pair"]["status"] == "confirmed"
    assert client.get("/records/missing/MP-R-1", headers=officer).json()["status"] == "traced"
    assert client.get("/records/found/FC-R-1", headers=officer).json()["status"] == "restored"
    assert client.get("/review/pairs/99999", headers=officer).status_code == 404
    # a traced report is nobody's candidate any more (the batch contract, match --all, still ranks everything)
    again = found_child(id="FC-R-3", name="Yadavi Rathore", age=8, sex="F", place={"district": "Patna", "state": "Bihar"})
    assert client.post("/records", json=again, headers=cci).status_code == 201
    proposed = client.get("/records/found/FC-R-3/candidates", headers=cci).json()
    assert "MP-R-1" not in {c["id"] for c in proposed}
    # a rejected pair does not come back unless the evidence changes
    client.post("/records", json=missing_report(id="MP-R-2", name="Kunal Verma", age=6, sex="M"), headers=police)
    client.post(
        "/records",
        json=found_child(id="FC-R-2", name="Kunal Verma", age=6, sex="M", place={"district": "Patna", "state": "Bihar"}),
        headers=cci,
    )
    run_match_jobs(client.app.state.resources)  # type: ignore[attr-defined]
    pending = [p for p in client.get("/review/queue", headers=officer).json() if p["found_key"] == "found:FC-R-2"]
    if pending:
        pk = pending[0]["pk"]
        client.post(f"/review/pairs/{pk}/decision", json={"decision": "reject", "note": "different child"}, headers=officer)
        client.get("/records/found/FC-R-2/candidates", headers=cci)  # re-matching the same evidence
        assert all(p["found_key"] != "found:FC-R-2" for p in client.get("/review/queue", headers=officer).json())
    assert json.dumps(queue)  # the queue is plain JSON


def test_the_unauthenticated_list_covers_every_route() -> None:
    """A new endpoint must join PROTECTED (or be deliberately open)."""
    from fastapi.routing import APIRoute

    open_paths = {"/health", "/auth/token"}
    uncovered = []
    for route in create_app(Settings()).routes:
        if not isinstance(route, APIRoute) or route.path in open_paths or not route.include_in_schema:
            continue
        for method in route.methods:
            if not any(m.upper() == method and route.path_regex.match(p.split("?")[0]) for m, p in PROTECTED):
                uncovered.append(f"{method} {route.path}")
    assert not uncovered, uncovered


def test_the_session_commits_before_the_answer_leaves() -> None:
    """A client that follows a redirect at once must find what the request wrote (a new login's
    token): the session dependency ends before the response is sent, not after."""
    from typing import get_args

    from search_api.deps import DbSession

    assert get_args(DbSession)[1].scope == "function"
