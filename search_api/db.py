"""The service's tables beside the indexer's, and the schema version of the whole database.

Every table (the store's in ``indexer.store.models`` and the service's in
``search_api/*/models.py``) is migrated by Alembic revisions in ``search_api/migrations``.
The database holds its revision in ``alembic_version``; ``ensure_schema`` refuses to run on a
database older or newer than the code and names the command that fixes it. A database with no
tables at all is created at the newest revision directly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# the revision equal to the schema of the last release made without migrations
BASELINE_REVISION = "0001_baseline"
VERSION_TABLE = "alembic_version"
UPGRADE_COMMAND = "trackchild db upgrade"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@overload
def as_utc(at: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(at: None) -> None: ...
def as_utc(at: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC time (SQLite gives naive UTC back; PostgreSQL aware)."""
    return at.replace(tzinfo=dt.UTC) if at is not None and at.tzinfo is None else at


class ServiceBase(DeclarativeBase):
    pass


class SchemaMismatch(RuntimeError):
    """The database's schema revision is not the one this code was written for."""


def all_metadata() -> list[MetaData]:
    """The store's and the service's tables (what the revisions describe and autogenerate compares).

    A module with new tables must be imported here, or Alembic never sees them.
    """
    from indexer import store_metadata
    from search_api import limits as _limits  # noqa: F401 - registers the tables
    from search_api.audit import models as _audit  # noqa: F401
    from search_api.care import models as _care  # noqa: F401
    from search_api.citizen import models as _citizen  # noqa: F401
    from search_api.directory import models as _directory  # noqa: F401
    from search_api.monitoring import models as _monitoring  # noqa: F401
    from search_api.notifications import models as _notifications  # noqa: F401
    from search_api.records import models as _records  # noqa: F401
    from search_api.restoration import models as _restoration  # noqa: F401
    from search_api.review import models as _review  # noqa: F401
    from search_api.users import models as _users  # noqa: F401

    return [store_metadata(), ServiceBase.metadata]


def alembic_config(url: str | None = None, *, connection: Connection | None = None):  # type: ignore[no-untyped-def]
    """An Alembic ``Config`` on our migrations; ``connection`` (if given) is the one migrated."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_table", VERSION_TABLE)
    config.set_main_option("file_template", "%%(rev)s")  # revision ids read 0004_what_it_does
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@functools.cache
def known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions())


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: no version stored
    head: str
    has_tables: bool

    @property
    def empty(self) -> bool:
        return not self.has_tables

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def schema_state(conn: Connection) -> SchemaState:
    tables = set(inspect(conn).get_table_names()) - {VERSION_TABLE}
    return SchemaState(current=_current_revision(conn), head=head_revision(), has_tables=bool(tables))


def mismatch_message(state: SchemaState, where: str) -> str | None:
    """Why the code must not run on this database, naming the command that fixes it (None: it may)."""
    if state.up_to_date:
        return None
    if state.current is None:
        return (
            f"the database at {where} has tables but no schema version (made before migrations existed); "
            f"back it up and run '{UPGRADE_COMMAND}'"
        )
    if state.current not in known_revisions():
        return (
            f"the database at {where} is at schema revision {state.current}, newer than this code knows (head {state.head}); "
            f"run the TrackChild version that upgraded it, or with that version run 'trackchild db downgrade {state.head}'"
        )
    return (
        f"the database at {where} is at schema revision {state.current}, older than this code (head {state.head}); run '{UPGRADE_COMMAND}'"
    )


def _lock(conn: Connection) -> None:
    """Serialise schema work between processes starting at once."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7411020)"))
    elif conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        # the one writer lock now, and DDL inside the transaction (pysqlite begins only before DML)
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _create_at_head(conn: Connection) -> None:
    from alembic import command

    for metadata in all_metadata():
        metadata.create_all(conn)
    command.stamp(alembic_config(connection=conn), "head")


def ensure_schema(engine: Engine) -> None:
    """Create an empty database at the newest revision; refuse any database not at it.

    Raises:
        SchemaMismatch: the database is older (run ``trackchild db upgrade``) or newer than the code.
    """
    with engine.begin() as conn:
        state = schema_state(conn)
        if state.up_to_date:
            return
        if state.empty:
            _lock(conn)
            if schema_state(conn).empty:  # another process may have created it meanwhile
                _create_at_head(conn)
                return
            state = schema_state(conn)
    message = mismatch_message(state, engine.url.render_as_string(hide_password=True))
    if message:
        raise SchemaMismatch(message)


def _adopt_unversioned(conn: Connection) -> None:
    """Bring a database made before migrations to the baseline: the old start-up created
    missing tables and added missing columns (nullable, default only); do the same, then stamp it."""
    from alembic import command

    from search_api.migrations.baseline import baseline_metadata

    metadata = baseline_metadata()
    metadata.create_all(conn)
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            kind = column.type.compile(dialect=conn.dialect)
            default = column.server_default.arg if column.server_default is not None else None  # type: ignore[attr-defined]
            clause = f" DEFAULT {default}" if default is not None else ""
            conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{clause}'))
    command.stamp(alembic_config(connection=conn), BASELINE_REVISION)


@contextlib.contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection for revisions. On SQLite foreign keys are off meanwhile (outside any
    transaction, where the pragma works): altering a table copies it and drops the old one,
    and with them on, dropping a parent would cascade-delete its children's rows."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                _lock(conn)
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise SchemaMismatch(f"the migration would break {len(broken)} foreign keys, e.g. {broken[0]}; nothing was changed")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade the database to ``revision`` (an empty one is created); returns (before, after),
    before being ``"empty"`` for a database without tables and None for one without a version."""
    from alembic import command

    with _migrating(engine) as conn:
        state = schema_state(conn)
        before = "empty" if state.empty else state.current
        if state.empty and revision == "head":
            _create_at_head(conn)
        else:
            if state.current is None and state.has_tables:
                _adopt_unversioned(conn)
            command.upgrade(alembic_config(connection=conn), revision)
        after = _current_revision(conn)
    return before, after or ""


def downgrade(engine: Engine, revision: str) -> tuple[str | None, str]:
    from alembic import command

    with _migrating(engine) as conn:
        before = _current_revision(conn)
        command.downgrade(alembic_config(connection=conn), revision)
        after = _current_revision(conn)
    return before, after or ""


def create_service_schema(engine: Engine) -> None:
    """Kept for callers of the old API: the whole schema is now ``ensure_schema``'s job."""
    ensure_schema(engine)


def autogenerate_revision(message: str, *, rev_id: str | None = None) -> str:
    """Write a new revision file from the difference between the models and the newest
    revision's schema (built in a scratch SQLite file); returns its path. Read it before committing."""
    import tempfile

    from alembic import command

    from indexer import make_engine

    if rev_id is None:
        # alembic_version.version_num is VARCHAR(32): the whole id must fit
        slug = "_".join("".join(ch if ch.isalnum() else " " for ch in message.lower()).split())[:27].rstrip("_")
        rev_id = f"{len(known_revisions()) + 1:04d}_{slug}"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+pysqlite:///{tmp}/scratch.sqlite3"
        engine = make_engine(url)
        try:
            with _migrating(engine) as conn:
                command.upgrade(alembic_config(connection=conn), "head")
            with engine.begin() as conn:
                script = command.revision(alembic_config(connection=conn), message=message, autogenerate=True, rev_id=rev_id)
        finally:
            engine.dispose()
    head_revision.cache_clear()
    known_revisions.cache_clear()
    return script.path  # type: ignore[union-attr]
