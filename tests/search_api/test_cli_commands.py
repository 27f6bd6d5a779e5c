"""The ``trackchild`` command end to end on a temporary data dir (real SQLite, real tantivy)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from search_api.cli import app
from search_api.config import Settings
from tests.conftest import SAMPLE_RECORDS

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_ingest_search_json_contract(settings: Settings) -> None:
    result = invoke("ingest", str(SAMPLE_RECORDS))
    assert result.exit_code == 0, result.output
    assert "26 rows: 26 created" in result.output
    result = invoke("search", "Hamsini Chad", "--json", "--limit", "5")
    hits = json.loads(result.stdout)
    assert {h["id"] for h in hits[:2]} == {"MP-000000", "FC-000001"}
    for hit in hits:
        assert set(hit) >= {"id", "kind", "name", "score", "matched_fields"}
        assert hit["kind"] in ("missing", "found") and isinstance(hit["score"], float)
    assert "name" in hits[0]["matched_fields"]


def test_search_filters_from_the_command_line(settings: Settings) -> None:
    invoke("ingest", str(SAMPLE_RECORDS))
    hits = json.loads(invoke("search", "", "--kind", "found", "--sex", "M", "--age-min", "2", "--age-max", "4", "--json").stdout)
    assert {h["id"] for h in hits} == {"FC-000000", "FC-000002", "FC-000004"}
    hits = json.loads(invoke("search", "", "--state", "West Bengal", "--date-from", "2025-01-01", "--json").stdout)
    assert {h["id"] for h in hits} == {"FC-000002", "MP-000006", "FC-000003"}


def test_bad_filter_is_a_clear_error(settings: Settings) -> None:
    result = runner.invoke(app, ["search", "x", "--age-min", "9", "--age-max", "3"])
    assert result.exit_code == 2
    assert "age_min is greater than age_max" in result.output


def test_ingest_exit_codes_0_warnings_1_rejected_2_failed(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "found", "id": "F1", "name": "ok"}\n{"kind": "found", "id": "F2", "age": "old"}\n')
    kept = runner.invoke(app, ["ingest", str(bad), "--no-match"])
    assert kept.exit_code == 0, kept.output  # the child is kept; the age is cleared with a warning
    assert "line 2, id F2, field age" in kept.output and "value seen: 'old'" in kept.output
    assert "warnings written to" in kept.output
    strict = runner.invoke(app, ["ingest", str(bad), "--strict", "--no-match"])
    assert strict.exit_code == 1
    assert "line 2, id F2, field age" in strict.output
    assert "rejected rows written to" in strict.output
    no_id = tmp_path / "no-id.jsonl"
    no_id.write_text('{"kind": "found", "name": "ok"}\n')
    assert runner.invoke(app, ["ingest", str(no_id)]).exit_code == 1
    not_a_register = tmp_path / "register.xlsx"
    not_a_register.write_text("x")
    assert runner.invoke(app, ["ingest", str(not_a_register)]).exit_code == 2


def test_demo_data_stats_and_reindex(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert invoke("demo-data", "200", "--found", "80", "--out", str(out)).exit_code == 0
    truth = [json.loads(line) for line in (out / "truth.jsonl").read_text().splitlines()]
    assert len(truth) == 40
    assert invoke("ingest", str(out / "records.jsonl")).exit_code == 0
    stats = json.loads(invoke("stats", "--json").stdout)
    assert (stats["missing"], stats["found"], stats["indexed_documents"], stats["pending_index"]) == (200, 80, 280, 0)
    before = invoke("search", "rahul kumar", "--json").stdout
    assert "reindexed 280 records" in invoke("reindex").output
    assert invoke("search", "rahul kumar", "--json").stdout == before


@pytest.mark.slow
def test_kill_9_during_ingest_loses_and_duplicates_nothing(settings: Settings, tmp_path: Path) -> None:
    """A real crash: the ingest process is killed mid-file, then run again."""
    out = tmp_path / "big"
    invoke("demo-data", "15000", "--found", "15000", "--out", str(out))
    records = out / "records.jsonl"
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(settings.data_dir), "TRACKCHILD_INGEST_BATCH_SIZE": "500"}
    command = [sys.executable, "-m", "search_api.cli", "ingest", str(records)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = settings.data_dir / "trackchild.sqlite3"
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if database.exists():
            try:
                with sqlite3.connect(database, timeout=1) as conn:
                    stored = conn.execute("select count(*) from child_records").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if stored >= 3000:
                break
    assert proc.poll() is None, "ingest finished before it could be killed; use a bigger file"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < stored < 30000
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    stats = json.loads(
        subprocess.run([sys.executable, "-m", "search_api.cli", "stats", "--json"], env=env, capture_output=True, text=True).stdout
    )
    assert (stats["missing"], stats["found"], stats["pending_index"], stats["indexed_documents"]) == (15000, 15000, 0, 30000)
