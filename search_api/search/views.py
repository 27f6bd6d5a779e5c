from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile, status

from indexer import SearchFilters, get_records_by_keys
from search_api.deps import CurrentUser, DbSession, ResourcesDep
from search_api.policy import authorize
from search_api.records.views import read_upload

router = APIRouter(prefix="/search", tags=["search"])


@router.get("", summary="Search by (partial) name in any script, or description words")
def search_text(
    user: CurrentUser,
    res: ResourcesDep,
    q: Annotated[str, Query(max_length=512)] = "",
    kind: Literal["missing", "found"] | None = None,
    sex: Literal["M", "F", "X"] | None = None,
    age_min: Annotated[float | None, Query(ge=0, le=30)] = None,
    age_max: Annotated[float | None, Query(ge=0, le=30)] = None,
    state: Annotated[str | None, Query(max_length=100)] = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=16)] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict]:
    authorize(user, "search")
    try:
        filters = SearchFilters(kind, sex, age_min, age_max, date_from, date_to, state, district, status_)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return [h.to_json() for h in res.text_index.search(q, filters=filters, limit=limit)]


@router.post("/photo", summary="Investigators: records whose photos look like this face")
def search_photo(
    user: CurrentUser,
    res: ResourcesDep,
    session: DbSession,
    file: Annotated[UploadFile, File()],
    kind: Annotated[Literal["missing", "found"] | None, Form()] = None,
    limit: Annotated[int, Form(ge=1, le=50)] = 10,
) -> list[dict]:
    authorize(user, "search")
    data = read_upload(file, res.settings.max_photo_bytes)
    face = res.face_pipeline.load().embed_image(data)[0]
    hits = res.face_index.search(face.embedding, k=limit, kind=kind)
    records = get_records_by_keys(session=session, keys=[h.record_key for h in hits])
    out = []
    for hit in hits:
        stored = records.get(hit.record_key)
        if stored is None:
            continue
        r = stored.record
        out.append(
            {
                "id": r.id,
                "kind": r.kind,
                "name": r.name,
                "age": r.age,
                "sex": r.sex,
                "district": r.place.district,
                "state": r.place.state,
                "face_score": round(hit.score, 4),
            }
        )
    return out
