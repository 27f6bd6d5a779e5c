"""Schema migrations: a database made by the last release without migrations upgrades with
nothing lost (SQLite and PostgreSQL); revisions build what the models declare; the start-up
check refuses a database older or newer than the code and names the command that fixes it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from typer.testing import CliRunner

from indexer import get_record, make_engine, make_session_factory, parse_record
from indexer.store import prepare_write
from search_api.audit.service import GENESIS, entry_digest, verify
from search_api.cli import app
from search_api.config import Settings
from search_api.db import (
    BASELINE_REVISION,
    SchemaMismatch,
    all_metadata,
    downgrade,
    ensure_schema,
    head_revision,
    schema_state,
    upgrade,
)
from search_api.migrations.baseline import baseline_metadata
from search_api.resources import open_resources
from tests.factories import found_child, missing_report

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC)


def _old_release_database(engine: Engine, *, legacy_alters: bool) -> dict[str, list[dict]]:
    """Tables exactly as the last release's ``create_all`` made them, filled with one of everything.

    ``legacy_alters``: review_pairs and users as a still older install had them, before the
    start-up's ALTERs added their state and lock-out columns (nullable, default only).
    """
    metadata = baseline_metadata()
    if legacy_alters:
        pairs, users = metadata.tables["review_pairs"], metadata.tables["users"]
        for table, dropped in ((pairs, ("missing_state", "found_state")), (users, ("failed_logins",))):
            for name in dropped:
                table._columns.remove(table.c[name])  # type: ignore[attr-defined]
    metadata.create_all(engine)
    if legacy_alters:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE review_pairs ADD COLUMN missing_state VARCHAR(100) DEFAULT ''"))
            conn.execute(text("ALTER TABLE review_pairs ADD COLUMN found_state VARCHAR(100) DEFAULT ''"))
            conn.execute(text("ALTER TABLE users ADD COLUMN failed_logins INTEGER"))
    t = metadata.tables
    m = parse_record(missing_report(id="MP-OLD-1", name="Sunita Devi", sex="F", age=7, place={"district": "Gaya", "state": "Bihar"}))
    f = parse_record(found_child(id="FC-OLD-1", name="Sunita", sex="F", age=8, place={"district": "Howrah", "state": "West Bengal"}))
    f2 = parse_record(found_child(id="FC-OLD-2", name="Sunitha", sex="F", age=8, place={"district": "Howrah", "state": "West Bengal"}))
    with engine.begin() as conn:
        for record in (m, f, f2):
            values = {**prepare_write(record).values, "created_at": T0, "updated_at": T0}
            conn.execute(insert(t["child_records"]), values)
        conn.execute(insert(t["photos"]), {"record_pk": 1, "sha256": "a" * 64, "relpath": f"photos/aa/{'a' * 64}.jpg", "position": 0,
                                           "created_at": T0})  # fmt: skip
        conn.execute(insert(t["archived_records"]), {"kind": "found", "source_id": "FC-GONE", "status": "restored",
                                                     "payload": {"kind": "found", "id": "FC-GONE"}, "last_updated_at": T0,
                                                     "archived_at": T0})  # fmt: skip
        user = {"username": "dcpu1", "password_hash": "x" * 60, "role": "dcpu", "state": "Bihar", "district": "Gaya", "unit": "",
                "active": True, "locked_until": None, "created_at": T0}  # fmt: skip
        if not legacy_alters:
            user["failed_logins"] = 2
        conn.execute(insert(t["users"]), user)
        conn.execute(insert(t["tokens"]), {"token_sha256": "b" * 64, "user_pk": 1, "expires_at": T0 + dt.timedelta(days=1)})
        pair = {"missing_key": "missing:MP-OLD-1", "found_key": "found:FC-OLD-1", "score": 0.91, "status": "pending",
                "evidence_hash": "c" * 64, "missing_district": "Gaya", "found_district": "Howrah", "explanation": {"rows": [1, 2]},
                "created_at": T0, "updated_at": T0}  # fmt: skip
        if not legacy_alters:  # the release's own pairs with states; an older pair with none
            conn.execute(insert(t["review_pairs"]), {**pair, "missing_state": "Bihar", "found_state": "West Bengal"})
            pair = {**pair, "found_key": "found:FC-OLD-2", "missing_state": "", "found_state": ""}
            conn.execute(insert(t["review_pairs"]), pair)
        else:
            conn.execute(insert(t["review_pairs"]), pair)  # the ALTER's default: ''
        conn.execute(insert(t["review_decisions"]), {"pair_pk": 1, "decision": "need_info", "note": "photo?", "username": "dcpu1",
                                                     "role": "dcpu", "decided_at": T0})  # fmt: skip
        conn.execute(insert(t["duplicate_flags"]), {"kind": "found", "key_a": "found:FC-OLD-1", "key_b": "found:FC-OLD-2", "score": 0.8,
                                                    "status": "pending", "evidence_hash": "d" * 64, "district_a": "Howrah",
                                                    "district_b": "Howrah", "state_a": "", "state_b": "West Bengal",
                                                    "explanation": {}, "note": "", "decided_by": "", "created_at": T0,
                                                    "updated_at": T0})  # fmt: skip
        conn.execute(insert(t["record_entries"]), {"record_key": "missing:MP-OLD-1", "username": "dcpu1", "entered_at": T0})
        prev = GENESIS
        for seq, action in enumerate(("record_edit", "review_decision"), start=1):
            fields = dict(username="dcpu1", role="dcpu", actor_state="Bihar", action=action, outcome="ok",
                          targets=["missing:MP-OLD-1"], detail={"n": seq}, source="10.0.0.1", prev_hash=prev)  # fmt: skip
            digest = entry_digest(seq=seq, at=T0, **fields)
            conn.execute(insert(t["audit_log"]), {"seq": seq, "at": T0, "entry_hash": digest, **fields})
            prev = digest
        conn.execute(insert(t["audit_head"]), {"pk": 1, "seq": 2, "entry_hash": prev})
    return _dump(engine, metadata)


def _dump(engine: Engine, metadata) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    """Every row of every baseline table, by primary key, with the baseline's columns only."""
    out: dict[str, list[dict]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(*table.c).order_by(*table.primary_key.columns)).mappings()
            out[table.name] = [dict(r) for r in rows]
    return out


def _comparable(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Timestamps compared as UTC instants (SQLite hands them back naive)."""

    def norm(v: object) -> object:
        if isinstance(v, dt.datetime):
            return (v if v.tzinfo else v.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        return v

    return {name: [{k: norm(v) for k, v in row.items()} for row in table] for name, table in rows.items()}


@pytest.mark.parametrize("legacy_alters", [False, True], ids=["last-release", "older-install-with-alters"])
def test_old_release_database_upgrades_with_nothing_lost(store_url: str, legacy_alters: bool, tmp_path: Path) -> None:
    engine = make_engine(store_url)
    before = _old_release_database(engine, legacy_alters=legacy_alters)
    with pytest.raises(SchemaMismatch, match="trackchild db upgrade"):
        ensure_schema(engine)  # an unversioned database is never used as it is

    was, now = upgrade(engine)
    assert (was, now) == (None, head_revision())
    after = _dump(engine, baseline_metadata())
    # nothing lost: every row of every table, every value, except the columns the revisions fill
    filled = {"review_pairs": {"missing_state", "found_state"}, "duplicate_flags": {"state_a"}, "users": {"failed_logins"}}
    strip = lambda rows: {n: [{k: v for k, v in r.items() if k not in filled.get(n, ())} for r in t] for n, t in rows.items()}  # noqa: E731
    assert _comparable(strip(after)) == _comparable(strip(before))
    # old pairs with no state are filled from their records (they had dropped out of state queues)
    states = [(p["found_key"], p["missing_state"], p["found_state"]) for p in after["review_pairs"]]
    assert all(ms == "Bihar" and fs == "West Bengal" for _k, ms, fs in states), states
    assert after["duplicate_flags"][0]["state_a"] == "West Bengal"
    assert after["users"][0]["failed_logins"] == (0 if legacy_alters else 2)
    with engine.connect() as conn:
        from sqlalchemy import inspect

        columns = {c["name"]: c for c in inspect(conn).get_columns("review_pairs")}
        assert not columns["missing_state"]["nullable"] and not columns["found_state"]["nullable"]
        assert not {c["name"]: c for c in inspect(conn).get_columns("users")}["failed_logins"]["nullable"]
        assert conn.execute(text("SELECT index_pending FROM archived_records")).scalar_one() in (False, 0)
    # the service runs on it: records read, the audit chain still verifies
    ensure_schema(engine)
    with make_session_factory(engine)() as session:
        assert get_record(session=session, kind="missing", record_id="MP-OLD-1").record.name == "Sunita Devi"  # type: ignore[union-attr]
        report = verify(session=session)
        assert report.ok and report.entries == 2, report.problems
    assert upgrade(engine) == (head_revision(), head_revision())  # idempotent
    engine.dispose()


def test_revisions_build_what_the_models_declare(store_url: str) -> None:
    """Upgrading revision by revision from nothing gives the schema ``create_all`` gives: a table
    or column added to a model without its revision fails here (``trackchild db revision``)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(store_url)
    from search_api.db import _migrating

    with _migrating(engine) as conn:
        from alembic import command

        from search_api.db import alembic_config

        command.upgrade(alembic_config(connection=conn), "head")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _not_version_table})
        diff = compare_metadata(context, all_metadata())
    engine.dispose()
    assert diff == [], f"models and revisions differ (add a revision: trackchild db revision -m ...): {diff}"


def _not_version_table(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    return not (type_ == "table" and name == "alembic_version")


def test_start_up_refuses_a_schema_older_or_newer_than_the_code(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with open_resources(settings) as res:  # an empty database is created at the newest revision
        with res.engine.connect() as conn:
            assert schema_state(conn).current == head_revision()
        # a real step back to the baseline (every revision's downgrade runs), not a forged stamp
        downgrade(res.engine, BASELINE_REVISION)
        with res.engine.connect() as conn:
            assert schema_state(conn).current == BASELINE_REVISION
    with pytest.raises(SchemaMismatch, match=r"older than this code .*run 'trackchild db upgrade'"):
        open_resources(settings)
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT)}
    env.pop("TRACKCHILD_DATABASE_URL", None)
    stats = subprocess.run([sys.executable, "-m", "search_api.cli", "stats"], env=env, capture_output=True, text=True, timeout=120)
    assert stats.returncode == 2 and "trackchild db upgrade" in stats.stderr, stats.stderr
    upgraded = CliRunner().invoke(app, ["db", "upgrade"], env={"TRACKCHILD_DATA_DIR": str(settings.data_dir)})
    assert upgraded.exit_code == 0 and head_revision() in upgraded.output, upgraded.output
    open_resources(settings).close()

    engine = make_engine(settings.store_url())
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999_from_the_future'"))
    engine.dispose()
    with pytest.raises(SchemaMismatch, match="newer than this code"):
        open_resources(settings)
    serve = CliRunner().invoke(app, ["serve", "--port", "1"], env={"TRACKCHILD_DATA_DIR": str(settings.data_dir)})
    assert serve.exit_code == 2 and "newer than this code" in serve.output, serve.output  # refused before listening
