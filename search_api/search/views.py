from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile, status

from indexer import SearchFilters
from search_api.deps import CurrentUser, DbSession, ResourcesDep, Source
from search_api.records.views import read_upload
from search_api.search import service

router = APIRouter(prefix="/search", tags=["search"])


@router.get("", summary="Search by (partial) name in any script, or description words")
def search_text(
    user: CurrentUser,
    res: ResourcesDep,
    session: DbSession,
    source: Source,
    q: Annotated[str, Query(max_length=512)] = "",
    kind: Literal["missing", "found"] | None = None,
    sex: Literal["M", "F", "X"] | None = None,
    age_min: Annotated[float | None, Query(ge=0, le=30)] = None,
    age_max: Annotated[float | None, Query(ge=0, le=30)] = None,
    state: Annotated[str | None, Query(max_length=100)] = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    status_: Annotated[Literal["open", "traced", "closed", "in_care", "restored", "transferred"] | None, Query(alias="status")] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict]:
    try:
        filters = SearchFilters(kind, sex, age_min, age_max, date_from, date_to, state, district, status_)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    hits = service.search_text(res=res, session=session, user=user, query=q, filters=filters, limit=limit, source=source)
    return [h.to_json() for h in hits]


@router.post("/photo", summary="Investigators: records whose photos look like this face")
def search_photo(
    user: CurrentUser,
    res: ResourcesDep,
    session: DbSession,
    source: Source,
    file: Annotated[UploadFile, File()],
    kind: Annotated[Literal["missing", "found"] | None, Form()] = None,
    limit: Annotated[int, Form(ge=1, le=50)] = 10,
) -> list[dict]:
    data = read_upload(file, res.settings.max_photo_bytes)
    hits = service.search_photo(res=res, session=session, user=user, data=data, kind=kind, limit=limit, source=source)
    return [h.to_json() for h in hits]
