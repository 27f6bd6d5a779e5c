"""Record routes: thin, each calls one service or flow."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, HTTPException, Query, UploadFile, status

from indexer import get_record_or_raise, list_records
from search_api.deps import CurrentUser, DbSession, MatcherDep, ResourcesDep
from search_api.policy import authorize
from search_api.records import flows
from search_api.records.flows import match_and_queue, save_record

router = APIRouter(prefix="/records", tags=["records"])
Kind = Literal["missing", "found"]


def _read(stored) -> dict:  # type: ignore[no-untyped-def]
    return {
        **stored.record.model_dump(mode="json"),
        "created_at": stored.created_at.isoformat(),
        "updated_at": stored.updated_at.isoformat(),
    }


def _saved(saved) -> dict:  # type: ignore[no-untyped-def]
    return {
        "record": _read(saved.stored),
        "candidates": [{"key": c.key, **c.to_json()} for c in saved.candidates],
        "queued_for_review": saved.queued,
    }


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create (or re-submit) a missing report or found child")
def create_record(
    body: Annotated[dict[str, Any], Body(examples=[{"kind": "found", "id": "FC-1", "name": "Rahul", "sex": "M", "age": 9}])],
    user: CurrentUser,
    session: DbSession,
    res: ResourcesDep,
    matcher: MatcherDep,
) -> dict:
    return _saved(save_record(res=res, matcher=matcher, session=session, data=body, user=user))


@router.put("/{kind}/{record_id}", summary="Update a record (the whole record)")
def update_record(
    kind: Kind, record_id: str, body: dict[str, Any], user: CurrentUser, session: DbSession, res: ResourcesDep, matcher: MatcherDep
) -> dict:
    if body.get("kind", kind) != kind or str(body.get("id", record_id)) != record_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "kind and id in the body must match the URL")
    get_record_or_raise(session=session, kind=kind, record_id=record_id)
    return _saved(save_record(res=res, matcher=matcher, session=session, data={**body, "kind": kind, "id": record_id}, user=user))


@router.get("/{kind}/{record_id}")
def get_record(kind: Kind, record_id: str, user: CurrentUser, session: DbSession) -> dict:
    authorize(user, "read_record")
    return _read(get_record_or_raise(session=session, kind=kind, record_id=record_id))


@router.get("")
def list_all(
    user: CurrentUser,
    session: DbSession,
    kind: Kind | None = None,
    status_: Annotated[str | None, Query(alias="status")] = None,
    state: str | None = None,
    district: str | None = None,
    sex: Literal["M", "F", "X"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict]:
    authorize(user, "read_record")
    rows = list_records(session=session, kind=kind, status=status_, state=state, district=district, sex=sex, limit=limit, offset=offset)
    return [_read(r) for r in rows]


@router.get("/{kind}/{record_id}/candidates", summary="Best candidates from the other register, explained")
def candidates(
    kind: Kind, record_id: str, user: CurrentUser, session: DbSession, matcher: MatcherDep, limit: Annotated[int, Query(ge=1, le=50)] = 10
) -> list[dict]:
    authorize(user, "search")
    stored = get_record_or_raise(session=session, kind=kind, record_id=record_id)
    found, _ = match_and_queue(matcher=matcher, session=session, stored=stored)
    return [{"key": c.key, **c.to_json()} for c in found[:limit]]


@router.post("/{kind}/{record_id}/photos", status_code=status.HTTP_201_CREATED, summary="Add a photo (JPEG, PNG, WEBP)")
def add_photo(
    kind: Kind,
    record_id: str,
    file: Annotated[UploadFile, File()],
    user: CurrentUser,
    session: DbSession,
    res: ResourcesDep,
    matcher: MatcherDep,
) -> dict:
    stored = get_record_or_raise(session=session, kind=kind, record_id=record_id)
    data = read_upload(file, res.settings.max_photo_bytes)
    return _saved(flows.add_photo(res=res, matcher=matcher, session=session, stored=stored, data=data, user=user))


def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """Read at most ``max_bytes``; a larger upload is refused without reading it all."""
    data = file.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the photo is larger than {max_bytes:,} bytes")
    if not data:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the uploaded file is empty")
    return data
