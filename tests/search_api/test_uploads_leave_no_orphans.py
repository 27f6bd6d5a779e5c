"""Issue 11: an upload whose transaction fails after its file was written leaves no file in the
data dir (and no face in the face index); a file another record already holds stays.

The failure is real: the store refuses every new audit entry (a SQLite trigger; on PostgreSQL a
deferred constraint trigger, so it is the COMMIT itself that fails), installed after the setup.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from search_api.app import create_app
from search_api.config import Settings
from tests.factories import add_users, missing_report
from tests.search_api.test_restoration_documents import pdf
from tests.search_api.test_restoration_flow import PASSWORD, confirmed_pair, login, smtp  # noqa: F401  (fixtures)

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"


@pytest.fixture
def client(tmp_path, monkeypatch, smtp, store_url) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]  # noqa: F811
    port, _mailbox = smtp
    data_dir = tmp_path / "data"
    monkeypatch.setenv("TRACKCHILD_DATA_DIR", str(data_dir))
    settings = Settings(data_dir=data_dir, database_url=store_url, smtp_host="127.0.0.1", smtp_port=port, notify_interval_seconds=0)
    # a refused commit answers 500 here as it would to a client, instead of raising in the test
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        add_users(test_client.app.state.resources, password=PASSWORD, people=[
            ("constable", "police", "Bihar", "Patna", "Patna Kotwali"),
            ("caseworker", "cci", "West Bengal", "Howrah", "Children Home, Howrah"),
            ("cwc_howrah", "cwc", "West Bengal", "Howrah", ""),
            ("dcpu_patna", "dcpu", "Bihar", "Patna", ""),
        ])  # fmt: skip
        yield test_client


def refuse_commits(client: TestClient) -> None:
    """From now on no transaction that writes an audit entry commits (every upload writes one)."""
    engine = client.app.state.resources.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text("create trigger refuse_audit before insert on audit_log begin select raise(abort, 'test: commit refused'); end")
            )
        else:
            conn.execute(text("create function refuse_audit() returns trigger language plpgsql as "
                              "$$ begin raise exception 'test: commit refused'; end $$"))  # fmt: skip
            conn.execute(text("create constraint trigger refuse_audit after insert on audit_log deferrable initially deferred "
                              "for each row execute function refuse_audit()"))  # fmt: skip


def rows(client: TestClient, query: str) -> int:
    with client.app.state.resources.engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.execute(text(query)).scalar_one()


def files_under(client: TestClient, folder: str) -> list[Path]:
    root = Path(client.app.state.resources.settings.data_dir) / folder  # type: ignore[attr-defined]
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_document_whose_commit_fails_leaves_no_file(client: TestClient) -> None:
    confirmed_pair(client)
    cwc = login(client, "cwc_howrah")
    case = client.get("/restoration/cases", headers=cwc).json()[0]["pk"]
    url = f"/restoration/cases/{case}/steps/cwc_order/documents"
    order = pdf(1)
    kept = client.post(url, files={"file": ("order.pdf", order, "application/pdf")}, headers=cwc)
    assert kept.status_code == 201, kept.text  # a committed upload keeps its file
    [held] = files_under(client, "documents")
    refuse_commits(client)
    new = client.post(url, files={"file": ("report.pdf", pdf(2), "application/pdf")}, headers=cwc)
    again = client.post(url, files={"file": ("copy.pdf", order, "application/pdf")}, headers=cwc)  # the paper the step holds
    assert (new.status_code, again.status_code) == (500, 500), (new.text, again.text)
    assert files_under(client, "documents") == [held] and held.read_bytes() == order
    assert rows(client, "select count(*) from step_documents") == 1  # (reading the case over the API is audited: refused now)


@pytest.mark.slow
def test_a_photo_whose_commit_fails_leaves_no_file_and_no_face(client: TestClient) -> None:
    res = client.app.state.resources  # type: ignore[attr-defined]
    police = login(client, "constable")
    for rid in ("MP-OR-1", "MP-OR-2"):
        assert client.post("/records", json=missing_report(id=rid), headers=police).status_code == 201
    photo = (FACES / "obama_4.jpg").read_bytes()
    kept = client.post("/records/missing/MP-OR-1/photos", files={"file": ("a.jpg", photo, "image/jpeg")}, headers=police)
    assert kept.status_code == 201, kept.text  # a committed upload keeps its file, and its face
    [held] = files_under(client, "photos")
    faces = len(res.face_index)
    assert faces == 1
    refuse_commits(client)
    new = client.post("/records/missing/MP-OR-2/photos", files={"file": ("b.jpg", (FACES / "obama_5.jpg").read_bytes(), "image/jpeg")},
                      headers=police)  # fmt: skip
    again = client.post("/records/missing/MP-OR-2/photos", files={"file": ("c.jpg", photo, "image/jpeg")}, headers=police)
    assert (new.status_code, again.status_code) == (500, 500), (new.text, again.text)
    assert files_under(client, "photos") == [held] and held.read_bytes() == photo
    assert len(res.face_index) == faces
    assert rows(client, "select count(*) from photos") == 1
