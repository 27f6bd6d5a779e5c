"""Benchmarks and fitting are isolated: with TRACKCHILD_DATABASE_URL (and the backend and ES index)
pointing at a populated production store, they build their own settings and never touch it; pointed
at it on purpose, they refuse unless told with --force."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer import count_records
from search_api.cli import app
from search_api.config import Settings
from search_api.resources import open_resources
from tests.factories import found_child, missing_report

runner = CliRunner()


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A populated store the environment points at, as on a production server."""
    prod = Settings.isolated(data_dir=tmp_path / "prod")
    with open_resources(prod) as res:
        assert res.ingestor().ingest_records([missing_report(id="MP-PROD-1"), found_child(id="FC-PROD-1")]).ok
    monkeypatch.setenv("TRACKCHILD_DATA_DIR", str(prod.data_dir))
    monkeypatch.setenv("TRACKCHILD_DATABASE_URL", prod.store_url())
    monkeypatch.setenv("TRACKCHILD_ES_INDEX", "trackchild-production")
    return prod


def _production_counts(prod: Settings) -> tuple[int, int, str]:
    with open_resources(prod) as res, res.session_factory() as session:
        counts = count_records(session=session)
        return counts.total, res.text_index.count(), res.text_index.generation  # type: ignore[attr-defined]


def test_settings_isolated_read_nothing_from_the_environment(production: Settings, tmp_path: Path) -> None:
    assert Settings().database_url == production.store_url()  # the environment is set...
    isolated = Settings.isolated(data_dir=tmp_path / "bench")
    assert isolated.database_url is None and isolated.es_index == "trackchild-records" and isolated.search_backend == "tantivy"
    assert isolated.store_url().startswith("sqlite") and str(tmp_path / "bench") in isolated.store_url()


def test_bench_ingest_and_search_never_touch_the_configured_store(production: Settings, tmp_path: Path) -> None:
    before = _production_counts(production)
    work = tmp_path / "bench"
    result = runner.invoke(app, ["bench", "ingest", "--n", "300", "--work-dir", str(work)])
    assert result.exit_code == 0, result.output
    assert "ingest: 300 records (300 created" in result.output and "sqlite" in result.output
    result = runner.invoke(app, ["bench", "search", "--n", "300", "--queries", "60", "--work-dir", str(work)])
    assert result.exit_code == 0, result.output
    assert _production_counts(production) == before  # no synthetic child in the real store or index
    assert (work / "n300" / "data" / "trackchild.sqlite3").exists()


def test_bench_refuses_a_populated_store_unless_forced(production: Settings, tmp_path: Path) -> None:
    before = _production_counts(production)
    args = ["bench", "ingest", "--n", "200", "--work-dir", str(tmp_path / "bench"), "--database-url", production.store_url()]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "holds 2 records" in refused.output and "--force" in refused.output
    assert _production_counts(production) == before


@pytest.mark.slow
def test_fit_model_never_touches_the_configured_store(production: Settings, tmp_path: Path) -> None:
    before = _production_counts(production)
    result = runner.invoke(app, ["model", "fit-generated", "--n", "300", "--out", str(tmp_path / "model.json")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "model.json").exists()
    assert _production_counts(production) == before
