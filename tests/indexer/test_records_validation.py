"""The canonical record: what is accepted, what is rejected and how errors are named."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from indexer import FoundChild, MissingReport, parse_record
from tests.conftest import SAMPLE_RECORDS
from tests.factories import found_child, missing_report


def test_every_sample_record_parses() -> None:
    records = [parse_record(json.loads(line)) for line in SAMPLE_RECORDS.read_text().splitlines()]
    assert len(records) == 26
    assert {type(r) for r in records} == {MissingReport, FoundChild}


def test_defaults_follow_the_kind() -> None:
    missing = parse_record(missing_report())
    found = parse_record(found_child())
    assert (missing.status, missing.age_is_estimate) == ("open", False)
    assert (found.status, found.age_is_estimate) == ("in_care", True)


@pytest.mark.parametrize(("given", "stored"), [("m", "M"), ("Female", "F"), ("girl", "F"), ("", ""), (None, ""), ("unknown", "")])
def test_sex_spellings(given: str | None, stored: str) -> None:
    assert parse_record(missing_report(sex=given)).sex == stored


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sex": "boyish"}, "sex"),
        ({"age": 44}, "age"),
        ({"age": "nine"}, "age"),
        ({"date": "31/12/2024"}, "date"),
        ({"place": {"lat": 20.0}}, "place"),
        ({"nmae": "typo"}, "nmae"),
        ({"id": ""}, "id"),
        ({"id": "MP/12"}, "id"),
        ({"status": "in_care"}, "status"),  # a found status on a missing report
        ({"height_cm": 900}, "height_cm"),
        ({"reported_by": {"phone": "call me"}}, "reported_by.phone"),
    ],
)
def test_bad_fields_are_named(change: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_record(missing_report(**change))
    locations = [".".join(str(p) for p in e["loc"][1:]) for e in info.value.errors()]
    assert any(loc.startswith(field) for loc in locations), locations


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValidationError):
        parse_record({"kind": "lost", "id": "X1"})


def test_blank_and_null_values_mean_not_given() -> None:
    record = parse_record(missing_report(age="", height_cm=None, mother_name=None, date="", languages="Hindi; Bengali ;"))
    assert record.age is None and record.height_cm is None and record.date is None
    assert record.mother_name == ""
    assert record.languages == ["Hindi", "Bengali"]


def test_control_characters_are_removed_and_whitespace_stripped() -> None:
    record = parse_record(found_child(name="  Ra\x07hul \x00"))
    assert record.name == "Rahul"


def test_numeric_id_is_kept_as_text() -> None:
    assert parse_record(missing_report(id=12345)).id == "12345"


def test_record_key_distinguishes_kinds() -> None:
    assert parse_record(missing_report(id="A1")).key != parse_record(found_child(id="A1")).key
