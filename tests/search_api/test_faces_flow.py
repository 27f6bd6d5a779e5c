"""Records with photos: ingest embeds them into the face index; search by photo finds the child."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from search_api.cli import app
from search_api.config import Settings
from search_api.faces.flows import sync_faces
from search_api.resources import open_resources
from tests.factories import found_child, missing_report

pytestmark = pytest.mark.slow
FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
runner = CliRunner()


def _register(folder: Path) -> Path:
    for name in ("obama_4.jpg", "biden_2.jpg", "obama_5.jpg", "paul_allen_1.jpg"):
        shutil.copy(FACES / name, folder / name)
    (folder / "blank.txt").write_text("not a photo")
    rows = [
        missing_report(id="MP-OB", name="Barack", photos=["obama_4.jpg"]),
        missing_report(id="MP-BI", name="Joe", photos=["biden_2.jpg"]),
        found_child(id="FC-OB", name="Unknown boy", photos=["obama_5.jpg"]),
        found_child(id="FC-PA", name="Paul", photos=["paul_allen_1.jpg"]),
    ]
    path = folder / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_ingest_files_faces_and_photo_search_finds_the_same_person(settings: Settings, tmp_path: Path) -> None:
    records = _register(tmp_path)
    result = runner.invoke(app, ["ingest", str(records)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "photos: 4, faces filed 4" in result.output
    result = runner.invoke(app, ["faces", "search", str(FACES / "obama_240p.jpg"), "--kind", "missing", "--json"], catch_exceptions=False)
    hits = json.loads(result.stdout)
    assert hits[0]["key"] == "missing:MP-OB"
    # the found child who is the same person ranks first among found children
    result = runner.invoke(app, ["faces", "search", str(FACES / "obama_4.jpg"), "--kind", "found", "--json"], catch_exceptions=False)
    assert json.loads(result.stdout)[0]["key"] == "found:FC-OB"


def test_a_changed_crop_re_embeds_every_photo_on_the_next_ingest(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _register(tmp_path)
    assert runner.invoke(app, ["ingest", str(records)], catch_exceptions=False).exit_code == 0
    manifest = settings.data_dir / "face_index" / "manifest.json"
    assert "+crop-box30@" in json.loads(manifest.read_text())["model_id"]
    monkeypatch.setenv("TRACKCHILD_FACE_CROP", "square")  # another crop: old vectors must not mix with new ones
    result = runner.invoke(app, ["ingest", str(records)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "re-embedding every photo now" in result.output and "faces filed 4" in result.output
    assert "+crop-m20-level@" in json.loads(manifest.read_text())["model_id"]
    result = runner.invoke(app, ["faces", "search", str(FACES / "obama_240p.jpg"), "--kind", "missing", "--json"], catch_exceptions=False)
    assert json.loads(result.stdout)[0]["key"] == "missing:MP-OB"


def test_sync_is_idempotent_uses_the_cache_and_survives_rebuild(settings: Settings, tmp_path: Path) -> None:
    records = _register(tmp_path)
    with open_resources(settings) as res:
        res.ingestor().ingest_file(records)
        first = sync_faces(res)
        assert (first.filed, first.embedded) == (4, 4)
        again = sync_faces(res)
        assert (again.filed, again.embedded) == (0, 0)  # nothing new
        rebuilt = sync_faces(res, rebuild=True)
        assert (rebuilt.filed, rebuilt.embedded, rebuilt.cached) == (4, 0, 4)  # from the embedding cache
    with open_resources(settings) as res:  # saved to disk and reloaded
        assert len(res.face_index) == 4


def test_faces_embed_json_contract_and_compare(settings: Settings) -> None:
    result = runner.invoke(
        app, ["faces", "embed", "--json", str(FACES / "kit_with_rose.jpg"), str(FACES / "README.md")], catch_exceptions=False
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [str(FACES / "kit_with_rose.jpg"), str(FACES / "README.md")]
    assert len(lines[0]["faces"]) >= 2 and lines[0]["error"] is None
    face = lines[0]["faces"][0]
    assert set(face) >= {"box", "prob", "quality", "embedding"} and len(face["embedding"]) == 640
    assert abs(sum(x * x for x in face["embedding"]) - 1) < 1e-3
    assert lines[1]["faces"] == [] and "not a readable image" in lines[1]["error"]
    same = float(runner.invoke(app, ["faces", "compare", str(FACES / "obama_4.jpg"), str(FACES / "obama_5.jpg")]).stdout)
    other = float(runner.invoke(app, ["faces", "compare", str(FACES / "obama_4.jpg"), str(FACES / "biden_2.jpg")]).stdout)
    assert same > 0.5 > other


def test_closed_records_leave_open_only_photo_search(settings: Settings, tmp_path: Path) -> None:
    records = _register(tmp_path)
    runner.invoke(app, ["ingest", str(records)], catch_exceptions=False)
    probe = str(FACES / "obama_240p.jpg")
    hits = json.loads(runner.invoke(app, ["faces", "search", probe, "--kind", "missing", "--json"]).stdout)
    assert hits[0]["key"] == "missing:MP-OB"
    traced = json.loads(records.read_text().splitlines()[0])
    traced.update(status="traced", photos=[str(tmp_path / "obama_4.jpg")])
    (tmp_path / "traced.jsonl").write_text(json.dumps(traced) + "\n")
    result = runner.invoke(app, ["ingest", str(tmp_path / "traced.jsonl"), "--no-match"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    open_hits = json.loads(runner.invoke(app, ["faces", "search", probe, "--kind", "missing", "--json"]).stdout)
    assert "missing:MP-OB" not in {h["key"] for h in open_hits}
    all_hits = json.loads(runner.invoke(app, ["faces", "search", probe, "--kind", "missing", "--all", "--json"]).stdout)
    assert all_hits[0]["key"] == "missing:MP-OB"
    # retention: a case traced long ago is archived, and its face vectors leave the index entirely
    from sqlalchemy import text

    from search_api.resources import open_resources

    with open_resources(settings) as res, res.engine.begin() as conn:
        conn.execute(text("update child_records set updated_at = '2020-01-01 00:00:00' where source_id = 'MP-OB'"))
    result = runner.invoke(app, ["retention", "run", "--days", "365"], catch_exceptions=False)
    assert result.exit_code == 0 and "archived 1 records" in result.stdout and "1 face vectors left" in result.stdout, result.output
    gone = json.loads(runner.invoke(app, ["faces", "search", probe, "--kind", "missing", "--all", "--json"]).stdout)
    assert "missing:MP-OB" not in {h["key"] for h in gone}


def test_a_serving_matcher_sees_faces_filed_by_another_process(settings: Settings, tmp_path: Path) -> None:
    """A serve worker's matcher is made at start; photos filed later by another worker (here the
    CLI, with resources of its own) must still be searched when it ranks a child."""
    from indexer import get_record_or_raise
    from search_api.fusion.service import Matcher

    with open_resources(settings) as res:
        matcher = Matcher(res)  # before any photo is filed
        assert runner.invoke(app, ["ingest", str(_register(tmp_path))], catch_exceptions=False).exit_code == 0
        with res.session_factory() as session:
            found = get_record_or_raise(session=session, kind="found", record_id="FC-OB")
        by_key = {c.key: c for c in matcher.rank(found.record, limit=10)}
    # "Unknown boy" shares no name with "Barack": only the face brings the report in
    assert "missing:MP-OB" in by_key and "face" in by_key["missing:MP-OB"].source
