"""``trackchild match``: the JSON-lines contract used for external evaluation, and one record."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from search_api.cli import app
from search_api.config import Settings
from tests.conftest import SAMPLE_RECORDS, SAMPLE_TRUTH

runner = CliRunner()


def test_match_all_contract_and_sample_truth(settings: Settings, tmp_path: Path) -> None:
    assert runner.invoke(app, ["ingest", str(SAMPLE_RECORDS)]).exit_code == 0
    out = tmp_path / "matches.jsonl"
    result = runner.invoke(
        app, ["match", "--all", "--direction", "found-to-missing", "--top", "10", "--explain", "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {line["id"] for line in lines} == {f"FC-00000{i}" for i in range(10)}
    for line in lines:
        assert set(line) == {"id", "candidates"}
        scores = [c["score"] for c in line["candidates"]]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        for candidate in line["candidates"]:
            assert set(candidate) >= {"id", "score", "levels", "explain"} and candidate["id"].startswith("MP-")
            assert {"prior_bits", "features", "total_bits", "score"} <= set(candidate["explain"])
    truth = {t["found"]: t["missing"] for t in map(json.loads, SAMPLE_TRUTH.read_text().splitlines())}
    ranks = {}
    for line in lines:
        if line["id"] in truth:
            ids = [c["id"] for c in line["candidates"]]
            ranks[line["id"]] = ids.index(truth[line["id"]]) + 1 if truth[line["id"]] in ids else None
    assert sum(1 for r in ranks.values() if r == 1) >= 4, ranks  # the sample's true pairs come first


def test_match_one_record_explains_in_words(settings: Settings) -> None:
    runner.invoke(app, ["ingest", str(SAMPLE_RECORDS)])
    result = runner.invoke(app, ["match", "FC-000001"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "MP-000000" in result.output.splitlines()[1]  # Hamsini Chad ranks first
    assert "name: full name agrees" in result.output


def test_match_needs_an_id_or_all(settings: Settings) -> None:
    assert runner.invoke(app, ["match"]).exit_code == 2
    runner.invoke(app, ["ingest", str(SAMPLE_RECORDS)])
    assert "no record with id" in runner.invoke(app, ["match", "NOPE"]).output


def test_ingest_matches_new_records_and_queues_strong_pairs(settings: Settings, tmp_path: Path) -> None:
    from search_api.resources import open_resources
    from search_api.review.service import list_queue
    from tests.factories import found_child, missing_report

    rows = [
        missing_report(id="MP-Q1", name="Yadavi Rathore", sex="F", age=8, date="2025-05-01", marks="scar on chin"),
        found_child(
            id="FC-Q1",
            name="yadavi rathore",
            sex="F",
            age=8,
            date="2025-05-20",
            marks="scar on chin",
            place={"district": "Patna", "state": "Bihar"},
        ),
    ]
    path = tmp_path / "new.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = runner.invoke(app, ["ingest", str(path)], catch_exceptions=False)
    assert "matched 2 new or changed records: 1 pairs entered the review queue" in result.output
    again = runner.invoke(app, ["ingest", str(path)], catch_exceptions=False)
    assert "matched" not in again.output  # nothing changed, nothing re-queued
    with open_resources(settings) as res, res.session_factory() as session:
        queue = list_queue(session=session)
    assert [(p.missing_key, p.found_key) for p in queue] == [("missing:MP-Q1", "found:FC-Q1")]


def test_a_record_called_pending_is_matched_and_the_jobs_run_with_a_flag(settings: Settings, tmp_path: Path) -> None:
    """Issue 11: "pending" is a record id like any other; the match jobs run with --pending."""
    from search_api.records import matching_jobs
    from search_api.resources import open_resources
    from tests.factories import found_child, missing_report

    rows = [
        missing_report(id="MP-P1", name="Yadavi Rathore", sex="F", age=8, date="2025-05-01", marks="scar on chin"),
        found_child(id="pending", name="yadavi rathore", sex="F", age=8, date="2025-05-20", marks="scar on chin"),
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert runner.invoke(app, ["ingest", str(path)], catch_exceptions=False).exit_code == 0
    one = runner.invoke(app, ["match", "pending"], catch_exceptions=False)
    assert one.exit_code == 0, one.output
    assert one.output.splitlines()[0] == "found pending: 1 candidates" and "MP-P1" in one.output
    with open_resources(settings) as res, res.session_factory() as session:
        ticket = matching_jobs.enqueue(session=session, record_key="found:pending")
        matching_jobs.release(session=session, ticket=ticket)
        session.commit()
    jobs = runner.invoke(app, ["match", "--pending", "--once"], catch_exceptions=False)
    assert jobs.exit_code == 0 and "match jobs: 1 done" in jobs.output and "0 still pending" in jobs.output, jobs.output
    for wrong in (["match", "pending", "--pending"], ["match", "--all", "--pending"], ["match", "--pending", "--once", "--loop"],
                  ["match", "pending", "--once"]):  # fmt: skip
        assert runner.invoke(app, wrong).exit_code == 2, wrong
