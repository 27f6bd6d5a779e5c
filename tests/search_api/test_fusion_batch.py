"""The batch path (``match --all``): vectorised scoring equals the per-pair features, the
forked batch run equals one record's ``rank``, and ``--queue`` feeds the review queue once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer import RegisterGenerator, iter_records
from search_api.cli import app
from search_api.config import Settings
from search_api.fusion.candidates import candidate_keys
from search_api.fusion.features import ALL_FEATURES
from search_api.fusion.service import Matcher
from search_api.resources import open_resources

runner = CliRunner()


@pytest.fixture
def register(settings: Settings, tmp_path: Path) -> Path:
    dataset = RegisterGenerator(seed=3).dataset(400, 260)
    records, _ = dataset.write(tmp_path / "register")
    with open_resources(settings) as res:
        assert res.ingestor().ingest_file(records).rejected_rows == 0
    return records


def test_vectorised_levels_and_scores_equal_the_per_pair_features(settings: Settings, register: Path) -> None:
    with open_resources(settings) as res:
        matcher = Matcher(res, check_current=False)
        matcher.preload("missing")
        matcher.preload("found")
        with res.session_factory() as session:
            found = [s.record for s in iter_records(session=session, kind="found")]
        compared = 0
        for direction in ("found", "missing"):
            records = found if direction == "found" else [v.record for v in list(matcher._views.values()) if v.kind == "missing"][:120]
            for record in records:
                view = matcher.view(record)
                keys = candidate_keys(view, text_index=res.text_index, face_index=None, text_limit=200, face_limit=20)
                others = [matcher._views[k] for k in keys]
                batch = matcher.scorer.score(view, others, prior=matcher.prior, frequency=matcher.frequency)
                for i, other in enumerate(others):
                    score, observations, total, _ = matcher._score(view, other)
                    levels = [c.feature.level_names()[batch.levels[i][j]] for j, c in enumerate(ALL_FEATURES)]
                    assert levels == [o.level for o in observations], (record.id, other.id)
                    assert batch.scores[i] == pytest.approx(score, abs=1e-12)
                    assert batch.totals[i] == pytest.approx(total, abs=1e-9)
                    compared += 1
    assert compared > 20_000


def test_batch_run_in_two_processes_equals_rank(settings: Settings, register: Path) -> None:
    with open_resources(settings) as res:
        # the text engine's blocking, as ``rank``: the batch machinery itself is compared here
        # (batch blocking: tests/search_api/test_fusion_blocking_batch.py)
        batch = {m.id: m for m in Matcher(res, check_current=False).match_all("found", limit=10, workers=2, blocking="index")}
        single = Matcher(res)  # the server's matcher: one record at a time
        with res.session_factory() as session:
            found = [s.record for s in iter_records(session=session, kind="found")]
        assert set(batch) == {r.id for r in found}
        for record in found:
            ranked = single.rank(record, limit=10)
            assert [(c.id, c.score, c.source) for c in ranked] == [(p.id, p.score, p.source) for p in batch[record.id].candidates]
            for c, p in zip(ranked, batch[record.id].candidates, strict=True):
                assert p.level_names() == {row.feature: row.level for row in c.explanation.rows}


def test_match_all_writes_levels_and_explains_only_when_asked(settings: Settings, register: Path, tmp_path: Path) -> None:
    lean, full = tmp_path / "lean.jsonl", tmp_path / "full.jsonl"
    assert runner.invoke(app, ["match", "--all", "--out", str(lean)], catch_exceptions=False).exit_code == 0
    assert runner.invoke(app, ["match", "--all", "--explain", "--workers", "1", "--out", str(full)], catch_exceptions=False).exit_code == 0
    lean_lines = [json.loads(line) for line in lean.read_text().splitlines()]
    full_lines = [json.loads(line) for line in full.read_text().splitlines()]
    assert len(lean_lines) == 260
    for a, b in zip(lean_lines, full_lines, strict=True):
        shown = lambda line: [(c["id"], c["score"], c["levels"]) for c in line["candidates"]]  # noqa: E731
        assert shown(a) == shown(b)
        assert all("explain" not in c for c in a["candidates"])
        for c in b["candidates"]:
            assert {f: row["level"] for f, row in c["explain"]["features"].items()} == c["levels"]
    assert lean.stat().st_size < full.stat().st_size / 3


def test_match_all_queue_feeds_reviewers_and_never_requeues_a_rejected_pair(settings: Settings, register: Path) -> None:
    from search_api.review.service import decide, list_queue
    from tests.factories import add_users

    result = runner.invoke(app, ["match", "--all", "--queue", "--out", "/dev/null"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open_resources(settings) as res:
        threshold = Matcher(res).model.review_threshold
        add_users(res, password="a-long-password-2026", people=[("rev", "admin", "", "", "")])
        with res.session_factory() as session:
            pending = list_queue(session=session, limit=10_000)
            assert len(pending) > 20 and all(p.score >= threshold for p in pending)
            assert f"{len(pending)} pairs newly queued" in result.output
            from search_api.users.models import UserRow

            user = session.query(UserRow).filter_by(username="rev").one()
            rejected = pending[0]
            decide(session=session, pair=rejected, decision="reject", note="different child", user=user)
            session.commit()
            rejected_pk = rejected.pk
    again = runner.invoke(app, ["match", "--all", "--queue", "--out", "/dev/null"], catch_exceptions=False)
    assert "0 pairs newly queued" in again.output
    with open_resources(settings) as res, res.session_factory() as session:
        assert rejected_pk not in {p.pk for p in list_queue(session=session, limit=10_000)}
        assert {p.pk for p in list_queue(session=session, status="rejected")} == {rejected_pk}
