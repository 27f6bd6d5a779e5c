"""Blocking: which records of the other register are worth comparing with this one.

Two sources, unioned: the text index (the child's names, nicknames and parents' names,
and description words, in one query) and the face index (every photo of the record). Sex
filters the text search only loosely (unknown sex matches both).
"""

from __future__ import annotations

import datetime as dt

from embeddings import FaceIndex
from indexer import SearchFilters, TextIndex
from search_api.fusion.views import ChildView


def other_kind(kind: str) -> str:
    return "found" if kind == "missing" else "missing"


# A found child's estimated age against the age at which a missing child was reported:
# the child has grown since (years unknown here) and estimates are rough.
AGE_WINDOW_YOUNGER = 10.0
AGE_WINDOW_OLDER = 4.0


def text_query(view: ChildView) -> str:
    """Names, nicknames, parents' names and identifying marks: common names tie by the
    hundred, and marks both break ties and find children who cannot say their name."""
    r = view.record
    words = [*r.names(), r.father_name, r.mother_name, r.marks]
    return " ".join(w for w in words if w)


# two records of the same side: the same child, ages entered (or estimated) a little apart
AGE_WINDOW_SAME_SIDE = 4.0


def age_window(view: ChildView, target_kind: str | None = None) -> tuple[float | None, float | None]:
    age = view.record.age
    if age is None:
        return None, None
    if target_kind == view.kind:
        return max(0.0, age - AGE_WINDOW_SAME_SIDE), age + AGE_WINDOW_SAME_SIDE
    if view.kind == "found":  # looking for missing reports filed when the child was younger
        return max(0.0, age - AGE_WINDOW_YOUNGER), age + AGE_WINDOW_OLDER
    return max(0.0, age - AGE_WINDOW_OLDER), age + AGE_WINDOW_YOUNGER


def _date_window(view: ChildView, target_kind: str) -> tuple[dt.date, dt.date] | None:
    """Dates of the other register's likely records: a report up to a year before a child was
    found (or a child found up to a year after the report), with a month of slack for dates
    entered late or a child found days before the report was filed."""
    date = view.record.date
    if date is None or target_kind == view.kind:
        return None
    if view.kind == "found":
        return date - dt.timedelta(days=365), date + dt.timedelta(days=30)
    return date - dt.timedelta(days=30), date + dt.timedelta(days=365)


def candidate_keys(
    view: ChildView,
    *,
    text_index: TextIndex,
    face_index: FaceIndex | None,
    text_limit: int,
    face_limit: int,
    target_kind: str | None = None,
) -> dict[str, str]:
    """Candidate record keys → where they came from ("text", "face" or "text+face").

    ``target_kind`` defaults to the other register; the same register finds duplicates
    (the record itself is never its own candidate).
    """
    found: dict[str, str] = {}
    other = target_kind or other_kind(view.kind)
    sex = view.record.sex if view.record.sex in ("M", "F") else None
    query = text_query(view)
    place = view.record.place
    weakly_named = max((len(n.tokens) for n in view.names), default=0) <= 1
    age_min, age_max = age_window(view, other)
    if query:
        filters = SearchFilters(kind=other, sex=sex, age_min=age_min, age_max=age_max)
        for hit in text_index.search(query, filters=filters, limit=text_limit, explain=False):
            found[hit.key] = "text"
        if age_min is not None:
            # ages are sometimes wildly wrong: the best name matches at any age come too
            for hit in text_index.search(query, filters=SearchFilters(kind=other, sex=sex), limit=max(10, text_limit // 4), explain=False):
                found.setdefault(hit.key, "text")
        # A lone common first name ("Rahul") ties with thousands of records nationally; most
        # children are found in their own district or state, so search there too. A fuller
        # name already ranks its records high nationally: it skips this (and its cost).
        for area in ({"state": place.state, "district": place.district}, {"state": place.state}):
            if not weakly_named or not all(area.values()):
                continue
            local = SearchFilters(kind=other, sex=sex, age_min=age_min, age_max=age_max, **area)
            for hit in text_index.search(query, filters=local, limit=max(10, text_limit // 4), explain=False):
                found.setdefault(hit.key, "text")
    # A child known by one word (or none) is often found in the district it went missing
    # from, soon after: also search the reports filed there in the year before, of the right
    # sex and age (a few hundred at most, where nationally "Rahul" ties with thousands), the
    # best name matches first; a child with no name at all gets the first of that block.
    # An extra pass, not a filter: the passes above still reach any district and date.
    window = _date_window(view, other)
    if weakly_named and window is not None and place.state and place.district:
        nearby = SearchFilters(
            kind=other,
            sex=sex,
            age_min=age_min,
            age_max=age_max,
            state=place.state,
            district=place.district,
            date_from=window[0],
            date_to=window[1],
        )
        for hit in text_index.search(query, filters=nearby, limit=max(10, text_limit // 4), explain=False):
            found.setdefault(hit.key, "text")
    if face_index is not None and len(face_index) and view.faces:
        for face in view.faces:
            for hit in face_index.search(face.vector, k=face_limit, kind=other):
                found[hit.record_key] = "text+face" if found.get(hit.record_key) == "text" else found.get(hit.record_key, "face")
    found.pop(view.key, None)
    return found
