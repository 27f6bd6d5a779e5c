"""Tables the service owns (users, tokens, review, record entries), beside the indexer's in the same database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import DeclarativeBase


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ServiceBase(DeclarativeBase):
    pass


def create_service_schema(engine) -> None:  # type: ignore[no-untyped-def]
    from search_api.records import models as _records  # noqa: F401 - registers the tables
    from search_api.review import models as _review  # noqa: F401
    from search_api.users import models as _users  # noqa: F401

    ServiceBase.metadata.create_all(engine)
