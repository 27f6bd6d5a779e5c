"""Tables the service owns (users, tokens, review, record entries, audit), beside the indexer's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import DeclarativeBase


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ServiceBase(DeclarativeBase):
    pass


def create_service_schema(engine: Engine) -> None:
    """Create missing tables, and add columns that later versions introduced to old tables.

    Only additive changes happen here (a new column with a default); anything else needs a
    real migration.
    """
    from search_api import limits as _limits  # noqa: F401 - registers the tables
    from search_api.audit import models as _audit  # noqa: F401
    from search_api.records import models as _records  # noqa: F401
    from search_api.review import models as _review  # noqa: F401
    from search_api.users import models as _users  # noqa: F401

    ServiceBase.metadata.create_all(engine)
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in ServiceBase.metadata.sorted_tables:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = column.server_default.arg if column.server_default is not None else None  # type: ignore[attr-defined]
                clause = f" DEFAULT {default}" if default is not None else ""
                conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{clause}'))
