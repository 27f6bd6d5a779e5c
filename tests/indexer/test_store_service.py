"""The store on SQLite and PostgreSQL: idempotent upserts, reads, filters, pending index state."""

from __future__ import annotations

import pytest

from indexer import count_records, find_records_by_id, get_record, get_record_or_raise, iter_records, list_records, parse_record
from indexer.errors import RecordNotFound
from indexer.store import UpsertOutcome, delete_record, mark_indexed, upsert_records
from tests.factories import found_child, missing_report


def _upsert(session_factory, *raw: dict) -> list[UpsertOutcome]:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        results = upsert_records(session=session, records=[parse_record(r) for r in raw])
        session.commit()
    return [r.outcome for r in results]


def test_create_then_unchanged_then_updated(session_factory) -> None:  # type: ignore[no-untyped-def]
    report = missing_report(id="MP-1")
    assert _upsert(session_factory, report) == [UpsertOutcome.CREATED]
    assert _upsert(session_factory, report) == [UpsertOutcome.UNCHANGED]
    assert _upsert(session_factory, {**report, "age": 10}) == [UpsertOutcome.UPDATED]
    with session_factory() as session:
        stored = get_record_or_raise(session=session, kind="missing", record_id="MP-1")
        assert stored.record.age == 10
        assert count_records(session=session).missing == 1


def test_same_id_in_both_registers_is_two_records(session_factory) -> None:  # type: ignore[no-untyped-def]
    _upsert(session_factory, missing_report(id="X-9"), found_child(id="X-9"))
    with session_factory() as session:
        assert {s.record.kind for s in find_records_by_id(session=session, record_id="X-9")} == {"missing", "found"}


def test_last_occurrence_in_a_batch_wins(session_factory) -> None:  # type: ignore[no-untyped-def]
    _upsert(session_factory, found_child(id="FC-1", age=5), found_child(id="FC-1", age=6))
    with session_factory() as session:
        assert get_record(session=session, kind="found", record_id="FC-1").record.age == 6  # type: ignore[union-attr]
        assert count_records(session=session).found == 1


def test_missing_record_raises_with_kind_and_id(session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_factory() as session, pytest.raises(RecordNotFound, match="MP-404"):
        get_record_or_raise(session=session, kind="missing", record_id="MP-404")


def test_list_filters(session_factory) -> None:  # type: ignore[no-untyped-def]
    _upsert(
        session_factory,
        missing_report(id="A", sex="M"),
        missing_report(id="B", sex="F"),
        missing_report(id="C", sex=""),
        found_child(id="D", place={"state": "West Bengal", "district": "Howrah"}),
    )
    with session_factory() as session:
        assert {s.record.id for s in list_records(session=session, kind="missing", sex="M")} == {"A", "C"}
        assert [s.record.id for s in list_records(session=session, state="west bengal")] == ["D"]
        assert [s.record.id for s in list_records(session=session, limit=2, offset=1)] == ["B", "C"]


def test_changed_records_are_pending_until_marked(session_factory) -> None:  # type: ignore[no-untyped-def]
    _upsert(session_factory, missing_report(id="P1"), missing_report(id="P2"))
    with session_factory() as session:
        assert count_records(session=session).pending_index == 2
        stored = get_record(session=session, kind="missing", record_id="P1")
        mark_indexed(session=session, indexed=[("missing", "P1", stored.content_hash)])  # type: ignore[union-attr]
        session.commit()
        assert [s.record.id for s in iter_records(session=session, only_pending=True)] == ["P2"]
    _upsert(session_factory, missing_report(id="P1", age=3))
    with session_factory() as session:
        assert count_records(session=session).pending_index == 2


def test_delete(session_factory) -> None:  # type: ignore[no-untyped-def]
    _upsert(session_factory, found_child(id="GONE"))
    with session_factory() as session:
        assert delete_record(session=session, kind="found", record_id="GONE")
        assert not delete_record(session=session, kind="found", record_id="GONE")
        session.commit()
        assert get_record(session=session, kind="found", record_id="GONE") is None


def test_iter_records_pages_through_everything(session_factory) -> None:  # type: ignore[no-untyped-def]
    _upsert(session_factory, *[missing_report(id=f"M{i:03d}") for i in range(25)])
    with session_factory() as session:
        ids = [s.record.id for s in iter_records(session=session, batch_size=4)]
    assert ids == [f"M{i:03d}" for i in range(25)]


def test_unicode_names_round_trip(session_factory) -> None:  # type: ignore[no-untyped-def]
    _upsert(session_factory, found_child(id="U1", name="রাকেশ", father_name="राजेश"))
    with session_factory() as session:
        stored = get_record(session=session, kind="found", record_id="U1")
    assert stored is not None and stored.record.name == "রাকেশ" and stored.record.father_name == "राजेश"


def test_iter_records_of_one_kind(session_factory) -> None:  # type: ignore[no-untyped-def]
    _upsert(session_factory, missing_report(id="K1"), found_child(id="K2"), missing_report(id="K3"))
    with session_factory() as session:
        assert [s.record.id for s in iter_records(session=session, kind="missing", batch_size=1)] == ["K1", "K3"]
        assert [s.record.id for s in iter_records(session=session, kind="found")] == ["K2"]
