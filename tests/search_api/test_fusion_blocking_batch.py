"""Batched blocking (``match --all``): the other register indexed once in memory, every found
child's candidates from it. Real store, real tantivy index (for the per-record path compared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer import RegisterGenerator, get_records_by_keys, iter_records, normalise_name
from search_api.config import Settings
from search_api.fusion.service import Matcher
from search_api.resources import open_resources
from tests.factories import found_child, missing_report

NEGLIGIBLE = 0.001  # a pair's score far below any review threshold
MUZAFFARPUR = {"city": "Muzaffarpur", "district": "Muzaffarpur", "state": "Bihar", "lat": 26.12, "lon": 85.39}


def _load(settings: Settings, tmp_path: Path, rows: list[dict]) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    with open_resources(settings) as res:
        assert res.ingestor().ingest_file(path).rejected_rows == 0


def _blocked_ids(settings: Settings, found_id: str) -> set[str]:
    with open_resources(settings) as res:
        matcher = Matcher(res, check_current=False)
        blocker = matcher.batch_blocker("missing")
        with res.session_factory() as session:
            record = get_records_by_keys(session=session, keys=[f"found:{found_id}"])[f"found:{found_id}"].record
        return {blocker.targets[i].id for i in blocker.block(matcher.view(record)).tolist()}


def test_batch_blocking_finds_the_same_top_candidate_as_the_per_record_path(settings: Settings, tmp_path: Path) -> None:
    records, truth = RegisterGenerator(seed=3).dataset(400, 260).write(tmp_path / "register")
    with open_resources(settings) as res:
        assert res.ingestor().ingest_file(records).rejected_rows == 0
        batch = {m.id: m for m in Matcher(res, check_current=False).match_all("found", limit=10, workers=2, blocking="batch")}
        single = Matcher(res)  # the server's matcher: the text engine, one record at a time
        with res.session_factory() as session:
            found = [s.record for s in iter_records(session=session, kind="found")]
        assert set(batch) == {r.id for r in found}
        with_candidates = 0
        for record in found:
            ranked = single.rank(record, limit=10)
            # a best candidate nobody would look at may differ: the engine's fuzzy terms reach
            # words two edits apart (Chauhan / Chavan), the deletion keys one edit
            if not ranked or ranked[0].score < NEGLIGIBLE:
                continue
            with_candidates += 1
            top = batch[record.id].candidates[0]
            assert (top.id, top.score) == (ranked[0].id, ranked[0].score), record.id
            assert top.level_names() == {row.feature: row.level for row in ranked[0].explanation.rows}
            assert batch[record.id].compared > 0
    assert with_candidates > 200
    # and the true reports come first about as often as the generator makes possible
    true = {p["found"]: p["missing"] for p in map(json.loads, truth.read_text().splitlines())}
    first = sum(1 for f, m in true.items() if batch[f].candidates and batch[f].candidates[0].id == m)
    assert first / len(true) > 0.8


def test_a_pair_sharing_only_a_cross_script_name_key_survives_blocking(settings: Settings, tmp_path: Path) -> None:
    # বিকাশ is read as "bikash"; Vikas shares no letter-exact word, no strict key and no
    # one-edit form with it: only the loose key (v and b merged), across scripts
    bikash, vikas = normalise_name("বিকাশ").tokens[0], normalise_name("Vikas").tokens[0]
    assert bikash.text != vikas.text and bikash.strict != vikas.strict and bikash.loose == vikas.loose
    assert not set(bikash.metaphone) & set(vikas.metaphone)
    decoys = [
        missing_report(id=f"MP-DECOY-{i}", name=name, father_name="", date="2025-01-10")
        for i, name in enumerate(["Suresh Yadav", "Ramesh Gupta", "Anil Mishra", "Pooja Devi", "Mohan Lal"] * 4)
    ]
    rows = [
        *decoys,
        missing_report(id="MP-VIKAS", name="Vikas", father_name="", date="2019-01-10"),  # Patna, years before: no place pass
        found_child(id="FC-BIKASH", name="বিকাশ", age=10, date="2025-10-15", place=MUZAFFARPUR),
    ]
    _load(settings, tmp_path, rows)
    assert _blocked_ids(settings, "FC-BIKASH") == {"MP-VIKAS"}


def test_a_child_with_no_name_meets_the_reports_of_its_district_from_the_year_before(settings: Settings, tmp_path: Path) -> None:
    rows = [
        missing_report(id="MP-RECENT", name="Rahul Tiwari", date="2025-08-21", place=MUZAFFARPUR),
        missing_report(id="MP-OLD", name="Rahul Mishra", date="2021-02-01", place=MUZAFFARPUR),  # years before
        missing_report(id="MP-ELSEWHERE", name="Rahul Yadav", date="2025-09-01"),  # Patna
        missing_report(id="MP-GIRL", name="Rani Tiwari", sex="F", date="2025-09-01", place=MUZAFFARPUR),
        found_child(id="FC-NONAME", name="", age=8, date="2025-10-15", place=MUZAFFARPUR),
    ]
    _load(settings, tmp_path, rows)
    assert _blocked_ids(settings, "FC-NONAME") == {"MP-RECENT"}  # as the per-record path (tests/search_api/test_blocking.py)


def test_a_typing_error_reaches_its_report_and_a_common_name_keeps_the_nearby_reports(settings: Settings, tmp_path: Path) -> None:
    far = {"city": "Kochi", "district": "Ernakulam", "state": "Kerala", "lat": 9.98, "lon": 76.28}
    # 260 Rahuls far away and one in the child's district: the main pass keeps 200, the near one among them
    rows = [missing_report(id=f"MP-FAR-{i}", name="Rahul Kumar", father_name="", place=far) for i in range(260)]
    rows += [
        missing_report(id="MP-NEAR", name="Rahul Kumar", father_name="", place=MUZAFFARPUR),
        missing_report(id="MP-TYPO", name="Ashok Mishra", father_name="", place=far),
        found_child(id="FC-RAHUL", name="Rahul Kumar", age=10, date="2025-03-01", place=MUZAFFARPUR),
        found_child(id="FC-AWHOK", name="Awhok", age=10, place=far),  # s typed as the w beside it
    ]
    _load(settings, tmp_path, rows)
    rahul = _blocked_ids(settings, "FC-RAHUL")
    assert "MP-NEAR" in rahul and len(rahul) <= 200 + 50 + 50
    assert "MP-TYPO" in _blocked_ids(settings, "FC-AWHOK")


def test_among_tied_namesakes_the_cap_keeps_those_whose_age_and_dates_agree(settings: Settings, tmp_path: Path) -> None:
    # 300 Rahul Kumars of the child's district, all reported in the year before it was found:
    # the name and the place tie them all. The one of the right age reported a week before
    # the child was found must survive the cap whatever its place in the register (before:
    # ties went by row order, and it came last).
    rows = [
        missing_report(id=f"MP-SAME-{i:03d}", name="Rahul Kumar", father_name="", age=14, date="2024-06-01", place=MUZAFFARPUR)
        for i in range(300)
    ]
    rows += [
        missing_report(id="MP-ZZ-TRUE", name="Rahul Kumar", father_name="", age=10, date="2025-02-22", place=MUZAFFARPUR),
        found_child(id="FC-RAHUL", name="Rahul Kumar", age=10, date="2025-03-01", place=MUZAFFARPUR),
    ]
    _load(settings, tmp_path, rows)
    rahul = _blocked_ids(settings, "FC-RAHUL")
    assert "MP-ZZ-TRUE" in rahul and len(rahul) <= 200 + 50 + 50


def test_blocking_is_batch_or_index(settings: Settings, tmp_path: Path) -> None:
    _load(settings, tmp_path, [missing_report(), found_child()])
    with open_resources(settings) as res, pytest.raises(ValueError, match="batch"):
        list(Matcher(res, check_current=False).match_all("found", blocking="sql"))
