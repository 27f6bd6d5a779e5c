"""Reading records as a given user: full inside their jurisdiction, limited outside, audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from indexer import StoredRecord, get_record_or_raise, get_records_by_keys, iter_records, list_records
from search_api.audit.service import Actor, append
from search_api.fusion.service import Candidate
from search_api.policy import PermissionDenied, authorize, covers, limited_explanation, limited_view, sees_pair
from search_api.resources import Resources
from search_api.review import service as review
from search_api.users.models import UserRow


def full_view(stored: StoredRecord) -> dict:
    return {
        **stored.record.model_dump(mode="json"),
        "photo_count": len(stored.record.photos),
        "created_at": stored.created_at.isoformat(),
        "updated_at": stored.updated_at.isoformat(),
        "version": stored.content_hash,  # send it back as If-Match when updating
        "access": "full",
    }


def view_for(user: UserRow, stored: StoredRecord) -> dict:
    """The record as this user may see it."""
    return full_view(stored) if covers(user, stored.record) else limited_view(stored.record)


def open_record(*, session: Session, user: UserRow, kind: str, record_id: str, source: str = "") -> tuple[StoredRecord, dict]:
    """The stored record and the view this user may see of it; the viewing is audited."""
    authorize(user, "read_record")
    stored = get_record_or_raise(session=session, kind=kind, record_id=record_id)  # type: ignore[arg-type]
    view = view_for(user, stored)
    append(session=session, actor=Actor.of(user, source), action="record_view", targets=[stored.key], detail={"access": view["access"]})
    return stored, view


def read_record(*, session: Session, user: UserRow, kind: str, record_id: str, source: str = "") -> dict:
    return open_record(session=session, user=user, kind=kind, record_id=record_id, source=source)[1]


def get_stored_for(*, session: Session, user: UserRow, kind: str, record_id: str) -> StoredRecord:
    """The stored record for in-service use (matching, pages), after the role check."""
    authorize(user, "read_record")
    return get_record_or_raise(session=session, kind=kind, record_id=record_id)  # type: ignore[arg-type]


def list_records_for(
    *, session: Session, user: UserRow, source: str = "", limit: int = 50, offset: int = 0, **filters: str | None
) -> list[dict]:
    authorize(user, "read_record")
    rows = list_records(session=session, limit=limit, offset=offset, **filters)  # type: ignore[arg-type]
    views = [view_for(user, r) for r in rows]
    append(session=session, actor=Actor.of(user, source), action="record_list", targets=[r.key for r in rows],
           detail={"results": len(rows), "filters": sorted(k for k, v in filters.items() if v)})  # fmt: skip
    return views


def candidate_views(*, session: Session, user: UserRow, stored: StoredRecord, candidates: list[Candidate]) -> list[dict]:
    """Candidates as this user may see them: outside their jurisdiction, the other child is
    limited and the explanation keeps labels and weights but neither child's values."""
    others = get_records_by_keys(session=session, keys=[c.key for c in candidates])
    subject_covered = covers(user, stored.record)
    out = []
    for c in candidates:
        other = others.get(c.key)
        if other is None:
            continue
        full = subject_covered and covers(user, other.record)
        explain = c.explanation.to_json()
        out.append(
            {
                "key": c.key,
                "id": c.id,
                "kind": c.kind,
                "score": c.score,
                "source": c.source,
                "explain": explain if full else limited_explanation(explain),
                "lines": c.explanation.lines() if full else [],
                "record": view_for(user, other),
                "access": "full" if full else "limited",
            }
        )
    return out


def audit_record_page(*, session: Session, user: UserRow, stored: StoredRecord, view: dict, shown: list[dict], source: str = "") -> None:
    """One audit entry for one view of a record page: the record and every candidate shown with it."""
    append(session=session, actor=Actor.of(user, source), action="record_view", targets=[stored.key, *[c["key"] for c in shown]],
           detail={"access": view["access"], "results": len(shown)})  # fmt: skip


def show_candidates(*, session: Session, user: UserRow, stored: StoredRecord, candidates: list[Candidate], source: str = "") -> list[dict]:
    """``candidate_views`` for a person looking at them: the match is audited with what was shown."""
    shown = candidate_views(session=session, user=user, stored=stored, candidates=candidates)
    append(session=session, actor=Actor.of(user, source), action="match", targets=[stored.key, *[c["key"] for c in shown]],
           detail={"results": len(shown)})  # fmt: skip
    return shown


def photo_path_for(
    *, res: Resources, session: Session, user: UserRow, kind: str, record_id: str, position: int, large: bool, pair_pk: int | None = None
) -> Path:
    """A photo file for this user. Thumbnails go to every search role (a face is what one
    decides on); the large photo only inside the jurisdiction or through a pair they see."""
    authorize(user, "search")
    stored = get_record_or_raise(session=session, kind=kind, record_id=record_id)  # type: ignore[arg-type]
    if not 0 <= position < len(stored.record.photos):
        raise LookupError("no such photo")
    if large and not covers(user, stored.record):
        pair = review.get_or_raise(session=session, pair_pk=pair_pk) if pair_pk is not None else None
        if pair is None or stored.key not in (pair.missing_key, pair.found_key):
            raise PermissionDenied("the large photo opens only inside your jurisdiction or through a review pair")
        both = get_records_by_keys(session=session, keys=[pair.missing_key, pair.found_key])
        m, f = both.get(pair.missing_key), both.get(pair.found_key)
        if not sees_pair(user, m.record if m else None, f.record if f else None):
            raise PermissionDenied("this pair involves none of your records")
    relpath = stored.record.photos[position]
    if not res.photo_store.has(relpath):  # a path stored before paths were checked is no photo
        raise LookupError("no such photo")
    return res.photo_store.path_of(relpath)


def export_records(*, session: Session, user: UserRow, kind: str | None = None, source: str = "") -> Iterator[dict]:
    """Every record in the user's jurisdiction, in full, as JSON objects (audited with the count)."""
    for stored in export_stored(session=session, user=user, kind=kind, source=source):
        yield stored.record.model_dump(mode="json")


def export_stored(
    *, session: Session, user: UserRow, kind: str | None = None, source: str = "", export_format: str = "jsonl"
) -> Iterator[StoredRecord]:
    """Every stored record in the user's jurisdiction (any export format); audited with the count
    once the last one has been given."""
    authorize(user, "export")
    count = 0
    keys: list[str] = []
    for stored in iter_records(session=session, kind=kind):  # type: ignore[arg-type]
        if covers(user, stored.record):
            count += 1
            if len(keys) < 10_000:
                keys.append(stored.key)
            yield stored
    detail = {"results": count, "kind": kind or "all"} | ({"format": export_format} if export_format != "jsonl" else {})
    append(session=session, actor=Actor.of(user, source), action="export", targets=keys, detail=detail)
