"""Record routes: thin, each calls one service or flow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, File, Header, HTTPException, Query, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from search_api import interchange
from search_api.audit.service import Actor
from search_api.config import Settings
from search_api.deps import CurrentUser, DbSession, MatcherDep, ResourcesDep, Source
from search_api.faces.service import check_photo
from search_api.policy import authorize
from search_api.records import flows, matching_jobs, service
from search_api.records.retention import archive_closed_cases
from search_api.review import flows as review_flows
from search_api.review.schemas import ReviewPairListed

router = APIRouter(prefix="/records", tags=["records"])
admin_router = APIRouter(prefix="/admin", tags=["admin"])
Kind = Literal["missing", "found"]
Status = Literal["open", "traced", "closed", "in_care", "restored", "transferred"]


def _saved(saved: flows.SavedRecord, session, user) -> dict:  # type: ignore[no-untyped-def]
    """The answer to a filing: the record, and either that its matching is queued (the match
    job's id; ``GET .../candidates`` computes candidates meanwhile) or, inline, its candidates
    and how many pairs and duplicates it queued."""
    candidates = service.candidate_views(session=session, user=user, stored=saved.stored, candidates=saved.candidates)
    answer = {"record": service.full_view(saved.stored), "candidates": candidates, "matching": saved.matching, "kept": saved.kept}
    if saved.match_job is not None:
        answer["match_job"] = saved.match_job
    if saved.queued is not None:
        answer |= {"queued_for_review": saved.queued, "duplicates_flagged": saved.duplicates_flagged}
    return answer


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create (or re-submit) a missing report or found child")
def create_record(
    body: Annotated[dict[str, Any], Body(examples=[{"kind": "found", "id": "FC-1", "name": "Rahul", "sex": "M", "age": 9}])],
    user: CurrentUser,
    session: DbSession,
    res: ResourcesDep,
    matcher: MatcherDep,
    source: Source,
) -> dict:
    if body.get("kind") not in ("missing", "found"):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "kind must be 'missing' or 'found'")
    saved = flows.save_record(res=res, matcher=matcher, session=session, data=body, user=user, source=source)
    return _saved(saved, session, user)


@router.get("/export/jsonl", tags=["export"], summary="Every record in your jurisdiction as JSON lines (role-limited, audited)")
def export(user: CurrentUser, session: DbSession, source: Source, kind: Kind | None = None) -> StreamingResponse:
    rows = list(service.export_records(session=session, user=user, kind=kind, source=source))  # audited before the answer starts

    def lines() -> Iterator[bytes]:
        for row in rows:
            yield orjson.dumps(row) + b"\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.get("/export/pfif", tags=["export"], summary="Records as PFIF 1.4 XML, statuses as notes (role-limited; audited)")
def export_pfif(user: CurrentUser, session: DbSession, source: Source, kind: Kind | None = None) -> Response:
    body = interchange.export_pfif(session=session, user=user, kind=kind, source=source)
    return Response(body, media_type="application/xml", headers={"Content-Disposition": 'attachment; filename="records.pfif.xml"'})


@router.get("/export/csv", tags=["export"], summary="Your jurisdiction's records as CSV in the ingest columns (role-limited, audited)")
def export_csv(user: CurrentUser, session: DbSession, source: Source, kind: Kind | None = None) -> StreamingResponse:
    lines = interchange.export_csv(session=session, user=user, kind=kind, source=source)  # audited before the answer starts
    headers = {"Content-Disposition": 'attachment; filename="records.csv"'}
    return StreamingResponse((line.encode("utf-8") for line in lines), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/retention/run", tags=["retention"], summary="Archive cases closed more than N days ago (admin; audited)")
def run_retention(user: CurrentUser, res: ResourcesDep, source: Source, days: Annotated[int | None, Query(ge=0, le=36500)] = None) -> dict:
    authorize(user, "retention")
    report = archive_closed_cases(res=res, days=days, actor=Actor.of(user, source))
    return {"archived": report.archived, "face_vectors_removed": report.face_vectors_removed, "cutoff": report.cutoff.isoformat()}


def _version_of(if_match: str | None) -> str | None:
    """The version an If-Match header names (``"<version>"``, ``W/"<version>"`` or bare)."""
    if not if_match or if_match.strip() == "*":
        return None
    return if_match.strip().removeprefix("W/").strip('"')


@router.put(
    "/{kind}/{record_id}",
    summary="Update a record (the whole record); send If-Match with the ETag you read: a stale write answers 412",
    responses={412: {"description": "the record changed since the version in If-Match was read"}},
)
def update_record(
    kind: Kind,
    record_id: str,
    body: dict[str, Any],
    user: CurrentUser,
    session: DbSession,
    res: ResourcesDep,
    matcher: MatcherDep,
    source: Source,
    response: Response,
    if_match: Annotated[str | None, Header(description="The ETag of the version this update is based on")] = None,
) -> dict:
    if body.get("kind", kind) != kind or str(body.get("id", record_id)) != record_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "kind and id in the body must match the URL")
    service.get_stored_for(session=session, user=user, kind=kind, record_id=record_id)  # 404 before anything else
    # a record read with GET and sent back whole carries its "version": it counts as If-Match
    data = {k: v for k, v in body.items() if k != "version"} | {"kind": kind, "id": record_id}
    expected = _version_of(if_match) or (str(body["version"]) if body.get("version") else None)
    saved = flows.save_record(res=res, matcher=matcher, session=session, data=data, user=user, source=source,
                              expected_version=expected)  # fmt: skip
    response.headers["ETag"] = f'"{saved.stored.content_hash}"'
    return _saved(saved, session, user)


@router.get("/{kind}/{record_id}", summary="One record: in full inside your jurisdiction, limited outside (ETag: its version)")
def get_record(kind: Kind, record_id: str, user: CurrentUser, session: DbSession, source: Source, response: Response) -> dict:
    stored, view = service.open_record(session=session, user=user, kind=kind, record_id=record_id, source=source)
    response.headers["ETag"] = f'"{stored.content_hash}"'
    return view


@router.get("")
def list_all(
    user: CurrentUser,
    session: DbSession,
    source: Source,
    kind: Kind | None = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    state: Annotated[str | None, Query(max_length=100)] = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    sex: Literal["M", "F", "X"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict]:
    filters = {"kind": kind, "status": status_, "state": state, "district": district, "sex": sex}
    return service.list_records_for(session=session, user=user, source=source, limit=limit, offset=offset, **filters)


@router.get("/{kind}/{record_id}/candidates", summary="Best candidates from the other register, explained (computed; queues nothing)")
def candidates(
    kind: Kind,
    record_id: str,
    user: CurrentUser,
    session: DbSession,
    matcher: MatcherDep,
    source: Source,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[dict]:
    stored = service.get_stored_for(session=session, user=user, kind=kind, record_id=record_id)
    found = flows.find_candidates(matcher=matcher, stored=stored, limit=max(limit, 10))
    return service.show_candidates(session=session, user=user, stored=stored, candidates=found[:limit], source=source)


def _claim_timeout(settings: Settings) -> dt.timedelta:
    return dt.timedelta(seconds=settings.match_job_claim_timeout_seconds)


class MatchStatusRead(BaseModel):
    state: Literal["pending", "running", "done", "failed", "none"]
    queued_at: dt.datetime | None
    done_at: dt.datetime | None
    attempts: int
    last_error: str | None = Field(default=None, description="Admins only (absent otherwise): the exception's type and where")


@router.get(
    "/{kind}/{record_id}/match-status",
    response_model=MatchStatusRead,
    response_model_exclude_unset=True,
    summary="The state of the record's match job (a filing answers before it runs): who may see its candidates may see this",
)
def match_status(kind: Kind, record_id: str, user: CurrentUser, session: DbSession, res: ResourcesDep) -> MatchStatusRead:
    stored = service.get_stored_for(session=session, user=user, kind=kind, record_id=record_id)  # the candidates' rule
    status_ = matching_jobs.match_status_for(session=session, user=user, record_key=stored.key, claim_timeout=_claim_timeout(res.settings))
    shown = {"state": status_.state, "queued_at": status_.queued_at, "done_at": status_.done_at, "attempts": status_.attempts}
    return MatchStatusRead(**shown, **({"last_error": status_.last_error} if status_.last_error is not None else {}))


class FailedJobRead(BaseModel):
    record_key: str
    last_error: str
    attempts: int
    done_at: dt.datetime | None


class MatchJobsRead(BaseModel):
    counts: dict[str, int]
    oldest_pending_seconds: float | None
    failed: list[FailedJobRead]


@admin_router.get(
    "/match-jobs", response_model=MatchJobsRead, summary="The match worker: jobs by state, the oldest wait, the latest failures (admin)"
)
def match_jobs(user: CurrentUser, session: DbSession, res: ResourcesDep) -> MatchJobsRead:
    overview = matching_jobs.jobs_overview_for(session=session, user=user, claim_timeout=_claim_timeout(res.settings))
    failed = [
        FailedJobRead(record_key=f.record_key, last_error=f.last_error, attempts=f.attempts, done_at=f.done_at) for f in overview.failed
    ]
    return MatchJobsRead(counts=overview.counts, oldest_pending_seconds=overview.oldest_pending_seconds, failed=failed)


@router.post("/{kind}/{record_id}/match", summary="Match now and queue strong pairs and possible duplicates for review")
def match_now(kind: Kind, record_id: str, user: CurrentUser, session: DbSession, matcher: MatcherDep, source: Source) -> dict:
    stored = service.get_stored_for(session=session, user=user, kind=kind, record_id=record_id)
    return flows.queue_matches(matcher=matcher, session=session, stored=stored, user=user, source=source)


@router.get("/{kind}/{record_id}/duplicates", summary="Records of the same register that may be this child (computed; flags nothing)")
def duplicates(
    kind: Kind,
    record_id: str,
    user: CurrentUser,
    session: DbSession,
    matcher: MatcherDep,
    source: Source,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[dict]:
    stored = service.get_stored_for(session=session, user=user, kind=kind, record_id=record_id)
    found = flows.find_duplicates(matcher=matcher, stored=stored, limit=limit)
    return service.show_candidates(session=session, user=user, stored=stored, candidates=found, source=source)


class ReviewRequest(BaseModel):
    other_key: str = Field(max_length=100, examples=["found:FC-1"])
    reason: str = Field(default="", max_length=2000, description="Reviewers only: why a pair the matcher does not propose is sent")


@router.post("/{kind}/{record_id}/review", status_code=status.HTTP_201_CREATED, response_model=ReviewPairListed,
             summary="Send a candidate the matcher proposes for review (a reviewer: any pair, with a reason; audited)")  # fmt: skip
def send_for_review(
    kind: Kind, record_id: str, body: ReviewRequest, user: CurrentUser, session: DbSession, matcher: MatcherDep, source: Source
) -> ReviewPairListed:
    stored = service.get_stored_for(session=session, user=user, kind=kind, record_id=record_id)
    pair = flows.send_for_review(
        matcher=matcher, session=session, stored=stored, other_key=body.other_key, user=user, reason=body.reason, source=source
    )
    return ReviewPairListed.of(review_flows.pair_read_for(session=session, user=user, pair=pair))


@router.post("/{kind}/{record_id}/photos", status_code=status.HTTP_201_CREATED, summary="Add a photo (JPEG, PNG, WEBP)")
def add_photo(
    kind: Kind,
    record_id: str,
    file: Annotated[UploadFile, File()],
    user: CurrentUser,
    session: DbSession,
    res: ResourcesDep,
    matcher: MatcherDep,
    source: Source,
) -> dict:
    stored = service.get_stored_for(session=session, user=user, kind=kind, record_id=record_id)
    data = read_upload(file, res.settings.max_photo_bytes)
    saved = flows.add_photo(res=res, matcher=matcher, session=session, stored=stored, data=data, user=user, source=source)
    # said at once: a face too small, blurred, turned away or among several, and what to do (the photo is kept)
    return {**_saved(saved, session, user), "photo_check": check_photo(res=res, data=data).to_json()}


def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """Read at most ``max_bytes``; a larger upload is refused without reading it all."""
    data = file.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        limit = f"{max_bytes / 1024 / 1024:.0f} MB ({max_bytes:,} bytes)"
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the photo is larger than the limit of {limit}")
    if not data:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the uploaded file is empty")
    return data
