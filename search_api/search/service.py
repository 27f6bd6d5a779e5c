"""Searching the registers by words and by face, nationwide, as a given user (audited).

Hits outside the user's jurisdiction carry the limited view only (first name, age, sex,
district, unit to contact) and say which fields matched without quoting them. They are
found by the child's own names only: outside the jurisdiction a search never matches
through parents' names, marks, clothing, the description or the reporter, so a hit cannot
confirm what a hidden field holds (the index runs that part of the query on names alone).
Filters on what the limited view hides (the date missing or found) are likewise not applied
outside: such hits say so (``filters_not_applied``), and a date window narrowed around an
outsider's record cannot confirm its date. Refusing the filter instead would fail a police
officer's ordinary "missing in January" search, or drop the nationwide part of it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy.orm import Session

from indexer import SearchFilters, StoredRecord, TextHit, build_query_plan, get_records_by_keys
from search_api.audit.service import Actor, append
from search_api.policy import OUTSIDER_HIDDEN_FILTERS, SCOPE, authorize, covers
from search_api.records.service import view_for
from search_api.resources import Resources
from search_api.users.models import UserRow


@dataclass(frozen=True)
class RecordHit:
    """A search result as this user may see it."""

    key: str
    score: float
    matched_fields: tuple[str, ...]
    matches: tuple[dict, ...]  # field, how, query term, record term: only inside the jurisdiction
    record: dict  # full or limited view
    filters_not_applied: tuple[str, ...] = ()  # filters on fields hidden from this user (outside the jurisdiction)

    def to_json(self) -> dict:
        return {
            "id": self.record["id"],
            "kind": self.record["kind"],
            "name": self.record.get("name", self.record.get("first_name", "")),
            "score": round(self.score, 4),
            "matched_fields": list(self.matched_fields),
            "matches": list(self.matches),
            "access": self.record["access"],
            "filters_not_applied": list(self.filters_not_applied),
            "record": self.record,
        }


@dataclass(frozen=True)
class PhotoHit:
    key: str
    face_score: float
    record: dict

    def to_json(self) -> dict:
        r = self.record
        return {
            "id": r["id"],
            "kind": r["kind"],
            "name": r.get("name", r.get("first_name", "")),
            "age": r.get("age"),
            "sex": r.get("sex"),
            "district": r["place"].get("district", ""),
            "state": r["place"].get("state", ""),
            "face_score": round(self.face_score, 4),
            "access": r["access"],
            "record": r,
        }


_OWN_NAMES = ("name", "aliases")


def _hits_for(
    user: UserRow, hits: list[TextHit], stored: dict[str, StoredRecord], *, inside: bool, not_applied: tuple[str, ...] = ()
) -> list[RecordHit]:
    """The hits whose record is inside (or outside) the user's jurisdiction, as they may see them."""
    out = []
    for h in hits:
        s = stored.get(h.key)
        if s is None or covers(user, s.record) != inside:
            continue
        if inside:
            out.append(RecordHit(h.key, h.score, tuple(h.matched_fields), tuple(m.__dict__ for m in h.matched), view_for(user, s)))
        else:  # a names-only hit; an alias is reported as the name (aliases are not in the limited view)
            fields = tuple(dict.fromkeys("name" for f in h.matched_fields if f in _OWN_NAMES))
            out.append(RecordHit(h.key, h.score, fields, (), view_for(user, s), not_applied))
    return out


def search_text(
    *, res: Resources, session: Session, user: UserRow, query: str, filters: SearchFilters, limit: int = 20, source: str = ""
) -> list[RecordHit]:
    """Partial names in any script, aliases, parents, marks and description words inside the
    user's jurisdiction; the child's own names only outside it (two index queries unless the
    user's jurisdiction is national)."""
    authorize(user, "search")
    hits = res.text_index.search(query, filters=filters, limit=limit)
    stored = get_records_by_keys(session=session, keys=[h.key for h in hits])
    results = _hits_for(user, hits, stored, inside=True)
    not_applied: tuple[str, ...] = ()
    if SCOPE.get(user.role) != "national" and _outsiders_searched(query):
        outside_filters, not_applied = outsider_filters(filters)
        outside = res.text_index.search(query, filters=outside_filters, limit=limit, fields="names")
        stored |= get_records_by_keys(session=session, keys=[h.key for h in outside if h.key not in stored])
        outsiders = _hits_for(user, outside, stored, inside=False, not_applied=not_applied)
        results = sorted(results + outsiders, key=lambda r: -r.score)[:limit]
    used = sorted(k for k, v in vars(filters).items() if v is not None)
    # the query may be a child's name: the audit keeps its length, never its text
    append(session=session, actor=Actor.of(user, source), action="search", targets=[r.key for r in results],
           detail={"results": len(results), "filters": used, "query_length": len(query),
                   "not_applied_outside": list(not_applied)})  # fmt: skip
    return results


def outsider_filters(filters: SearchFilters) -> tuple[SearchFilters, tuple[str, ...]]:
    """The filters for records outside the jurisdiction: those on hidden fields dropped; and which were."""
    dropped = tuple(name for name in OUTSIDER_HIDDEN_FILTERS if getattr(filters, name) is not None)
    return dataclasses.replace(filters, **dict.fromkeys(OUTSIDER_HIDDEN_FILTERS)), dropped


def _outsiders_searched(query: str) -> bool:
    """Whether to run the names-only query for records outside the jurisdiction: an empty query
    lists (filters only) for everyone; a query with no word to match as a name finds nothing
    outside the jurisdiction (a names-only plan without words would match everything)."""
    return not build_query_plan(query, fields="names").is_match_all or build_query_plan(query).is_match_all


def search_photo(
    *, res: Resources, session: Session, user: UserRow, data: bytes, kind: str | None = None, limit: int = 10, source: str = ""
) -> list[PhotoHit]:
    """Records whose photos look like the (largest) face in this photo, most alike first."""
    authorize(user, "search")
    res.limit("photo_search").hit(f"user:{user.username}")
    face = res.face_pipeline.load().embed_image(data)[0]
    hits = res.face_index.search(face.embedding, k=limit, kind=kind)
    records = get_records_by_keys(session=session, keys=[h.record_key for h in hits])
    results = [PhotoHit(h.record_key, h.score, view_for(user, records[h.record_key])) for h in hits if h.record_key in records]
    append(session=session, actor=Actor.of(user, source), action="photo_search", targets=[r.key for r in results],
           detail={"results": len(results), "kind": kind or "all"})  # fmt: skip
    return results
