"""Blocking: which reports a found child is compared with at all (real store, real tantivy index)."""

from __future__ import annotations

import json
from pathlib import Path

from indexer import get_records_by_keys
from search_api.config import Settings
from search_api.fusion.candidates import candidate_keys
from search_api.fusion.service import Matcher
from search_api.resources import open_resources
from tests.factories import found_child, missing_report

MUZAFFARPUR = {"city": "Muzaffarpur", "district": "Muzaffarpur", "state": "Bihar", "lat": 26.12, "lon": 85.39}


def _candidates(settings: Settings, tmp_path: Path, rows: list[dict], found_id: str) -> set[str]:
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with open_resources(settings) as res:
        res.ingestor().ingest_file(path)
        with res.session_factory() as session:
            record = get_records_by_keys(session=session, keys=[f"found:{found_id}"])[f"found:{found_id}"].record
        view = Matcher(res, check_current=False).view(record)
        return set(candidate_keys(view, text_index=res.text_index, face_index=None, text_limit=200, face_limit=10))


def test_a_child_with_no_name_meets_the_reports_of_its_district_from_the_year_before(settings: Settings, tmp_path: Path) -> None:
    rows = [
        missing_report(id="MP-RECENT", name="Rahul Tiwari", date="2025-08-21", place=MUZAFFARPUR),
        missing_report(id="MP-OLD", name="Rahul Mishra", date="2021-02-01", place=MUZAFFARPUR),  # years before
        missing_report(id="MP-ELSEWHERE", name="Rahul Yadav", date="2025-09-01"),  # Patna
        missing_report(id="MP-GIRL", name="Rani Tiwari", sex="F", date="2025-09-01", place=MUZAFFARPUR),
        found_child(id="FC-NONAME", name="", age=8, date="2025-10-15", place=MUZAFFARPUR),
    ]
    keys = _candidates(settings, tmp_path, rows, "FC-NONAME")
    assert keys == {"missing:MP-RECENT"}  # no name, no marks: only the district's recent reports of a boy that age


def test_a_lone_common_name_still_reaches_other_districts(settings: Settings, tmp_path: Path) -> None:
    rows = [
        missing_report(id="MP-RECENT", name="Rahul Tiwari", date="2025-08-21", place=MUZAFFARPUR),
        missing_report(id="MP-ELSEWHERE", name="Rahul Yadav", date="2019-09-01"),  # Patna, years before: an extra pass is no filter
        found_child(id="FC-RAHUL", name="Rahul", age=8, date="2025-10-15", place=MUZAFFARPUR),
    ]
    assert _candidates(settings, tmp_path, rows, "FC-RAHUL") == {"missing:MP-RECENT", "missing:MP-ELSEWHERE"}
