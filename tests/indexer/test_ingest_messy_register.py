"""A messy register as state IT cells export it: nothing that is a child is lost."""

from __future__ import annotations

import csv
from pathlib import Path

from indexer import Ingestor, SearchFilters, iter_records
from tests.factories import found_child

HEADER = ["kind", "id", "name", "sex", "age", "date", "height_cm", "place.city", "place.district", "place.state", "father_name", "cci_name"]
ROWS = [
    # heights 0 / -1 / 999 ("not measured"), dd/mm/yyyy and dd-mm-yy dates, old district names, text sentinels
    ["found", "F-01", "Pinky", "Girl", "approx 10", "25/12/2023", "0", "Gurgaon", "Gurgaon", "Haryana", "NA", "Home A"],
    ["found", "F-02", "Raju", "लड़का", "6 months", "03-02-24", "-1", "", "Allahabad", "U.P.", "नहीं पता", "Home B"],
    ["found", "F-03", "N/A", "F", "8-10", "12 Jan 2024", "4 ft 2 in", "Bhubaneswar", "Khurda", "Orissa", "-", "Home C"],
    ["found", "F-04", "Munni", "Female", "0", "2024-02-30", "999", "Bangalore", "Bangalore", "Karnataka", "unknown", "Home D"],
    ["missing", "M-01", "Rahul Kumar", "Male", "12 yrs", "05/06/2023", "127 cm", "Patna", "Patna", "Bihar", "Suresh", ""],
    ["missing", "M-02", "Sonu", "boyish", "9", "not known", "0", "Calcutta", "Calcutta", "West Bengal", "Ramesh", ""],
    ["missing", "M-03", "Anita", "F", "seven", "31/31/2023", "tall", "", "Gurgaon", "", "", ""],
    ["missing", "M-04", "Kiran", "Transgender", "15", "1 March 2022", "NA", "Noida", "Noida", "UP", "0", ""],
    # cannot be records: no kind, no id
    ["", "X-01", "Nobody", "M", "9", "", "", "", "", "", "", ""],
    ["found", "", "No id", "M", "9", "", "", "", "", "", "", ""],
]


def test_a_messy_register_loses_no_child(ingestor: Ingestor, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    report = ingestor.ingest_file(path)

    assert (report.rows, report.created, report.rejected_rows) == (10, 8, 2)
    assert {p.line for p in report.rejected} == {10, 11}
    by_field = {(w.record_id, w.field): w for w in report.warnings}
    assert set(by_field) == {
        ("F-02", "date"),  # 03-02-24 is ambiguous: how it was read is said (25/12/2023 is not)
        ("M-01", "date"),  # 05/06/2023 likewise
        ("F-03", "age"),  # "8-10" read as 9, an estimate
        ("F-04", "date"),  # 30 February: cleared
        ("M-02", "sex"),  # "boyish": cleared
        ("M-03", "age"),  # "seven"
        ("M-03", "date"),  # 31/31/2023
        ("M-03", "height_cm"),  # "tall"
    }
    assert len(report.warnings) == 8
    assert "read day first as 03 Feb 2024" in by_field[("F-02", "date")].message
    assert by_field[("M-03", "height_cm")].value == "'tall'" and by_field[("M-03", "height_cm")].line == 8

    with ingestor.session_factory() as session:
        stored = {s.record.id: s.record for s in iter_records(session=session)}
    assert len(stored) == 8
    f1, f2, f3, f4 = stored["F-01"], stored["F-02"], stored["F-03"], stored["F-04"]
    assert (f1.height_cm, f1.date.isoformat(), f1.sex, f1.age, f1.age_is_estimate) == (None, "2023-12-25", "F", 10, True)
    assert (f1.place.district, f1.father_name) == ("Gurugram", "")
    assert (f2.age, f2.sex, f2.place.district, f2.place.state, f2.date.isoformat()) == (
        0.5,
        "M",
        "Prayagraj",
        "Uttar Pradesh",
        "2024-02-03",
    )
    assert (f3.name, f3.age, f3.height_cm, f3.place.district, f3.place.state) == ("", 9, 127.0, "Khordha", "Odisha")
    assert (f4.age, f4.date, f4.height_cm, f4.place.district) == (0, None, None, "Bengaluru Urban")  # age 0: an infant
    m2, m3, m4 = stored["M-02"], stored["M-03"], stored["M-04"]
    assert (m2.sex, m2.date, m2.height_cm, m2.place.district) == ("", None, None, "Kolkata")
    assert (m3.age, m3.date, m3.height_cm, m3.place.district, m3.place.state) == (None, None, None, "Gurugram", "Haryana")
    assert (m4.sex, m4.place.district, m4.place.state, m4.father_name) == ("X", "Gautam Buddha Nagar", "Uttar Pradesh", "")
    assert stored["M-01"].height_cm == 127.0


def test_old_place_names_find_records_stored_under_new_ones(ingestor: Ingestor, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    ingestor.ingest_file(path)
    strict = ingestor.ingest_records([found_child(id="F-S", place={"district": "gurgaon", "state": "Haryana"})], strict=True)
    assert strict.created == 1  # names are resolved in strict mode too
    for district in ("Gurgaon", "Gurugram", "gurugram district"):
        hits = ingestor.index.search("", filters=SearchFilters(district=district), limit=10)
        assert {h.id for h in hits} == {"F-01", "M-03", "F-S"}, district
    assert SearchFilters(state="Orissa").state == "Odisha"
    assert SearchFilters(district="Patna").state is None  # a filter is not narrowed by a filled-in state
