"""Audit trail (hash chain, tamper evidence), lock-out, rate limits, hostile uploads, retention, export."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from search_api.app import create_app
from search_api.config import Settings
from tests.factories import add_users, found_child, missing_report

PASSWORD = "protection password 2026"
FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    settings = settings.model_copy(update={"lockout_failures": 3, "login_attempts_per_minute": 6, "photo_searches_per_minute": 2})
    with TestClient(create_app(settings)) as test_client:
        res = test_client.app.state.resources
        people = [("constable", "police", "Patna Kotwali"), ("officer", "dcpu", ""), ("chief", "admin", "")]
        add_users(res, password=PASSWORD, people=[(name, role, "Bihar", "Patna", unit) for name, role, unit in people])
        yield test_client


def login(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/auth/token", data={"username": username, "password": password})


def auth(client: TestClient, username: str) -> dict[str, str]:
    answer = login(client, username)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {"TRACKCHILD_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "search_api.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def test_acts_are_audited_with_ids_only_and_the_chain_detects_tampering(client: TestClient, settings: Settings) -> None:
    police, chief = auth(client, "constable"), auth(client, "chief")
    assert login(client, "constable", "wrong password").status_code == 401
    client.post("/records", json=missing_report(id="MP-AU-1", name="Sunita Kumari"), headers=police)
    client.get("/records/missing/MP-AU-1", headers=police)
    client.get("/search", params={"q": "Sunita"}, headers=police)
    entries = client.get("/audit", params={"limit": 50}, headers=chief).json()
    actions = [e["action"] for e in entries]
    for expected in ("login", "record_edit", "record_view", "search"):
        assert expected in actions, actions
    failed = [e for e in entries if e["action"] == "login" and e["outcome"] == "failed"]
    assert failed and failed[0]["username"] == "constable" and failed[0]["source"]
    view = next(e for e in entries if e["action"] == "record_view")
    assert view["targets"] == ["missing:MP-AU-1"] and view["username"] == "constable" and view["role"] == "police"
    assert "sunita" not in json.dumps(entries).lower(), "a child's name reached the audit trail"
    assert client.get("/audit", headers=police).status_code == 403
    assert client.get("/audit/verify", headers=chief).json()["ok"] is True
    assert _cli(settings, "audit", "verify").returncode == 0

    engine = client.app.state.resources.engine
    with engine.begin() as conn:  # someone edits an entry in the database
        conn.execute(text("update audit_log set targets = :t where action = 'record_view'"), {"t": json.dumps(["missing:OTHER"])})
    report = client.get("/audit/verify", headers=chief).json()
    assert not report["ok"] and any("altered" in p for p in report["problems"])
    done = _cli(settings, "audit", "verify")
    assert done.returncode == 1 and "altered" in done.stderr + done.stdout


def test_deleting_entries_breaks_the_chain(client: TestClient) -> None:
    chief = auth(client, "chief")
    for _ in range(3):
        client.get("/search", params={"q": "x"}, headers=chief)
    engine = client.app.state.resources.engine
    with engine.begin() as conn:
        newest = conn.execute(text("select max(seq) from audit_log")).scalar_one()
        conn.execute(text("delete from audit_log where seq = :s"), {"s": newest})  # drop the newest (hides the last act)
    problems = client.get("/audit/verify", headers=chief).json()["problems"]
    assert any("removed" in p for p in problems), problems
    with engine.begin() as conn:
        conn.execute(text("delete from audit_log where seq = 2"))  # and one in the middle
    problems = client.get("/audit/verify", headers=chief).json()["problems"]
    assert any("entry 2 is missing" in p for p in problems), problems


def test_repeated_failures_lock_the_account_and_logins_are_rate_limited(client: TestClient) -> None:
    for _ in range(3):
        assert login(client, "officer", "not the password").status_code == 401
    locked = login(client, "officer")  # the right password, but locked now
    assert locked.status_code == 401 and "locked" in locked.json()["detail"]
    # 6 attempts a minute per user name (and per address): the rest wait
    answers = [login(client, "someone-else", "guess").status_code for _ in range(7)]
    assert answers[:6] == [401] * 6 and answers[6] == 429
    limited = login(client, "someone-else", "guess")
    assert int(limited.headers["retry-after"]) >= 1


def test_photo_search_is_rate_limited_per_user(client: TestClient) -> None:
    police = auth(client, "constable")
    upload = {"file": ("a.jpg", b"not an image", "image/jpeg")}
    codes = [client.post("/search/photo", files=upload, headers=police).status_code for _ in range(3)]
    assert codes == [415, 415, 429]


def _png(size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (40, 40, 40)).save(buf, format="PNG")
    return buf.getvalue()


def test_hostile_uploads_get_4xx_with_a_message(client: TestClient) -> None:
    police = auth(client, "constable")
    client.post("/records", json=missing_report(id="MP-UP-1"), headers=police)
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG")
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 10, 10)).save(jpeg, format="JPEG")
    cases = {
        "decompression bomb": (bomb.getvalue(), 415, "pixels"),
        "truncated": (jpeg.getvalue()[:300], 415, "truncated"),
        "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 415, "not a readable image"),
        "gif/javascript polyglot": (b"GIF89a/*\x01\x00\x01\x00\x00\xff\xff*/=1;alert(1)//", 415, ""),
        "html": (b"<html><script>alert(1)</script></html>", 415, "not a readable image"),
        "empty": (b"", 422, "empty"),
    }
    for name, (data, code, words) in cases.items():
        answer = client.post("/records/missing/MP-UP-1/photos", files={"file": ("x.png", data, "image/png")}, headers=police)
        assert answer.status_code == code, (name, answer.status_code, answer.text)
        assert words in answer.json()["detail"], (name, answer.text)
    fifty_mb = b"\xff\xd8\xff" + b"\x00" * (50 * 1024 * 1024)
    answer = client.post("/records/missing/MP-UP-1/photos", files={"file": ("big.jpg", fifty_mb, "image/jpeg")}, headers=police)
    assert answer.status_code == 413 and "MB" in answer.json()["detail"]
    # nothing above changed the record
    assert client.get("/records/missing/MP-UP-1", headers=police).json()["photos"] == []


def test_long_and_strange_queries_answer_quickly(client: TestClient) -> None:
    import time

    police = auth(client, "constable")
    for q in ("x" * 10_000, "\x00\x07\x1b[31m राकेश রাকেশ Rakesh 😀", "%00' OR 1=1 --", "a" * 512):
        started = time.perf_counter()
        answer = client.get("/search", params={"q": q}, headers=police)
        assert answer.status_code in (200, 422), (q[:20], answer.status_code)
        assert time.perf_counter() - started < 5


def test_export_is_role_limited_scoped_and_audited(client: TestClient, settings: Settings, tmp_path: Path) -> None:
    police = auth(client, "constable")
    client.post("/records", json=missing_report(id="MP-EX-1"), headers=police)  # Patna
    res = client.app.state.resources
    res.ingestor().ingest_records([found_child(id="FC-EX-2")])  # Howrah, West Bengal
    denied = _cli(settings, "export", "--as", "constable", "--out", str(tmp_path / "x.jsonl"))
    assert denied.returncode != 0 and "may not export" in denied.stdout + denied.stderr
    done = _cli(settings, "export", "--as", "officer", "--out", str(tmp_path / "patna.jsonl"))
    assert done.returncode == 0, done.stderr
    ids = {json.loads(line)["id"] for line in (tmp_path / "patna.jsonl").read_text().splitlines()}
    assert ids == {"MP-EX-1"}
    chief = auth(client, "chief")
    exports = client.get("/audit", params={"action": "export"}, headers=chief).json()
    assert exports and exports[0]["username"] == "officer" and exports[0]["detail"]["results"] == 1


def test_retention_archives_closed_cases_out_of_store_and_index(client: TestClient, settings: Settings) -> None:
    police, officer = auth(client, "constable"), auth(client, "officer")
    # police may not close a case themselves (issue 11 item 5): the traced report comes from the admin
    assert client.post("/records", json=missing_report(id="MP-RT-1", name="Kamla Devi", status="traced"), headers=police).status_code == 403
    client.post("/records", json=missing_report(id="MP-RT-1", name="Kamla Devi", status="traced"), headers=auth(client, "chief"))
    client.post("/records", json=missing_report(id="MP-RT-2", name="Kamla Devi"), headers=police)  # still open
    engine = client.app.state.resources.engine
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    with engine.begin() as conn:
        conn.execute(text("update child_records set updated_at = :old where source_id = 'MP-RT-1'"), {"old": old})
    assert client.post("/records/retention/run", params={"days": 365}, headers=officer).status_code == 403
    # the server holds no index writer between writes: the console runs retention while it serves
    done_cli = _cli(settings, "retention", "run", "--days", "365")
    assert done_cli.returncode == 0 and "archived 1 records" in done_cli.stdout, done_cli.stdout + done_cli.stderr
    done = client.post("/records/retention/run", params={"days": 365}, headers=auth(client, "chief"))
    assert done.status_code == 200 and done.json()["archived"] == [], done.text  # nothing left to archive
    assert client.get("/records/missing/MP-RT-1", headers=officer).status_code == 404
    assert client.get("/records/missing/MP-RT-2", headers=officer).status_code == 200
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from archived_records")).scalar_one() == 1
        assert conn.execute(text("select count(*) from archived_records where index_pending")).scalar_one() == 0  # outbox drained
    assert {h["id"] for h in client.get("/search", params={"q": "kamla"}, headers=officer).json()} == {"MP-RT-2"}
    assert {h.key for h in client.app.state.resources.text_index.search("kamla", limit=10)} == {"missing:MP-RT-2"}


def test_security_headers_on_api_and_offline_docs(client: TestClient) -> None:
    answer = client.get("/health")
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower() and "<script>" not in docs.text
    assert client.get("/api-static/swagger/swagger-ui-bundle.js").status_code == 200
