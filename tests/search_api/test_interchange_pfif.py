"""Interchange (issue 16, part 5): PFIF 1.4 export and import, and the CSV export, on a real store
(SQLite, tantivy): round trips of the sample records, the XSD, hostile XML, status notes, roles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from indexer import iter_records, parse_record
from search_api.audit.models import AuditEntryRow
from search_api.config import Settings
from search_api.interchange import HostileXml, PfifError, PfifRefused, export_csv, export_pfif, import_pfif, pfif
from search_api.policy import PermissionDenied
from search_api.resources import Resources, open_resources
from search_api.review import flows as review_flows
from search_api.review import service as review
from search_api.users.models import UserRow
from tests.conftest import SAMPLE_RECORDS
from tests.factories import add_users

PASSWORD = "a long enough password"
PFIF = "{http://zesty.ca/pfif/1.4}"


def _open(data_dir: Path) -> Resources:
    return open_resources(Settings(data_dir=data_dir))


@pytest.fixture
def res(settings: Settings) -> Iterator[Resources]:
    res = open_resources(settings)
    report = res.ingestor().ingest_file(SAMPLE_RECORDS)
    assert report.ok and report.created == 26
    add_users(res, password=PASSWORD, people=[
        ("admin1", "admin", "", "", ""),
        ("dcpu_kolkata", "dcpu", "West Bengal", "Kolkata", ""),
        ("state_up", "state", "Uttar Pradesh", "", ""),
        ("constable", "police", "West Bengal", "Kolkata", "Kolkata Sadar Bazar"),
    ])  # fmt: skip
    yield res
    res.close()


def _user(res: Resources, username: str) -> UserRow:
    with res.session_factory() as session:
        user = session.scalar(select(UserRow).where(UserRow.username == username))
        session.expunge(user)
        return user


def _export(res: Resources, username: str, **kw) -> bytes:  # type: ignore[no-untyped-def]
    with res.session_factory() as session:
        body = export_pfif(session=session, user=_user(res, username), **kw)
        session.commit()
    return body


def _records(res: Resources) -> dict[str, dict]:
    with res.session_factory() as session:
        return {s.key: s.record.model_dump(mode="json") for s in iter_records(session=session)}


def _confirm(res: Resources, missing: str, found: str) -> int:
    with res.session_factory() as session:
        pair = review.enqueue(session=session, missing_key=f"missing:{missing}", found_key=f"found:{found}", score=0.9, explanation={},
                              evidence="x", missing_district="Kolkata", found_district="Gorakhpur",
                              missing_state="West Bengal", found_state="Uttar Pradesh")  # fmt: skip
        session.commit()
        pk = pair.pk
    with res.session_factory() as session:
        review_flows.decide_pair(res=res, session=session, pair_pk=pk, decision="confirm", note="same child", user=_user(res, "admin1"))
        session.commit()
    return pk


def test_pfif_round_trips_the_sample_records_through_the_ingest(res: Resources, tmp_path: Path) -> None:
    body = _export(res, "admin1")
    root = pfif.parse(body)
    assert pfif.schema_errors(root) == []
    assert len(root.findall(PFIF + "person")) == 26
    # a fresh store gets every mapped field back, through the normal ingest path
    other = _open(tmp_path / "other")
    try:
        result = import_pfif(ingestor=other.ingestor(), data=body, source="export.pfif.xml")
        assert result.report.ok and result.report.created == 26 and result.persons == 26 and result.notes == 26
        assert result.schema_errors == [] and result.mapping_warnings == []
        assert _records(other) == _records(res)
        # importing it again changes nothing
        again = import_pfif(ingestor=other.ingestor(), data=body, source="export.pfif.xml")
        assert again.report.unchanged == 26 and again.report.created == again.report.updated == 0
    finally:
        other.close()


def test_pfif_carries_pfif_fields_a_reader_understands(res: Resources) -> None:
    root = pfif.parse(_export(res, "admin1"))
    person = next(p for p in root.findall(PFIF + "person") if p.findtext(PFIF + "person_record_id") == "trackchild.in/missing.MP-000001")
    assert person.findtext(PFIF + "full_name") == "Abha Kumari"
    assert person.findtext(PFIF + "alternate_names") == "Dolly"
    assert person.findtext(PFIF + "sex") == "female"
    assert person.findtext(PFIF + "age") == "9"
    assert person.findtext(PFIF + "home_city") == "Chennai" and person.findtext(PFIF + "home_state") == "Tamil Nadu"
    assert person.findtext(PFIF + "author_name") == "Chennai Sadar Bazar"
    note = person.find(PFIF + "note")
    assert note.findtext(PFIF + "status") == "believed_missing" and note.findtext(PFIF + "text") == "TrackChild status: open"
    # without extensions the document is plain PFIF and still valid
    plain = pfif.parse(_export(res, "admin1", extensions=False))
    assert pfif.schema_errors(plain) == [] and b"trackchild-extension" not in pfif.to_bytes(plain)


def test_notes_carry_confirmed_status_changes_and_link_only_what_the_user_sees(res: Resources, tmp_path: Path) -> None:
    pk = _confirm(res, "MP-000005", "FC-000000")

    def notes_of(body: bytes, pfif_id: str) -> list:
        root = pfif.parse(body)
        assert pfif.schema_errors(root) == []
        person = next(p for p in root.findall(PFIF + "person") if p.findtext(PFIF + "person_record_id") == pfif_id)
        return person.findall(PFIF + "note")

    admin = _export(res, "admin1")
    status, match = notes_of(admin, "trackchild.in/missing.MP-000005")
    assert status.findtext(PFIF + "status") == "believed_alive" and status.findtext(PFIF + "text") == "TrackChild status: traced"
    assert match.findtext(PFIF + "note_record_id") == f"trackchild.in/review.{pk}.missing"
    assert match.findtext(PFIF + "status") == "believed_alive"
    assert match.findtext(PFIF + "linked_person_record_id") == "trackchild.in/found.FC-000000"
    found_status, found_match = notes_of(admin, "trackchild.in/found.FC-000000")
    assert found_status.findtext(PFIF + "text") == "TrackChild status: restored"
    assert found_match.findtext(PFIF + "linked_person_record_id") == "trackchild.in/missing.MP-000005"
    # the Kolkata DCPU sees its report's match, but not the id of a child outside its district
    _status, kolkata_match = notes_of(_export(res, "dcpu_kolkata"), "trackchild.in/missing.MP-000005")
    assert kolkata_match.findtext(PFIF + "status") == "believed_alive"
    assert kolkata_match.find(PFIF + "linked_person_record_id") is None
    assert b"FC-000000" not in _export(res, "dcpu_kolkata")
    # the traced status survives a round trip into another store
    other = _open(tmp_path / "other")
    try:
        assert import_pfif(ingestor=other.ingestor(), data=admin, source="x").report.ok
        assert _records(other)["missing:MP-000005"]["status"] == "traced"
        assert _records(other)["found:FC-000000"]["status"] == "restored"
    finally:
        other.close()


def test_export_is_role_limited_and_audited(res: Resources) -> None:
    root = pfif.parse(_export(res, "dcpu_kolkata"))
    ids = {p.findtext(PFIF + "person_record_id") for p in root.findall(PFIF + "person")}
    assert ids == {"trackchild.in/missing.MP-000005", "trackchild.in/missing.MP-000006", "trackchild.in/found.FC-000002"}
    with pytest.raises(PermissionDenied), res.session_factory() as session:
        export_pfif(session=session, user=_user(res, "constable"))
    with pytest.raises(PermissionDenied), res.session_factory() as session:
        export_csv(session=session, user=_user(res, "constable"))
    with res.session_factory() as session:
        lines = export_csv(session=session, user=_user(res, "state_up"))
        session.commit()
    assert len(lines) == 1 + sum(1 for r in _records(res).values() if r["place"]["state"] == "Uttar Pradesh")
    with res.session_factory() as session:
        entries = list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "export").order_by(AuditEntryRow.seq)))
    assert [(e.username, e.detail.get("format"), e.detail["results"]) for e in entries] == [
        ("dcpu_kolkata", "pfif", 3),
        ("state_up", "csv", len(lines) - 1),
    ]


HOSTILE = {
    "entity expansion": b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person><pfif:full_name>&lol3;</pfif:full_name></pfif:person></pfif:pfif>""",
    "external entity": b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person><pfif:full_name>&secret;</pfif:full_name></pfif:person></pfif:pfif>""",
    "external DTD": b"""<?xml version="1.0"?>
<!DOCTYPE pfif SYSTEM "http://127.0.0.1:9/pfif.dtd">
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"/>""",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_before_anything_is_expanded(name: str, res: Resources) -> None:
    with pytest.raises(HostileXml, match="refused: the document declares a DTD or entities"):
        import_pfif(ingestor=res.ingestor(), data=HOSTILE[name], source="hostile.xml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<pfif:pfif xmlns:pfif='http://zesty.ca/pfif/1.4'><pfif:person>", "not well-formed XML"),
        (b"<pfif xmlns='http://zesty.ca/pfif/1.3'/>", "not a PFIF 1.4 document"),
        (b"", "not well-formed XML"),
    ],
)
def test_malformed_xml_is_refused_with_a_clear_error(data: bytes, message: str, res: Resources) -> None:
    with pytest.raises(PfifError, match=message):
        import_pfif(ingestor=res.ingestor(), data=data, source="bad.xml")


FOREIGN = b"""<?xml version="1.0" encoding="utf-8"?>
<pfif xmlns="http://zesty.ca/pfif/1.4">
  <person>
    <person_record_id>example.org/person.42</person_record_id>
    <author_name>A volunteer</author_name>
    <source_date>2026-01-02T03:04:05Z</source_date>
    <full_name>Ravi Kumar</full_name>
    <sex>boy</sex>
    <age>8-10</age>
    <home_city>Patna</home_city>
    <home_postal_code>800001</home_postal_code>
    <note>
      <note_record_id>example.org/note.7</note_record_id>
      <author_name>A volunteer</author_name>
      <source_date>2026-01-03T00:00:00Z</source_date>
      <status>believed_alive</status>
      <text>Seen at the station</text>
    </note>
  </person>
</pfif>
"""


def test_a_foreign_record_is_kept_whole_and_its_bad_field_named(res: Resources) -> None:
    # sex "boy" breaks the schema: strict refuses the file, naming the element
    with pytest.raises(PfifRefused, match="sex"):
        import_pfif(ingestor=res.ingestor(), data=FOREIGN, source="foreign.xml", strict=True)
    result = import_pfif(ingestor=res.ingestor(), data=FOREIGN, source="foreign.xml")
    assert result.report.ok and result.report.created == 1
    assert any("sex" in e for e in result.schema_errors)
    record = _records(res)["missing:example.org~person.42"]
    assert record["name"] == "Ravi Kumar" and record["sex"] == "M"  # read as registers write it
    assert record["age"] == 9 and record["age_is_estimate"] is True
    assert record["status"] == "open"  # another source's note does not close a case
    assert "[PFIF author_name] A volunteer" in record["description"] and "[PFIF home_postal_code] 800001" in record["description"]
    warnings = " ".join(result.mapping_warnings)
    assert "person 1 (example.org/person.42)" in warnings and "not applied" in warnings and "home_postal_code" in warnings


def test_a_field_our_record_refuses_names_the_record_and_field(res: Resources) -> None:
    body = _export(res, "admin1").replace(b'<tc:field name="height_cm">117</tc:field>', b'<tc:field name="height_cm">tall</tc:field>')
    result = import_pfif(ingestor=res.ingestor(), data=body, source="x.xml")
    assert result.report.ok  # the child is kept, the field cleared (on re-import the stored value stays)
    problem = next(w for w in result.report.warnings if w.field == "height_cm")
    assert problem.record_id == "MP-000001" and problem.value == "'tall'"
    rejected = import_pfif(ingestor=res.ingestor(), data=body, source="x.xml", strict=True)
    assert [(p.record_id, p.field) for p in rejected.report.rejected] == [("MP-000001", "height_cm")]


def test_csv_export_round_trips_through_ingest(res: Resources, tmp_path: Path) -> None:
    with res.session_factory() as session:
        lines = export_csv(session=session, user=_user(res, "admin1"))
        session.commit()
    path = tmp_path / "export.csv"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    other = _open(tmp_path / "other")
    try:
        report = other.ingestor().ingest_file(path)
        assert report.ok and report.created == 26 and not [w for w in report.warnings if "future" not in w.message]
        assert _records(other) == _records(res)
    finally:
        other.close()


def test_csv_cells_that_a_spreadsheet_would_run_are_defused() -> None:
    from search_api.interchange.service import _cell

    assert _cell('=HYPERLINK("http://x")').startswith("'=")
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("+91 98765 43210") == "+91 98765 43210"  # a phone number stays as it is
    assert _cell(["Tamil", "Hindi"]) == "Tamil;Hindi" and _cell(True) == "true" and _cell(117.0) == "117"


def test_cli_pfif_export_and_import(res: Resources, settings: Settings, tmp_path: Path) -> None:
    from search_api.cli import app

    runner = CliRunner()
    out = tmp_path / "records.pfif.xml"
    done = runner.invoke(app, ["pfif", "export", "--as", "dcpu_kolkata", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "exported 3 person records" in done.output and pfif.schema_errors(pfif.parse(out.read_bytes())) == []
    refused = runner.invoke(app, ["pfif", "export", "--as", "constable", "--out", str(tmp_path / "no.xml")])
    assert refused.exit_code == 2
    imported = runner.invoke(app, ["pfif", "import", str(out)])
    assert imported.exit_code == 0, imported.output
    assert "3 persons, 3 notes: 0 created, 0 updated, 3 unchanged, 0 rejected" in imported.output
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(HOSTILE["external entity"])
    bad = runner.invoke(app, ["pfif", "import", str(hostile)])
    assert bad.exit_code == 2 and "refused" in bad.output
    csv_out = tmp_path / "records.csv"
    done = runner.invoke(app, ["export", "--as", "state_up", "--out", str(csv_out), "--format", "csv"])
    assert done.exit_code == 0, done.output
    assert csv_out.read_text(encoding="utf-8").splitlines()[0].startswith("kind,id,status,name")
    with res.session_factory() as session:
        imports = list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "ingest")))
    assert any(e.detail.get("format") == "pfif" and e.detail["persons"] == 3 for e in imports)


def test_sample_records_parse() -> None:  # the fixture the round trips rely on
    records = [parse_record(json.loads(line)) for line in SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(records) == 26
