"""Retention: children restored home (and reports traced) long ago leave the active registers."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from indexer import TextIndexError, archive_records
from search_api.audit.service import Actor, append
from search_api.db import utcnow
from search_api.faces.flows import sync_faces
from search_api.resources import Resources

log = logging.getLogger(__name__)
CLOSED_STATUSES = ("traced", "restored")


@dataclass(frozen=True)
class RetentionReport:
    archived: list[str]
    face_vectors_removed: int
    cutoff: dt.datetime
    index_pending: bool = False  # the text index could not drop them now (another process holds it)


def archive_closed_cases(*, res: Resources, days: int | None = None, actor: Actor) -> RetentionReport:
    """Archive records traced/restored more than ``days`` ago (default: the setting): out of the
    store's active table, the text index and the face index; audited with their ids.

    The store commits first (the archive and its audit entry, each archived record flagged
    *pending index*); the text index drops them next and the flags are cleared. A crash (or an
    index held by another process) in between leaves the flags set, and the next ingest,
    ``reindex`` or server start finishes the job.
    """
    days = days if days is not None else res.settings.retention_days
    cutoff = utcnow() - dt.timedelta(days=days)
    with res.index_writer(), res.session_factory() as session:
        keys = archive_records(session=session, statuses=CLOSED_STATUSES, updated_before=cutoff)
        append(session=session, actor=actor, action="archive", targets=keys, detail={"results": len(keys), "days": days})
        session.commit()
    pending = False
    if keys:
        with res.index_writer():
            try:
                res.ingestor().drop_archived()
            except TextIndexError as exc:  # e.g. another process holds the index: it finishes the job on its next write or start
                log.warning("archived %d records; the text index drops them later: %s", len(keys), exc)
                pending = True
            removed = sync_faces(res).removed
    else:
        removed = 0
    return RetentionReport(keys, removed, cutoff, pending)
