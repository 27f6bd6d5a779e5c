"""The district service directory (issue 16, part 1): entries kept by their district's DCPU
(state-qualified), read by every role; CSV import with per-row problems by line and field,
re-import updating by (state, district, type, code-or-name), export → import round trip;
the API, the page and the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from search_api.audit.models import AuditEntryRow
from search_api.cli import app as cli_app
from search_api.config import Settings
from search_api.directory import flows, service
from search_api.directory.models import DirectoryEntryRow
from search_api.policy import PermissionDenied
from search_api.resources import open_resources
from search_api.users.models import UserRow
from tests.factories import add_users
from ui.app import create_web_app

PASSWORD = "a long enough password"
PEOPLE = [
    ("dcpu_aur", "dcpu", "Bihar", "Aurangabad", ""),
    ("dcpu_twin", "dcpu", "Maharashtra", "Aurangabad", ""),  # same district name, another state
    ("dcpu_gurugram", "dcpu", "Haryana", "Gurugram", ""),
    ("police_aur", "police", "Bihar", "Aurangabad", "Kotwali", "BR-AUR-001"),
    ("cwc_aur", "cwc", "Bihar", "Aurangabad", ""),
    ("central", "central", "", "", ""),
    ("admin", "admin", "", "", ""),
]
HEADER = "type,name,code,address,phone,email,hours,lat,lon,state,district,capacity,registration_no\n"
GOOD_AND_BAD = (
    HEADER
    + "police_station,Kotwali,BR-AUR-001,Station Road,+91 6186 222222,,24 hours,24.75,84.37,Bihar,Aurangabad,,\n"  # line 2
    + "cci,Bal Ashram,CCI/BR/17,Ward 4,06186-223344,home@example.org,,24.76,84.38,Bihar,Aurangabad,50,CCI/BR/17\n"  # line 3
    + "hospital,,,,,,,,,Bihar,Aurangabad,,\n"  # line 4: no name
    + "temple,Shiv Mandir,,,,,,,,Bihar,Aurangabad,,\n"  # line 5: not a type
    + "hospital,Sadar Hospital,,,,,,,,Maharashtra,Aurangabad,,\n"  # line 6: the twin district, not the importer's
    + "childline,Childline,,,1098,not-an-email,,84.37,24.75,Bihar,Aurangabad,,\n"  # line 7: email, lat/lon swapped: cleared
    + "cci,Shishu Griha,,,,,,,,Bihar,Aurangabad,many,\n"  # line 8: capacity cleared, row loads
)


def _user(session, username: str) -> UserRow:  # type: ignore[no-untyped-def]
    return session.scalar(select(UserRow).where(UserRow.username == username))


@pytest.fixture
def res_on(store_url: str, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    with open_resources(Settings(data_dir=tmp_path / "data", database_url=store_url)) as res:
        add_users(res, password=PASSWORD, people=PEOPLE)
        yield res


def _problems(problems: list[service.Problem]) -> set[tuple[int, str]]:
    return {(p.line, p.field) for p in problems}


def test_import_reports_each_bad_row_by_line_and_field_and_loads_the_good_ones(res_on) -> None:  # type: ignore[no-untyped-def]
    with res_on.session_factory() as session:
        dcpu = _user(session, "dcpu_aur")
        report = flows.import_csv(session=session, user=dcpu, data=GOOD_AND_BAD.encode(), source="test")
        assert (report.created, report.updated) == (4, 0)
        assert _problems(report.errors) == {(4, "name"), (5, "type"), (6, "district")}
        assert {(7, "email"), (7, "lat"), (7, "lon"), (8, "capacity")} <= _problems(report.warnings)
        assert "line 6, district: Aurangabad, Maharashtra is not your district" in [str(p) for p in report.errors]
        home = service.search(session=session, district="Aurangabad", state="Bihar", type_="cci", q="ashram")[0]
        assert (home.capacity, home.registration_no, home.lat) == (50, "CCI/BR/17", 24.76)
        childline = service.search(session=session, state="Bihar", district="Aurangabad", type_="childline")[0]
        assert (childline.phone, childline.email, childline.lat, childline.lon) == ("1098", "", None, None)
        # re-import: the same (state, district, type, code-or-name) updates; a new phone replaces the old
        again = GOOD_AND_BAD.replace("+91 6186 222222", "06186-222999")
        report = flows.import_csv(session=session, user=dcpu, data=again.encode(), source="test")
        assert (report.created, report.updated) == (0, 4)
        assert session.scalar(select(func.count()).select_from(DirectoryEntryRow)) == 4
        station = service.search(session=session, state="Bihar", district="Aurangabad", type_="police_station")[0]
        assert station.phone == "06186-222999"
        audit = session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "directory_import")).all()
        assert [a.detail["created"] for a in audit] == [4, 0] and audit[0].detail["errors"] == 3
        session.commit()


def test_export_then_import_round_trips_every_field(res_on) -> None:  # type: ignore[no-untyped-def]
    with res_on.session_factory() as session:
        dcpu = _user(session, "dcpu_aur")
        flows.import_csv(session=session, user=dcpu, data=GOOD_AND_BAD.encode())
        tricky = HEADER + 'shelter,"=HYPERLINK(""x"")",,"House 12,\nWard 4",+91 98000 00000,,"Mon–Sat, 9–5",,,Bihar,Aurangabad,,\n'
        assert flows.import_csv(session=session, user=dcpu, data=tricky.encode()).ok
        first = flows.export_csv(session=session, user=_user(session, "police_aur"), state="Bihar", district="Aurangabad")
        assert "'=HYPERLINK" in first and "'+91 98000" in first  # a spreadsheet shows them, does not run them
        before = {(r.type, r.name, r.code, r.address, r.phone, r.email, r.hours, r.lat, r.lon, r.capacity, r.registration_no)
                  for r in service.search(session=session, state="Bihar", district="Aurangabad")}  # fmt: skip
        report = flows.import_csv(session=session, user=dcpu, data=first.encode())
        assert report.ok and not report.warnings and (report.created, report.updated) == (0, 5)
        after = {(r.type, r.name, r.code, r.address, r.phone, r.email, r.hours, r.lat, r.lon, r.capacity, r.registration_no)
                 for r in service.search(session=session, state="Bihar", district="Aurangabad")}  # fmt: skip
        assert after == before and ("shelter", '=HYPERLINK("x")') in {(b[0], b[1]) for b in before}
        assert flows.export_csv(session=session, user=dcpu, state="Bihar", district="Aurangabad") == first


def test_only_the_districts_dcpu_and_admin_maintain_and_everyone_reads(res_on) -> None:  # type: ignore[no-untyped-def]
    entry = {"type": "hospital", "name": "Sadar Hospital", "state": "Bihar", "district": "Aurangabad", "phone": "06186-1"}
    with res_on.session_factory() as session:
        row, _ = flows.save_entry(session=session, user=_user(session, "dcpu_aur"), values=entry)
        for name in ("dcpu_twin", "police_aur", "cwc_aur", "central"):  # the twin district's DCPU, and roles that only read
            with pytest.raises(PermissionDenied):
                flows.save_entry(session=session, user=_user(session, name), values=entry)
            with pytest.raises(PermissionDenied):
                flows.delete_entry(session=session, user=_user(session, name), entry_pk=row.pk)
            assert [r.pk for r in flows.search(session=session, user=_user(session, name), q="sadar")] == [row.pk]
        report = flows.import_csv(session=session, user=_user(session, "dcpu_twin"), data=(HEADER + "hospital,Sadar Hospital,,,,,,,,"
                                  "Bihar,Aurangabad,,\nhospital,Ghati Hospital,,,,,,,,Maharashtra,Aurangabad,,\n").encode())  # fmt: skip
        assert _problems(report.errors) == {(2, "district")} and report.created == 1
        with pytest.raises(PermissionDenied):
            flows.import_csv(session=session, user=_user(session, "police_aur"), data=GOOD_AND_BAD.encode())
        # old names resolve through the gazetteer: the DCPU of Gurugram keeps what a file calls Gurgaon, Haryana
        gurgaon = {"type": "dcpu", "name": "DCPU Gurugram", "state": "Haryana", "district": "Gurgaon"}
        saved, _ = flows.save_entry(session=session, user=_user(session, "dcpu_gurugram"), values=gurgaon)
        assert saved.district == "Gurugram"
        assert [r.pk for r in service.search(session=session, state="Haryana", district="Gurgaon")] == [saved.pk]
        flows.save_entry(session=session, user=_user(session, "admin"), values={**entry, "state": "Maharashtra", "name": "Ghati"})
        flows.delete_entry(session=session, user=_user(session, "dcpu_aur"), entry_pk=row.pk)
        assert not service.search(session=session, state="Bihar", q="sadar")


def test_a_file_that_cannot_be_read_is_refused_whole(res_on) -> None:  # type: ignore[no-untyped-def]
    with res_on.session_factory() as session:
        dcpu = _user(session, "dcpu_aur")
        for data, says in ((b"", "line 1: the file is empty"), (b"name,phone\nx,1\n", "lacks the column(s) type, state, district"),
                           ("type,name\n".encode("utf-16"), "not UTF-8")):  # fmt: skip
            with pytest.raises(service.DirectoryRefused, match=re.escape(says)):
                flows.import_csv(session=session, user=dcpu, data=data)
        extra = HEADER.strip() + ",remarks\nphc,PHC Obra,,,,,,,,Bihar,Aurangabad,,,x,y\n"  # one cell more than the header
        report = flows.import_csv(session=session, user=dcpu, data=extra.encode())
        assert _problems(report.errors) == {(2, "-")} and _problems(report.warnings) == {(1, "remarks")}


# ---- the API, the page and the CLI ----------------------------------------------------------


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_web_app(settings)) as test_client:
        add_users(test_client.app.state.resources, password=PASSWORD, people=PEOPLE)
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    answer = client.post("/auth/token", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_api_routes(client: TestClient) -> None:
    dcpu, twin, police = login(client, "dcpu_aur"), login(client, "dcpu_twin"), login(client, "police_aur")
    entry = {"type": "cci", "name": "Bal Ashram", "code": "CCI/BR/17", "state": "Bihar", "district": "Aurangabad", "capacity": "50",
             "lat": "95.0", "lon": "84.3"}  # fmt: skip
    saved = client.post("/directory/entries", json=entry, headers=dcpu)
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["entry"]["capacity"] == 50 and body["entry"]["lat"] is None
    assert {(w["field"]) for w in body["warnings"]} == {"lat"}
    assert client.post("/directory/entries", json=entry, headers=twin).status_code == 403
    assert client.post("/directory/entries", json=entry, headers=police).status_code == 403
    assert client.post("/directory/entries", json={**entry, "type": "temple"}, headers=dcpu).status_code == 422
    pk = body["entry"]["pk"]
    found = client.get("/directory/entries", params={"district": "Aurangabad", "type": "cci", "q": "ashram"}, headers=police)
    assert [e["pk"] for e in found.json()] == [pk]
    assert client.get("/directory/entries", params={"type": "temple"}, headers=police).status_code == 422
    assert client.get(f"/directory/entries/{pk}", headers=police).json()["name"] == "Bal Ashram"
    assert client.get("/directory/entries/999999", headers=police).status_code == 404
    imported = client.post("/directory/import", files={"file": ("d.csv", GOOD_AND_BAD.encode(), "text/csv")}, headers=dcpu)
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert (report["created"], report["updated"]) == (3, 1)  # Bal Ashram CCI/BR/17 was there already
    assert {(p["line"], p["field"]) for p in report["errors"]} == {(4, "name"), (5, "type"), (6, "district")}
    assert client.post("/directory/import", files={"file": ("d.csv", b"", "text/csv")}, headers=dcpu).status_code == 422
    assert client.post("/directory/import", files={"file": ("d.csv", GOOD_AND_BAD.encode(), "text/csv")}, headers=police).status_code == 403
    exported = client.get("/directory/export.csv", params={"state": "Bihar"}, headers=police)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.text.count("\n") == 1 + 4
    assert client.delete(f"/directory/entries/{pk}", headers=twin).status_code == 403
    assert client.delete(f"/directory/entries/{pk}", headers=dcpu).status_code == 204
    assert client.get(f"/directory/entries/{pk}", headers=police).status_code == 404


def _login_page(client: TestClient, username: str) -> str:
    client.cookies.clear()
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/ui/login", data={"username": username, "password": PASSWORD, "login_csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = client.get("/ui/directory")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_page_search_import_and_export(client: TestClient) -> None:
    csrf = _login_page(client, "dcpu_aur")
    page = client.get("/ui/directory")
    assert page.status_code == 200 and 'id="directory-import"' in page.text and 'value="Aurangabad"' in page.text  # own district first
    loaded = client.post("/ui/directory/import", data={"csrf": csrf}, files={"file": ("d.csv", GOOD_AND_BAD.encode(), "text/csv")})
    assert loaded.status_code == 422  # some rows were refused: the page lists them; the good ones loaded
    assert '<td class="num">6</td><td>district</td>' in loaded.text and "Bal Ashram" in loaded.text
    refused = client.post("/ui/directory/import", data={"csrf": "forged"}, files={"file": ("d.csv", b"x", "text/csv")})
    assert refused.status_code == 400
    hindi = client.get("/ui/lang/hi", params={"next": "/ui/directory"})
    assert hindi.status_code == 200 and "सेवा निर्देशिका" in hindi.text and "बाल देखरेख संस्था" in hindi.text
    client.get("/ui/lang/en", params={"next": "/ui/directory"})
    csv_body = client.get("/ui/directory/export.csv", params={"state": "Bihar", "district": "Aurangabad", "type": "cci"})
    assert csv_body.status_code == 200 and csv_body.text.startswith("type,name") and csv_body.text.count("\ncci,") == 2
    _login_page(client, "police_aur")
    page = client.get("/ui/directory", params={"q": "kotwali"})
    assert page.status_code == 200 and "Kotwali" in page.text and 'id="directory-import"' not in page.text
    assert client.post("/ui/directory/import", data={"csrf": _login_page(client, "police_aur")},
                       files={"file": ("d.csv", GOOD_AND_BAD.encode(), "text/csv")}).status_code == 403  # fmt: skip


def test_cli_import_and_export(settings: Settings, tmp_path: Path) -> None:
    with open_resources(settings) as res:
        add_users(res, password=PASSWORD, people=PEOPLE)
    runner = CliRunner()
    source = tmp_path / "directory.csv"
    source.write_text(GOOD_AND_BAD, encoding="utf-8")
    result = runner.invoke(cli_app, ["directory", "import", str(source), "--as", "dcpu_aur"])
    assert result.exit_code == 1, result.output  # some rows refused
    assert f"{source}:line 5, type:" in result.output and "4 created, 0 updated" in result.output
    target = tmp_path / "out.csv"
    result = runner.invoke(cli_app, ["directory", "export", "--as", "police_aur", "--out", str(target), "--state", "Bihar"])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").count("\n") == 5
    result = runner.invoke(cli_app, ["directory", "import", str(target), "--as", "dcpu_aur"])
    assert result.exit_code == 0 and "0 created, 4 updated" in result.output, result.output
    result = runner.invoke(cli_app, ["directory", "import", str(target), "--as", "police_aur"])
    assert result.exit_code == 2 and "may not directory maintain" in result.output
