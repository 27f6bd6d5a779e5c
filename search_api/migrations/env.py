"""Alembic environment: migrates the connection it is given (``search_api.db``), or the URL set."""

from __future__ import annotations

from alembic import context

from indexer import make_engine
from search_api.db import VERSION_TABLE, all_metadata

config = context.config


def _include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    return not (type_ == "table" and name == VERSION_TABLE)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=all_metadata(),
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite alters a table by copying it
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()
