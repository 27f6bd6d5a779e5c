"""Reading fields as registers export them: table-driven rows of (given, expected)."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.ingest.tidy import read_age, read_date, read_fields, read_height_cm, read_sex

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("given", "expected", "note"),
    [
        ("2024-01-12", dt.date(2024, 1, 12), None),
        ("25/12/2023", dt.date(2023, 12, 25), None),
        ("25-12-23", dt.date(2023, 12, 25), None),
        ("12/03/2024", dt.date(2024, 3, 12), "ambiguous: read day first as 12 Mar 2024 (month first it would be 03 Dec 2024)"),
        ("12-01-24", dt.date(2024, 1, 12), "ambiguous"),
        ("05.05.2024", dt.date(2024, 5, 5), None),  # day and month agree: nothing to say
        ("03/25/2024", dt.date(2024, 3, 25), "read month first"),
        ("12 Jan 2024", dt.date(2024, 1, 12), None),
        ("12-Jan-2024", dt.date(2024, 1, 12), None),
        ("1st March 2020", dt.date(2020, 3, 1), None),
        ("Jan 12, 2024", dt.date(2024, 1, 12), None),
        ("12 january 98", dt.date(1998, 1, 12), None),
        ("2024-01-12T10:00:00", dt.date(2024, 1, 12), None),
        ("00/00/0000", None, None),
        ("01/01/1900", None, None),
        ("NA", None, None),
        ("नहीं पता", None, None),
    ],
)
def test_dates(given: str, expected: dt.date | None, note: str | None) -> None:
    read, said = read_date(given, today=TODAY)
    assert read == expected
    assert (said is None) if note is None else (said is not None and said.startswith(note))


@pytest.mark.parametrize("given", ["yesterday", "31/02/2024", "13/13/2024", "12 Foo 2024"])
def test_not_dates(given: str) -> None:
    with pytest.raises(ValueError):
        read_date(given, today=TODAY)


@pytest.mark.parametrize(
    ("given", "years", "estimate"),
    [
        (7, 7.0, False),
        (0, 0.0, False),  # an infant, not a blank
        ("0", 0.0, False),
        ("5 yrs", 5.0, False),
        ("5 years old", 5.0, False),
        ("6 months", 0.5, False),
        ("18 mths", 1.5, False),
        ("3 years 6 months", 3.5, False),
        ("approx 10", 10.0, True),
        ("about 7 years", 7.0, True),
        ("10 (approx)", 10.0, True),
        ("लगभग 12", 12.0, True),
        ("8-10", 9.0, True),
        ("8 to 10 yrs", 9.0, True),
        (-1, None, False),
        (999, None, False),
        ("NA", None, False),
        ("not known", None, False),
    ],
)
def test_ages(given: object, years: float | None, estimate: bool) -> None:
    read, is_estimate, _ = read_age(given)
    assert (read, is_estimate) == (years, estimate)


@pytest.mark.parametrize(
    ("given", "cm"),
    [
        (127, 127.0),
        ("127", 127.0),
        ("127 cm", 127.0),
        ("127cms", 127.0),
        ("4 ft 2 in", 127.0),
        ("4'2\"", 127.0),
        ("4 feet", 121.9),
        ("50 inches", 127.0),
        ("1.27 m", 127.0),
        (1.27, 127.0),
        (99, 99.0),  # a three-year-old's height, not a sentinel
        (0, None),
        ("0", None),
        (-1, None),
        (999, None),
        ("N/A", None),
        ("-", None),
    ],
)
def test_heights(given: object, cm: float | None) -> None:
    assert read_height_cm(given) == cm


@pytest.mark.parametrize(
    ("given", "sex"),
    [("M", "M"), ("f", "F"), ("Male", "M"), ("FEMALE", "F"), ("Boy", "M"), ("girl", "F"), ("लड़का", "M"), ("लड़की", "F"),
     ("Transgender", "X"), ("TG", "X"), ("unknown", ""), ("NA", "")],
)  # fmt: skip
def test_sex_words(given: str, sex: str) -> None:
    assert read_sex(given) == sex


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ({"district": "Gurgaon", "state": "Haryana"}, {"district": "Gurugram", "state": "Haryana"}),
        ({"district": "Allahabad", "state": "U.P."}, {"district": "Prayagraj", "state": "Uttar Pradesh"}),
        ({"district": "Cuttack", "state": "Orissa"}, {"district": "Cuttack", "state": "Odisha"}),
        ({"district": "Bangalore"}, {"district": "Bengaluru Urban", "state": "Karnataka"}),  # state filled from a unique district
        ({"district": "Aurangabad"}, {"district": "Aurangabad"}),  # Bihar or Maharashtra: left as given
        ({"district": "Somewhere New", "state": "NA"}, {"district": "Somewhere New", "state": ""}),
        ({"city": "Howrah", "lat": 0, "lon": 0}, {"city": "Howrah"}),  # 0,0 is the sea off Africa: not given
    ],
)
def test_places_resolve_to_the_gazetteer(place: dict, expected: dict) -> None:
    data, _ = read_fields({"kind": "found", "id": "F1", "place": place}, today=TODAY)
    assert data["place"] == expected


def test_text_sentinels_mean_not_given_and_an_estimated_age_says_so() -> None:
    data, notes = read_fields(
        {"kind": "Missing", "id": " M1 ", "name": "N/A", "father_name": "नहीं पता", "mother_name": "-", "aliases": "NA; Munna",
         "age": "8-10", "height_cm": 0},
        today=TODAY,
    )  # fmt: skip
    assert (data["kind"], data["id"], data["name"], data["father_name"], data["mother_name"]) == ("missing", "M1", "", "", "")
    assert data["aliases"] == ["Munna"]
    assert (data["age"], data["age_is_estimate"], data["height_cm"]) == (9.0, True, None)
    assert [(n.field, n.value) for n in notes] == [("age", "8-10")]


def test_spreadsheet_headers_and_kind_words() -> None:
    data, _ = read_fields({"Kind": "Rescued Child", "ID": "F1", "Father Name": "Suresh", " Height_CM ": "4 ft"}, today=TODAY)
    assert data == {"kind": "found", "id": "F1", "father_name": "Suresh", "height_cm": 121.9}
    assert read_fields({"kind": "Missing Person", "id": "M1"}, today=TODAY)[0]["kind"] == "missing"
