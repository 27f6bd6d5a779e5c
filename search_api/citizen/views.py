"""Citizen corner routes: thin. ``public_router`` needs no login and sets no cookie; ``router``
is for the district's police and DCPU."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, Response, UploadFile, status

from search_api.citizen import flows, service
from search_api.citizen.schemas import (
    AcceptBody,
    AcceptedRead,
    ChallengeRead,
    ConsentCreate,
    NoticeRead,
    PublicNoticeRead,
    RejectBody,
    ReportRead,
    ReportReceipt,
    WithdrawBody,
)
from search_api.deps import CurrentUser, DbSession, MatcherDep, ResourcesDep, Source
from search_api.records.service import candidate_views
from search_api.records.views import read_upload

public_router = APIRouter(prefix="/public", tags=["public"])
router = APIRouter(prefix="/citizen", tags=["citizen corner"])
NO_INDEX = {"X-Robots-Tag": "noindex, nofollow", "Cache-Control": "no-store"}
Short = Annotated[str, Form(max_length=200)]


@public_router.get("/challenge", response_model=ChallengeRead, summary="A proof-of-work challenge for one report (no login)")
def challenge(res: ResourcesDep, response: Response) -> ChallengeRead:
    response.headers.update(NO_INDEX)
    return ChallengeRead(challenge=flows.challenge(res=res), bits=res.settings.citizen_pow_bits)


@public_router.post("/reports", response_model=ReportReceipt, status_code=status.HTTP_201_CREATED,
                    summary="Report a child in distress or a missing child (no login; rate limits; proof of work or a delay)")  # fmt: skip
def file_report(
    request: Request, res: ResourcesDep, session: DbSession, response: Response,
    kind: Annotated[Literal["seen", "missing"], Form()], state: Annotated[str, Form(max_length=100)],
    district: Annotated[str, Form(max_length=100)], place: Annotated[str, Form(max_length=500)] = "",
    seen_on: Annotated[str, Form(max_length=40)] = "", child_name: Short = "", age: Annotated[str, Form(max_length=40)] = "",
    sex: Annotated[str, Form(max_length=20)] = "", description: Annotated[str, Form(max_length=4000)] = "",
    reporter_name: Short = "", reporter_phone: Annotated[str, Form(max_length=20)] = "", reporter_relation: Short = "",
    pow_challenge: Annotated[str, Form(max_length=200)] = "", pow_nonce: Annotated[str, Form(max_length=40)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> ReportReceipt:  # fmt: skip
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        # a page of another site posting through a visitor's browser (this route takes no CSRF token; the form page has one)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "reports from another site's pages are refused; use the form at /ui/public/report")
    data = read_upload(photo, res.settings.max_photo_bytes) if photo is not None and photo.filename else None
    values = {"kind": kind, "state": state, "district": district, "place": place, "seen_on": seen_on, "child_name": child_name,
              "age": age, "sex": sex, "description": description, "reporter_name": reporter_name, "reporter_phone": reporter_phone,
              "reporter_relation": reporter_relation}  # fmt: skip
    address = request.client.host if request.client else ""
    receipt = flows.submit_report(res=res, session=session, values=values, photo=data, pow_challenge=pow_challenge,
                                  pow_nonce=pow_nonce, address=address)  # fmt: skip
    response.headers.update(NO_INDEX)
    return ReportReceipt(reference=receipt.reference, held_until=receipt.held_until, photo_check=receipt.photo_problems)


@public_router.get("/notices", response_model=list[PublicNoticeRead], summary="Missing children shown with their guardian's consent")
def notices(session: DbSession, response: Response) -> list[PublicNoticeRead]:
    response.headers.update(NO_INDEX)
    return [PublicNoticeRead(**n.to_json()) for n in flows.list_public_notices(session=session)]


@public_router.get("/notices/{public_id}/photo", summary="The one photo of a notice (re-encoded, no EXIF)")
def notice_photo(public_id: str, res: ResourcesDep, session: DbSession) -> Response:
    try:
        body = flows.public_notice_photo(res=res, session=session, public_id=public_id[:24])
    except service.NoticeNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such notice photo", headers=NO_INDEX) from exc
    return Response(body, media_type="image/jpeg", headers=NO_INDEX)


@router.get("/reports", response_model=list[ReportRead], summary="Citizen reports of your district (police read; the DCPU moderates)")
def reports(user: CurrentUser, session: DbSession, source: Source, status_: Annotated[Literal["pending", "accepted", "rejected"],
            Query(alias="status")] = "pending", limit: Annotated[int, Query(ge=1, le=500)] = 100,
            offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[ReportRead]:  # fmt: skip
    rows = flows.list_queue(session=session, user=user, status=status_, limit=limit, offset=offset, source=source)
    return [ReportRead.of(r) for r in rows]


@router.get("/reports/{report_pk}", response_model=ReportRead, summary="One citizen report (audited)")
def report(report_pk: int, user: CurrentUser, session: DbSession, source: Source) -> ReportRead:
    return ReportRead.of(flows.open_report(session=session, user=user, report_pk=report_pk, source=source))


@router.get("/reports/{report_pk}/photo", summary="A citizen report's photo (re-encoded, no EXIF)")
def report_photo(report_pk: int, user: CurrentUser, session: DbSession, res: ResourcesDep) -> Response:
    body = flows.report_photo(res=res, session=session, user=user, report_pk=report_pk)
    return Response(body, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})


@router.post("/reports/{report_pk}/accept", response_model=AcceptedRead,
             summary="Accept: the report becomes a found child or missing report (checked by the ingest), matched by a job")  # fmt: skip
def accept(report_pk: int, body: AcceptBody, user: CurrentUser, session: DbSession, res: ResourcesDep, matcher: MatcherDep,
           source: Source) -> AcceptedRead:  # fmt: skip
    done = flows.accept_report(res=res, matcher=matcher, session=session, report_pk=report_pk, user=user, unit_name=body.unit_name,
                               unit_code=body.unit_code, source=source)  # fmt: skip
    shown = candidate_views(session=session, user=user, stored=done.stored, candidates=done.candidates)
    return AcceptedRead(report=ReportRead.of(done.report), record_key=done.stored.key, warnings=done.warnings, candidates=shown,
                        matching=done.matching, match_job=done.match_job, queued_for_review=done.queued)  # fmt: skip


@router.post("/reports/{report_pk}/reject", response_model=ReportRead, summary="Reject with a reason (the report is kept with it)")
def reject(report_pk: int, body: RejectBody, user: CurrentUser, session: DbSession, source: Source) -> ReportRead:
    return ReportRead.of(flows.reject_report(session=session, report_pk=report_pk, user=user, reason=body.reason, source=source))


@router.get("/notices", response_model=list[NoticeRead], summary="Public notices of your district's missing children, with their consent")
def official_notices(user: CurrentUser, session: DbSession, source: Source) -> list[NoticeRead]:
    return [NoticeRead.model_validate(n.notice) for n in flows.list_notices_for(session=session, user=user, source=source)]


@router.post("/notices", response_model=NoticeRead, status_code=status.HTTP_201_CREATED,
             summary="Record the guardian's consent and publish a notice (police or DCPU of the child's district)")  # fmt: skip
def publish(body: ConsentCreate, user: CurrentUser, session: DbSession, source: Source) -> NoticeRead:
    row = flows.publish_notice(session=session, user=user, record_id=body.record_id, guardian_name=body.guardian_name,
                               guardian_relation=body.guardian_relation, consent_how=body.consent_how,
                               photo_position=body.photo_position, source=source)  # fmt: skip
    return NoticeRead.model_validate(row)


@router.post("/notices/{notice_pk}/withdraw", response_model=NoticeRead, summary="Withdraw a notice (consent withdrawn)")
def withdraw(notice_pk: int, body: WithdrawBody, user: CurrentUser, session: DbSession, source: Source) -> NoticeRead:
    return NoticeRead.model_validate(
        flows.withdraw_notice(session=session, user=user, notice_pk=notice_pk, reason=body.reason, source=source)
    )
