"""Every CLI entry point that reads or changes children's data or users leaves an audit entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from search_api.audit.service import list_entries, verify
from search_api.cli import app
from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.resources import open_resources
from tests.conftest import SAMPLE_RECORDS

runner = CliRunner()
FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"


def entries(settings: Settings, action: str) -> list:
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            return list_entries(session=session, action=action)


def test_ingest_audits_counts_and_queued_pairs(settings: Settings) -> None:
    result = runner.invoke(app, ["ingest", str(SAMPLE_RECORDS)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    queued = int(result.output.split("new or changed records: ")[1].split(" pairs")[0])
    [entry] = entries(settings, "ingest")
    assert entry.username.startswith("cli:") and entry.role == "operator" and entry.source == "cli"
    assert entry.detail["created"] == 26 and entry.detail["rows"] == 26 and entry.detail["queued_pairs"] == queued
    assert len(entry.targets) == 26 and all(t.startswith(("missing:", "found:")) for t in entry.targets)
    assert runner.invoke(app, ["reindex"], catch_exceptions=False).exit_code == 0
    assert entries(settings, "reindex")[0].detail["records"] == 26


def test_user_add_is_audited_without_the_password(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKCHILD_NEW_USER_PASSWORD", "a console password")
    result = runner.invoke(app, ["user", "add", "newcomer", "--role", "dcpu", "--state", "Bihar", "--district", "Gaya"])
    assert result.exit_code == 0, result.output
    [entry] = entries(settings, "user_add")
    assert entry.targets == ["user:newcomer"] and entry.detail["role"] == "dcpu"
    assert "console password" not in json.dumps(entry.detail)
    with open_resources(settings) as res, res.session_factory() as session:
        assert verify(session=session).ok


@pytest.mark.slow
def test_faces_search_is_audited_with_the_records_shown(settings: Settings, tmp_path: Path) -> None:
    shutil.copy(FACES / "obama_4.jpg", tmp_path / "obama_4.jpg")
    (tmp_path / "records.jsonl").write_text(
        json.dumps({"kind": "missing", "id": "MP-FS-1", "name": "Barack", "sex": "M", "age": 9, "photos": ["obama_4.jpg"]}) + "\n"
    )
    assert runner.invoke(app, ["ingest", str(tmp_path / "records.jsonl"), "--no-match"], catch_exceptions=False).exit_code == 0
    result = runner.invoke(app, ["faces", "search", str(FACES / "obama_5.jpg"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [entry] = entries(settings, "photo_search")
    assert entry.targets == ["missing:MP-FS-1"] and entry.detail["results"] == 1 and entry.role == "operator"
