"""Photos over the API arrive only as uploads; a bad photo row breaks nothing; the body limit holds for chunked bodies."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text

from search_api.app import create_app
from search_api.config import Settings
from tests.factories import add_users, missing_report

PASSWORD = "photo protection password"
FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        add_users(test_client.app.state.resources, password=PASSWORD, people=[("constable", "police", "Bihar", "Patna", "Patna Kotwali")])
        yield test_client


def auth(client: TestClient) -> dict[str, str]:
    answer = client.post("/auth/token", data={"username": "constable", "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_the_api_takes_no_server_paths_as_photos(client: TestClient, settings: Settings, tmp_path: Path) -> None:
    police = auth(client)
    real_file = tmp_path / "server-file.jpg"
    real_file.write_bytes((FACES / "obama_4.jpg").read_bytes())
    attempts = [str(real_file), str(tmp_path / "absent.jpg"), "photos/../trackchild.sqlite3", "/etc/passwd", "../../etc/hostname"]
    answers = []
    for i, given in enumerate(attempts):
        answer = client.post("/records", json=missing_report(id=f"MP-PP-{i}", photos=[given]), headers=police)
        assert answer.status_code == 422, (given, answer.text)
        problems = answer.json()["detail"]["problems"]
        assert [p["field"] for p in problems] == ["photos[0]"] and "upload" in problems[0]["message"]
        assert given not in answer.text and str(tmp_path) not in answer.text
        answers.append(problems[0]["message"])
    assert len(set(answers)) == 1, "the answer differs with the file's existence"
    assert not (settings.data_dir / "photos").exists(), "a server file was copied into the store"
    # the record itself is fine: filed without photos, then updated with a path: refused the same way
    assert client.post("/records", json=missing_report(id="MP-PP-OK"), headers=police).status_code == 201
    update = client.put("/records/missing/MP-PP-OK", json=missing_report(id="MP-PP-OK", photos=[str(real_file)]), headers=police)
    assert update.status_code == 422 and update.json()["detail"]["problems"][0]["field"] == "photos[0]"
    assert client.get("/records/missing/MP-PP-OK", headers=police).json()["photos"] == []


@pytest.mark.slow
def test_a_record_with_a_bad_photo_row_does_not_break_later_uploads(client: TestClient) -> None:
    police = auth(client)
    photo = (FACES / "obama_4.jpg").read_bytes()
    for rid in ("MP-BAD-1", "MP-GOOD-1"):
        assert client.post("/records", json=missing_report(id=rid), headers=police).status_code == 201
    # a photo row from before paths were checked: it names a file outside the photo store
    engine = client.app.state.resources.engine
    with engine.begin() as conn:
        pk = conn.execute(text("select pk from child_records where source_id = 'MP-BAD-1'")).scalar_one()
        conn.execute(
            text("insert into photos (record_pk, sha256, relpath, position, created_at) values (:pk, :sha, :rel, 0, CURRENT_TIMESTAMP)"),
            {"pk": pk, "sha": "e" * 64, "rel": "photos/../../../etc/passwd"},
        )
    for _ in range(2):  # and again: every later upload keeps working
        answer = client.post("/records/missing/MP-GOOD-1/photos", files={"file": ("x.jpg", photo, "image/jpeg")}, headers=police)
        assert answer.status_code == 201, answer.text
    assert client.get("/records/missing/MP-GOOD-1", headers=police).json()["photo_count"] == 1


def _serve(app) -> tuple[uvicorn.Server, threading.Thread, int]:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    return server, thread, port


def test_the_upload_limit_holds_for_a_chunked_body(settings: Settings) -> None:
    settings = settings.model_copy(update={"max_photo_bytes": 100_000})  # limit: 5 photos + 1 MB of form = 1.5 MB
    server, thread, port = _serve(create_app(settings))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            head = (
                "POST /records HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Authorization: Bearer whatever\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            conn.sendall(head.encode())
            chunk = b"[" + b"1," * 32_000  # 64 kB per chunk, no declared length anywhere
            sent, answer = 0, b""
            conn.settimeout(0.05)
            for _ in range(40 * 1024 * 1024 // len(chunk)):  # up to 40 MB: the server must stop us long before
                try:
                    conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    sent += len(chunk)
                    answer += conn.recv(65536)
                except TimeoutError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    break
                if b"\r\n\r\n" in answer:
                    break
            conn.settimeout(10)
            try:
                while b"\r\n\r\n" not in answer:
                    more = conn.recv(65536)
                    if not more:
                        break
                    answer += more
            except (ConnectionResetError, TimeoutError):
                pass
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"upload limit" in answer or b"content-length" in answer.lower()
        assert sent < 4 * 1024 * 1024, f"the server read {sent:,} bytes before refusing"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
