"""Within-register duplicates: one child reported at two stations, or admitted to two homes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from indexer import parse_record
from search_api.app import create_app
from search_api.cli import app as cli
from search_api.config import Settings
from search_api.fusion.features.names import given_names_agree, parents_given_names_agree
from search_api.fusion.views import ChildView
from tests.factories import add_users, missing_report, run_match_jobs

PASSWORD = "duplicates password 2026"


def view(**fields) -> ChildView:  # type: ignore[no-untyped-def]
    return ChildView.of(parse_record(missing_report(**fields)))


@pytest.mark.parametrize(
    ("left", "right", "given", "parents"),
    [
        # same child, spelt differently, father named on one side only
        ({"name": "Pooja Sen", "father_name": "Rahul Sen"}, {"name": "Puja Sen", "father_name": ""}, True, None),
        # same name, same town, different fathers: two girls
        ({"name": "Pooja Sen", "father_name": "Rahul Sen"}, {"name": "Pooja Sen", "father_name": "Amit Sen"}, True, False),
        # same family name only: siblings or cousins, not one child
        ({"name": "Isha Rajput", "father_name": "Sachin Rajput"}, {"name": "Anu Rajput", "father_name": "Sachin Rajput"}, False, True),
        # the mother against the father is no evidence either way
        ({"name": "Arjun Sharma", "father_name": "Kuldeep Sharma", "mother_name": ""},
         {"name": "Arjun Sharma", "father_name": "", "mother_name": "Sita Devi"}, True, None),
        # Devanagari against Latin
        ({"name": "राकेश कुमार", "father_name": "सुरेश कुमार"}, {"name": "Rakesh Kumar", "father_name": "Suresh Kumar"}, True, True),
    ],
)  # fmt: skip
def test_same_register_gates(left: dict, right: dict, given: bool | None, parents: bool | None) -> None:
    a, b = view(**left), view(**right)
    assert given_names_agree(a, b) is given
    assert parents_given_names_agree(a, b) is parents


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        res = test_client.app.state.resources
        people = [
            ("kotwali", "police", "Bihar", "Patna", "Patna Kotwali"),
            ("gandhi_maidan", "police", "Bihar", "Patna", "Gandhi Maidan PS"),
            ("officer", "dcpu", "Bihar", "Patna", ""),
            ("gaya_officer", "dcpu", "Bihar", "Gaya", ""),
        ]
        add_users(res, password=PASSWORD, people=people)
        yield test_client


def auth(client: TestClient, username: str) -> dict[str, str]:
    token = client.post("/auth/token", data={"username": username, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def file_and_match(client: TestClient, record: dict, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    """File a record, then run its match job (as the server's match worker does after the answer)."""
    answer = client.post("/records", json=record, headers=headers)
    assert answer.status_code == 201 and answer.json()["matching"] == "queued", answer.text
    return run_match_jobs(client.app.state.resources)  # type: ignore[attr-defined]


def test_a_child_reported_at_two_stations_is_flagged_once_and_decided(client: TestClient) -> None:
    first = missing_report(id="MP-DUP-1", name="Kajal Kumari", sex="F", age=7, father_name="Manoj Paswan", marks="mole on chin",
                           police_station="Patna Kotwali", date="2026-03-02")  # fmt: skip
    second = missing_report(id="MP-DUP-2", name="Kajol Kumari", sex="F", age=7, father_name="Manoj Paswan", marks="mole on chin",
                            police_station="Gandhi Maidan PS", date="2026-03-04")  # fmt: skip
    other = missing_report(id="MP-DUP-3", name="Kajal Kumari", sex="F", age=7, father_name="Ramesh Yadav",
                           police_station="Patna Kotwali", date="2026-03-03")  # fmt: skip
    assert file_and_match(client, first, auth(client, "kotwali")).flagged == 0
    assert file_and_match(client, other, auth(client, "kotwali")).flagged == 0  # another father
    assert file_and_match(client, second, auth(client, "gandhi_maidan")).flagged == 1
    officer = auth(client, "officer")
    flags = client.get("/review/duplicates", headers=officer).json()
    assert [(f["key_a"], f["key_b"]) for f in flags] == [("missing:MP-DUP-1", "missing:MP-DUP-2")]
    listed = client.get("/records/missing/MP-DUP-2/duplicates", headers=officer).json()
    assert listed[0]["id"] == "MP-DUP-1"
    # the district of neither record may not decide; the district's DCPU may
    pk = flags[0]["pk"]
    body = {"decision": "distinct", "note": "two girls, checked with both families"}
    assert client.post(f"/review/duplicates/{pk}/decision", json=body, headers=auth(client, "gaya_officer")).status_code == 403
    assert client.get("/review/duplicates", headers=auth(client, "gaya_officer")).json() == []
    decided = client.post(f"/review/duplicates/{pk}/decision", json=body, headers=officer)
    assert decided.status_code == 200 and decided.json()["status"] == "distinct" and decided.json()["decided_by"] == "officer"
    # looking again with the same evidence does not bring it back
    client.get("/records/missing/MP-DUP-2/duplicates", headers=officer)
    assert client.get("/review/duplicates", headers=officer).json() == []


def test_duplicates_command_writes_one_line_per_record(settings: Settings, tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    rows = [
        missing_report(id="MP-C-1", name="Sonu Kumar", father_name="Rajesh Kumar", date="2026-01-01"),
        missing_report(id="MP-C-2", name="Sonu Kumar", father_name="Rajesh Kumar", date="2026-01-05", police_station="Danapur PS"),
        missing_report(id="MP-C-3", name="Meena Devi", sex="F", father_name="Mohan Lal"),
    ]
    records.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(records), "--no-match"]).exit_code == 0
    out = tmp_path / "dups.jsonl"
    result = runner.invoke(cli, ["duplicates", "--kind", "missing", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = {json.loads(line)["id"]: json.loads(line)["candidates"] for line in out.read_text().splitlines()}
    assert set(lines) == {"MP-C-1", "MP-C-2", "MP-C-3"}
    assert lines["MP-C-1"][0]["id"] == "MP-C-2" and lines["MP-C-3"] == []
