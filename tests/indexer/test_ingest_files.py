"""Ingestion: JSONL and CSV, per-row errors naming line/id/field, idempotence, photos, repair."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from indexer import Ingestor, TextIndexConfig, count_records, get_record, open_text_index, photo_paths
from tests.conftest import SAMPLE_RECORDS
from tests.factories import found_child, missing_report


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_sample_loads_and_is_searchable(ingestor: Ingestor) -> None:
    report = ingestor.ingest_file(SAMPLE_RECORDS)
    assert (report.rows, report.created, report.rejected_rows) == (26, 26, 0)
    assert ingestor.index.count() == 26
    # FC-000003's date is in 2028: kept, with a warning naming line, id and field
    assert any(w.record_id == "FC-000003" and w.field == "date" for w in report.warnings)
    assert ingestor.index.search("Hamsini", limit=1)[0].id in {"MP-000000", "FC-000001"}


def test_reimport_is_idempotent_and_updates_in_place(ingestor: Ingestor, tmp_path: Path) -> None:
    ingestor.ingest_file(SAMPLE_RECORDS)
    again = ingestor.ingest_file(SAMPLE_RECORDS)
    assert (again.created, again.updated, again.unchanged, again.indexed) == (0, 0, 26, 0)
    rows = [json.loads(line) for line in SAMPLE_RECORDS.read_text().splitlines()]
    rows[0]["name"] = "Abha Rani"
    changed = ingestor.ingest_file(write_jsonl(tmp_path / "changed.jsonl", rows))
    assert (changed.updated, changed.unchanged) == (1, 25)
    assert ingestor.index.count() == 26
    assert [h.id for h in ingestor.index.search("Abha Rani", limit=1)] == ["MP-000001"]


def _mixed(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            missing_report(id="OK-1"),
            "{this is not json",
            missing_report(id="BAD-AGE", age=99.5),
            found_child(id="BAD-SEX", sex="boyish", place={"lat": 1.0}),
            "[1, 2, 3]",
            found_child(id="OK-2"),
            {"id": "NO-KIND", "name": "x"},
            found_child(id="MP/7"),
        ],
    )


def test_only_rows_that_cannot_be_records_are_rejected_bad_fields_are_cleared(ingestor: Ingestor, tmp_path: Path) -> None:
    report = ingestor.ingest_file(_mixed(tmp_path))
    assert (report.created, report.rejected_rows) == (4, 4)
    rejected = {(p.line, p.record_id, p.field) for p in report.rejected}
    assert (7, None, "record") in rejected or any(p.line == 7 for p in report.rejected)  # no kind
    assert any(p.line == 8 and p.field == "id" for p in report.rejected)  # no usable id
    assert any(p.line == 2 and "invalid JSON" in p.message for p in report.rejected)
    assert any(p.line == 5 and "JSON object" in p.message for p in report.rejected)
    warned = {(p.line, p.record_id, p.field, p.value) for p in report.warnings}
    assert (3, "BAD-AGE", "age", "99.5") in warned
    assert (4, "BAD-SEX", "sex", "'boyish'") in warned
    assert (4, "BAD-SEX", "place.lat", "1.0") in warned
    with ingestor.session_factory() as session:
        kept = get_record(session=session, kind="found", record_id="BAD-SEX")
    assert kept is not None and kept.record.sex == "" and kept.record.place.lat is None
    # warnings go to a file beside the rejected rows, one JSON line each
    assert report.warnings_file is not None and report.warnings_file.parent == report.rejected_file.parent  # type: ignore[union-attr]
    lines = [json.loads(line) for line in report.warnings_file.read_text().splitlines()]
    assert {"line": 3, "id": "BAD-AGE", "field": "age", "value": "99.5"}.items() <= lines[0].items()
    assert len(lines) == len(report.warnings)


def test_strict_keeps_all_or_nothing_field_validation(ingestor: Ingestor, tmp_path: Path) -> None:
    report = ingestor.ingest_file(_mixed(tmp_path), strict=True)
    assert (report.created, report.rejected_rows) == (2, 6)
    problems = {(p.line, p.record_id, p.field) for p in report.rejected}
    assert (3, "BAD-AGE", "age") in problems
    assert (4, "BAD-SEX", "sex") in problems
    assert (4, "BAD-SEX", "place") in problems
    assert not report.ok
    rejected = [json.loads(line) for line in report.rejected_file.read_text().splitlines()]  # type: ignore[union-attr]
    assert [r["line"] for r in rejected] == [2, 3, 4, 5, 7, 8]
    assert rejected[1]["raw"].startswith("{") and rejected[1]["errors"][0]["field"] == "age"


def test_a_bad_cell_never_erases_what_is_stored(ingestor: Ingestor, tmp_path: Path) -> None:
    ingestor.ingest_file(write_jsonl(tmp_path / "a.jsonl", [missing_report(id="KEEP", name="Pooja Devi", height_cm=120)]))
    again = ingestor.ingest_file(
        write_jsonl(tmp_path / "b.jsonl", [missing_report(id="KEEP", name="Pooja Devi", age="not a number", height_cm="tall")])
    )
    assert again.rejected_rows == 0 and {w.field for w in again.warnings} == {"age", "height_cm"}
    with ingestor.session_factory() as session:
        stored = get_record(session=session, kind="missing", record_id="KEEP")
    assert stored is not None and stored.record.age == 9 and stored.record.height_cm == 120
    strict = ingestor.ingest_file(write_jsonl(tmp_path / "c.jsonl", [missing_report(id="KEEP", age="old")]), strict=True)
    assert strict.rejected_rows == 1


def test_csv_with_nested_columns_and_lists(ingestor: Ingestor, tmp_path: Path) -> None:
    path = tmp_path / "cci.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "id", "name", "aliases", "sex", "age", "place.city", "place.state", "place.lat", "place.lon", "languages"])
        writer.writerow(["found", "C-1", "রাকেশ", "Raju;Rocky", "M", "11", "Howrah", "West Bengal", "22.6", "88.3", "Bengali;Hindi"])
        writer.writerow(["found", "C-2", "Pinky", "", "F", "", "Patna", "Bihar", "", "", ""])
        writer.writerow(["found", "C-3", "Bad", "", "Q", "7", "", "", "", "", ""])
    report = ingestor.ingest_file(path)
    assert (report.created, report.rejected_rows) == (3, 0)
    assert {(p.line, p.record_id, p.field) for p in report.warnings} == {(4, "C-3", "sex")}
    with ingestor.session_factory() as session:
        stored = get_record(session=session, kind="found", record_id="C-1")
    assert stored is not None
    assert stored.record.aliases == ["Raju", "Rocky"] and stored.record.place.lat == 22.6
    assert [h.id for h in ingestor.index.search("Rakesh", limit=1)] == ["C-1"]


def test_photos_are_copied_content_addressed(ingestor: Ingestor, tmp_path: Path) -> None:
    source = tmp_path / "upload"
    source.mkdir()
    Image.new("RGB", (40, 40), (200, 120, 90)).save(source / "child.jpg")
    shutil.copy(source / "child.jpg", source / "same-child.jpg")
    path = write_jsonl(
        source / "records.jsonl",
        [found_child(id="P-1", photos=["child.jpg", "same-child.jpg"]), found_child(id="P-2", photos=["nope.jpg"])],
    )
    report = ingestor.ingest_file(path)
    # a missing photo file is that photo's problem: the child is kept without it, with a warning
    assert report.created == 2 and report.rejected == []
    assert [(p.line, p.record_id, p.field) for p in report.warnings] == [(2, "P-2", "photos[0]")]
    assert ingestor.ingest_file(path, strict=True).rejected_rows == 1
    with ingestor.session_factory() as session:
        assert get_record(session=session, kind="found", record_id="P-2").record.photos == []  # type: ignore[union-attr]
        stored = get_record(session=session, kind="found", record_id="P-1")
        paths = photo_paths(session=session, kind="found", record_id="P-1")
    assert stored is not None
    assert stored.record.photos[0] == stored.record.photos[1]  # identical bytes, one stored file
    assert len(paths) == 1 and paths[0].startswith("photos/")
    stored_file = ingestor.photo_store.data_dir / paths[0]
    assert stored_file.read_bytes() == (source / "child.jpg").read_bytes()
    (source / "child.jpg").unlink()  # the store never references the upload in place
    assert stored_file.exists()


def test_reindex_gives_identical_results(ingestor: Ingestor) -> None:
    ingestor.ingest_file(SAMPLE_RECORDS)
    queries = ["Hamsini Chad", "anuz", "आदि", "scar on chin", "Kumar", "Rak"]
    before = {q: [(h.key, round(h.score, 4)) for h in ingestor.index.search(q, limit=10)] for q in queries}
    assert ingestor.reindex() == 26
    after = {q: [(h.key, round(h.score, 4)) for h in ingestor.index.search(q, limit=10)] for q in queries}
    assert before == after


class _IndexThatCrashesOnCommit:
    """The real tantivy index, failing at commit: a crash between the store and the index."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    def commit(self) -> None:
        raise RuntimeError("simulated crash before the index commit")


def test_index_failure_after_store_commit_is_repaired_by_rerun(ingestor: Ingestor, tmp_path: Path) -> None:
    real_index = ingestor.index
    crashing = Ingestor(
        session_factory=ingestor.session_factory, index=_IndexThatCrashesOnCommit(real_index), photo_store=ingestor.photo_store
    )  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashing.ingest_file(SAMPLE_RECORDS)
    real_index.close()  # the writer's uncommitted documents die with the process
    with ingestor.session_factory() as session:
        counts = count_records(session=session)
    assert counts.total == 26 and counts.pending_index == 26  # stored, not yet known to be indexed
    restarted_index = open_text_index(TextIndexConfig(backend="tantivy", tantivy_path=real_index.path))
    assert restarted_index.count() == 0
    restarted = Ingestor(session_factory=ingestor.session_factory, index=restarted_index, photo_store=ingestor.photo_store)
    report = restarted.ingest_file(SAMPLE_RECORDS)
    assert report.unchanged == 26 and report.indexed == 26  # repaired from the store
    assert restarted_index.count() == 26  # and no duplicates
    with ingestor.session_factory() as session:
        assert count_records(session=session).pending_index == 0
    restarted_index.close()


def test_photo_paths_stay_inside_the_import_folder_and_must_be_images(ingestor: Ingestor, tmp_path: Path) -> None:
    folder, outside = tmp_path / "register", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    Image.new("RGB", (40, 40), (200, 120, 90)).save(folder / "child.jpg")
    Image.new("RGB", (40, 40), (20, 120, 90)).save(outside / "other.jpg")
    (folder / "notes.jpg").write_text("a text file named .jpg")
    secret = ingestor.photo_store.data_dir / "secret.jpg"
    secret.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(folder / "child.jpg", secret)
    rows = [
        found_child(id="T-1", photos=["child.jpg", "../elsewhere/other.jpg"]),
        found_child(id="T-2", photos=[str(outside / "other.jpg")]),
        found_child(id="T-3", photos=["notes.jpg"]),
        found_child(id="T-4", photos=["photos/../secret.jpg", "photos/../../elsewhere/other.jpg"]),
    ]
    report = ingestor.ingest_file(write_jsonl(folder / "records.jsonl", rows))
    assert (report.created, report.rejected) == (4, [])  # every child is kept
    warned = {(p.line, p.record_id, p.field) for p in report.warnings}
    assert warned == {
        (1, "T-1", "photos[1]"),
        (2, "T-2", "photos[0]"),
        (3, "T-3", "photos[0]"),
        (4, "T-4", "photos[0]"),
        (4, "T-4", "photos[1]"),
    }
    assert any("not a JPEG" in p.message for p in report.warnings if p.record_id == "T-3")
    assert any("outside the photos folder" in p.message for p in report.warnings if p.record_id == "T-2")
    with ingestor.session_factory() as session:
        kept = {rid: get_record(session=session, kind="found", record_id=rid).record.photos for rid in ("T-1", "T-2", "T-3", "T-4")}  # type: ignore[union-attr]
    assert len(kept["T-1"]) == 1 and kept["T-1"][0].startswith("photos/") and kept["T-2"] == kept["T-3"] == kept["T-4"] == []
    # the operator may name the folder the photos live in: then paths resolve there
    again = ingestor.ingest_file(
        write_jsonl(folder / "more.jsonl", [found_child(id="T-5", photos=["elsewhere/other.jpg"])]), photos_root=tmp_path
    )
    assert again.warnings == [] and again.created == 1


def test_records_given_as_dicts_take_stored_photos_only(ingestor: Ingestor, tmp_path: Path) -> None:
    Image.new("RGB", (40, 40), (200, 120, 90)).save(tmp_path / "child.jpg")
    stored = ingestor.photo_store.put_file(tmp_path / "child.jpg")
    report = ingestor.ingest_records([found_child(id="D-1", photos=[stored.relpath, str(tmp_path / "child.jpg"), "photos/../x.jpg"])])
    assert report.created == 1
    assert [p.field for p in report.warnings] == ["photos[1]", "photos[2]"]
    assert all(str(tmp_path) not in p.message and "not found" not in p.message for p in report.warnings)
    with ingestor.session_factory() as session:
        assert get_record(session=session, kind="found", record_id="D-1").record.photos == [stored.relpath]  # type: ignore[union-attr]
