"""bench load: the bulk seed (store and index in one pass, nothing left pending) and the command
itself against a real two-worker server, isolated from the configured store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer import RegisterGenerator, SearchFilters, count_records
from search_api.bench_load import MIX, bulk_seed
from search_api.cli import app
from search_api.config import Settings
from search_api.resources import open_resources
from tests.factories import found_child, missing_report

runner = CliRunner()


def test_bulk_seed_stores_and_indexes_every_record_with_nothing_pending(tmp_path: Path) -> None:
    records = list(RegisterGenerator(seed=3).dataset(300, 300).records())
    with open_resources(Settings.isolated(data_dir=tmp_path / "bench")) as res:
        assert bulk_seed(res, records, chunk=128) == 600
        with res.session_factory() as session:
            counts = count_records(session=session)
        assert (counts.missing, counts.found, counts.pending_index) == (300, 300, 0)  # marked indexed: no sync at server start
        assert res.text_index.count() == 600
        name = next(r for r in records if r["kind"] == "missing")
        hits = res.text_index.search(name["name"], filters=SearchFilters(kind="missing"), limit=50)
        assert f"missing:{name['id']}" in [h.key for h in hits]


@pytest.mark.slow
def test_bench_load_prints_its_figures_and_never_touches_the_configured_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prod = Settings.isolated(data_dir=tmp_path / "prod")
    with open_resources(prod) as res:
        assert res.ingestor().ingest_records([missing_report(id="MP-PROD-1"), found_child(id="FC-PROD-1")]).ok
    monkeypatch.setenv("TRACKCHILD_DATA_DIR", str(prod.data_dir))
    monkeypatch.setenv("TRACKCHILD_DATABASE_URL", prod.store_url())
    args = ["bench", "load", "--per-side", "150", "--store", "sqlite", "--workers", "2", "--duration", "3", "--users", "6"]
    result = runner.invoke(app, [*args, "--work-dir", str(tmp_path / "bench"), "--drop"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(
        r"150 records per side on SQLite .*2 worker\(s\), 6 concurrent users, \d+ requests in [\d.]+s = [\d.]+ req/s; errors 0", out
    ), out
    assert "load average (1/5/15 min)" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("  ") and len(line.split()) == 7}
    assert {"search", "record", "queue", "all"} <= set(rows), out  # per route: n, req/s, p50, p95, p99, errors
    assert set(rows) <= {*MIX, "all", "route"}
    assert rows["all"][-1] == "0"
    assert len(re.findall(r"worker \d+ \d+ MB", out)) == 2, out  # peak RSS of each worker
    assert "chain intact" in out and '"database is locked" 0 times' in out
    assert not (tmp_path / "bench" / "load-sqlite-n150" / "data").exists()  # --drop (the server log stays)
    with open_resources(prod) as res, res.session_factory() as session:
        assert count_records(session=session).total == 2  # no synthetic child in the configured store


def test_bench_load_can_run_the_match_jobs_in_a_process_of_their_own(tmp_path: Path) -> None:
    """--match-worker process: the workers' match worker is off and ``match --pending --loop`` runs
    the jobs beside them; its peak RSS is reported with the server's and its jobs are counted."""
    args = ["bench", "load", "--per-side", "150", "--store", "sqlite", "--workers", "1", "--duration", "4", "--users", "6"]
    result = runner.invoke(app, [*args, "--match-worker", "process", "--work-dir", str(tmp_path / "bench"), "--drop"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "match jobs run in its own process (match --pending --loop)" in out, out
    assert re.search(r"match worker \(own process\) \d+ \d+ MB", out), out
    assert re.search(r"match jobs \(queued → done\): \d+ done", out), out
    log = next((tmp_path / "bench" / "load-sqlite-n150").glob("server-w1-*.log")).read_text()
    assert "match worker " in log and "holds" in log  # the process beside the server started and looked for the lead
