"""Retention: children restored home (and reports traced) long ago leave the active registers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from indexer import archive_records
from search_api.audit.service import Actor, append
from search_api.db import utcnow
from search_api.faces.flows import sync_faces
from search_api.resources import Resources

CLOSED_STATUSES = ("traced", "restored")


@dataclass(frozen=True)
class RetentionReport:
    archived: list[str]
    face_vectors_removed: int
    cutoff: dt.datetime


def archive_closed_cases(*, res: Resources, days: int | None = None, actor: Actor) -> RetentionReport:
    """Archive records traced/restored more than ``days`` ago (default: the setting): out of the
    store's active table, the text index and the face index; audited with their ids.

    The index drops them before the store commits: if the index cannot be written (another
    process holds it), nothing is archived.
    """
    days = days if days is not None else res.settings.retention_days
    cutoff = utcnow() - dt.timedelta(days=days)
    with res.index_writer(), res.session_factory() as session:
        keys = archive_records(session=session, statuses=CLOSED_STATUSES, updated_before=cutoff)
        append(session=session, actor=actor, action="archive", targets=keys, detail={"results": len(keys), "days": days})
        if keys:
            res.text_index.delete(keys)
            res.text_index.commit()
        session.commit()
        removed = sync_faces(res).removed if keys else 0
    return RetentionReport(keys, removed, cutoff)
