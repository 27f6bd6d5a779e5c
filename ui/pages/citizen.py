"""The citizen corner: public pages without login (report a child, the privacy notice, notices of
missing children), and the district's moderation queue and notices for police and the DCPU."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from embeddings import ImageRejected
from indexer import PhotoRejected
from search_api import (
    CitizenRefused,
    CitizenReportNotFound,
    DbSession,
    MatcherDep,
    NoticeNotFound,
    ProofRefused,
    RateLimited,
    ResourcesDep,
    accept_citizen_report,
    citizen_challenge,
    citizen_report_held,
    citizen_report_photo,
    list_citizen_reports,
    list_notices_for,
    list_public_notices,
    may_moderate_report,
    open_citizen_report,
    publish_notice,
    reject_citizen_report,
    submit_citizen_report,
    withdraw_notice,
)
from ui.web import Page, redirect, render

router = APIRouter(prefix="/ui")
PUBLIC_CSRF_COOKIE = "tc_public_csrf"  # double-submit, as the login form's: no session exists (and none is made)
FIELDS = ("kind", "state", "district", "place", "seen_on", "child_name", "age", "sex", "description", "reporter_name", "reporter_phone",
          "reporter_relation")  # fmt: skip
PUBLIC_HEADERS = {"X-Robots-Tag": "noindex, nofollow"}
# the form field a refusal names → its label (the message itself is the service's, in English)
FIELD_LABELS = {"kind": "what_to_report", "state": "state", "district": "district", "place": "place_seen", "seen_on": "date_seen",
                "child_name": "child_name_if_known", "age": "age_about", "sex": "sex", "description": "what_you_saw",
                "photo": "photo_optional", "reporter_name": "your_name", "reporter_phone": "your_phone",
                "reporter_relation": "your_relation"}  # fmt: skip
PHOTO_CODES = ("no_face", "too_small", "blurred", "turned_away", "several_faces", "unreadable")


def _public(request: Request, template: str, status_code: int = 200, **values: object) -> HTMLResponse:
    response = render(request, template, status_code=status_code, public=True, **values)
    response.headers.update(PUBLIC_HEADERS)
    return response


def _report_form(request: Request, res: ResourcesDep, *, values: dict[str, str], error: str = "", field: str = "",
                 status_code: int = 200) -> HTMLResponse:  # fmt: skip
    nonce = secrets.token_urlsafe(24)
    response = _public(request, "citizen/report.html", status_code=status_code, values=values, error=error, error_field=field,
                       error_label=FIELD_LABELS.get(field, ""),
                       challenge=citizen_challenge(res=res), bits=res.settings.citizen_pow_bits, form_csrf=nonce,
                       delay_hours=round(res.settings.citizen_unverified_delay_minutes / 60, 1))  # fmt: skip
    response.set_cookie(PUBLIC_CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path="/ui/public")  # fmt: skip
    return response


@router.get("/public/report", response_class=HTMLResponse)
def report_form(request: Request, res: ResourcesDep, kind: str = "seen") -> HTMLResponse:
    return _report_form(request, res, values={"kind": kind if kind in ("seen", "missing") else "seen"})


@router.post("/public/report", response_class=HTMLResponse)
async def file_report(request: Request, res: ResourcesDep, session: DbSession) -> Response:
    form = await request.form(max_files=1, max_fields=30)
    values = {name: str(form.get(name) or "")[:4000] for name in FIELDS}
    submitted = str(form.get("form_csrf") or "")
    if not submitted or not hmac.compare_digest(submitted, request.cookies.get(PUBLIC_CSRF_COOKIE, "")):
        return _report_form(request, res, values=values, error="form_expired", status_code=400)
    upload = form.get("photo")
    photo = None
    if isinstance(upload, UploadFile) and upload.filename:
        photo = await upload.read(res.settings.max_photo_bytes + 1)
        if len(photo) > res.settings.max_photo_bytes:
            return _report_form(request, res, values=values, error="photo_too_large", field="photo", status_code=413)
    address = request.client.host if request.client else ""
    try:
        receipt = submit_citizen_report(res=res, session=session, values=values, photo=photo or None,
                                        pow_challenge=str(form.get("pow_challenge") or "")[:200],
                                        pow_nonce=str(form.get("pow_nonce") or "")[:40], address=address)  # fmt: skip
    except RateLimited:
        return _report_form(request, res, values=values, error="too_many_reports", status_code=429)
    except ProofRefused:  # forged, stale, wrong or used: a fresh challenge comes with the form
        return _report_form(request, res, values=values, error="proof_refused", status_code=400)
    except CitizenRefused as exc:
        return _report_form(request, res, values=values, error=str(exc), field=exc.field, status_code=422)
    except (ImageRejected, PhotoRejected) as exc:
        return _report_form(request, res, values=values, error=str(exc), field="photo", status_code=415)
    session.commit()
    query = f"ref={receipt.reference}" + ("&held=1" if receipt.held_until else "")
    if receipt.photo_problems:
        query += "&photo=" + ",".join(receipt.photo_problems)
    response = redirect(f"/ui/public/sent?{query}")
    response.delete_cookie(PUBLIC_CSRF_COOKIE, path="/ui/public")
    response.headers.update(PUBLIC_HEADERS)
    return response


@router.get("/public/sent", response_class=HTMLResponse)
def sent(request: Request, ref: str = "", held: int = 0, photo: str = "") -> HTMLResponse:
    reference = "".join(c for c in ref if c.isalnum())[:16]
    problems = [code for code in photo.split(",") if code in PHOTO_CODES]
    return _public(request, "citizen/sent.html", reference=reference, held=bool(held), photo_problems=problems)


@router.get("/public/privacy", response_class=HTMLResponse)
def privacy(request: Request, res: ResourcesDep) -> HTMLResponse:
    return _public(request, "citizen/privacy.html", delay_hours=round(res.settings.citizen_unverified_delay_minutes / 60, 1))


@router.get("/public/notices", response_class=HTMLResponse)
def notices(request: Request, session: DbSession) -> HTMLResponse:
    return _public(request, "citizen/notices.html", notices=list_public_notices(session=session))


# --- the district's side --------------------------------------------------------------------


@router.get("/citizen", response_class=HTMLResponse)
def queue(page: Page, session: DbSession, status: str = "pending") -> HTMLResponse:
    status = status if status in ("pending", "accepted", "rejected") else "pending"
    rows = list_citizen_reports(session=session, user=page.user, status=status, source=page.source)
    return page.render("citizen/queue.html", rows=rows, status=status)


@router.get("/citizen/reports/{report_pk}", response_class=HTMLResponse)
def report_page(report_pk: int, page: Page, session: DbSession, error: str = "") -> HTMLResponse:
    try:
        row = open_citizen_report(session=session, user=page.user, report_pk=report_pk, source=page.source)
    except CitizenReportNotFound as exc:
        raise HTTPException(404, "no such report") from exc
    return page.render("citizen/report_detail.html", row=row, may_moderate=may_moderate_report(page.user, row),
                       held=citizen_report_held(row), error=error[:300])  # fmt: skip


@router.get("/citizen/reports/{report_pk}/photo")
def report_photo(report_pk: int, page: Page, session: DbSession, res: ResourcesDep) -> Response:
    try:
        body = citizen_report_photo(res=res, session=session, user=page.user, report_pk=report_pk)
    except CitizenReportNotFound as exc:
        raise HTTPException(404, "no such photo") from exc
    return Response(body, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})


@router.post("/citizen/reports/{report_pk}/accept", response_class=HTMLResponse)
def accept(report_pk: int, page: Page, session: DbSession, res: ResourcesDep, matcher: MatcherDep,
           unit_name: Annotated[str, Form(max_length=200)] = "", unit_code: Annotated[str, Form(max_length=64)] = "",
           csrf: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    page.check_csrf(csrf)
    try:
        done = accept_citizen_report(res=res, matcher=matcher, session=session, report_pk=report_pk, user=page.user,
                                     unit_name=unit_name, unit_code=unit_code, source=page.source)  # fmt: skip
    except CitizenReportNotFound as exc:
        raise HTTPException(404, "no such report") from exc
    except CitizenRefused as exc:
        session.rollback()
        return redirect(f"/ui/citizen/reports/{report_pk}?error={quote(str(exc)[:200])}")
    record = done.stored.record
    return redirect(f"/ui/records/{record.kind}/{record.id}?saved=1")


@router.post("/citizen/reports/{report_pk}/reject")
def reject(report_pk: int, page: Page, session: DbSession, reason: Annotated[str, Form(max_length=2000)] = "",
           csrf: Annotated[str, Form()] = "") -> RedirectResponse:  # fmt: skip
    page.check_csrf(csrf)
    try:
        reject_citizen_report(session=session, report_pk=report_pk, user=page.user, reason=reason, source=page.source)
    except CitizenReportNotFound as exc:
        raise HTTPException(404, "no such report") from exc
    except CitizenRefused as exc:
        session.rollback()
        return redirect(f"/ui/citizen/reports/{report_pk}?error={quote(str(exc)[:200])}")
    return redirect("/ui/citizen")


@router.get("/citizen/notices", response_class=HTMLResponse)
def official_notices(page: Page, session: DbSession, record: str = "", error: str = "") -> HTMLResponse:
    listed = list_notices_for(session=session, user=page.user, source=page.source)
    return page.render("citizen/official_notices.html", listed=listed, record=record[:64], error=error[:300])


@router.post("/citizen/notices")
def publish(page: Page, session: DbSession, record_id: Annotated[str, Form(max_length=64)],
            guardian_name: Annotated[str, Form(max_length=200)] = "", guardian_relation: Annotated[str, Form(max_length=100)] = "",
            consent_how: Annotated[str, Form(max_length=500)] = "", photo_position: Annotated[int, Form(ge=0, le=50)] = 0,
            csrf: Annotated[str, Form()] = "") -> RedirectResponse:  # fmt: skip
    page.check_csrf(csrf)
    try:
        publish_notice(session=session, user=page.user, record_id=record_id.strip(), guardian_name=guardian_name,
                       guardian_relation=guardian_relation, consent_how=consent_how, photo_position=photo_position,
                       source=page.source)  # fmt: skip
    except CitizenRefused as exc:
        session.rollback()
        return redirect(f"/ui/citizen/notices?record={quote(record_id[:64])}&error={quote(str(exc)[:200])}")
    return redirect("/ui/citizen/notices")


@router.post("/citizen/notices/{notice_pk}/withdraw")
def withdraw(notice_pk: int, page: Page, session: DbSession, reason: Annotated[str, Form(max_length=500)] = "",
             csrf: Annotated[str, Form()] = "") -> RedirectResponse:  # fmt: skip
    page.check_csrf(csrf)
    try:
        withdraw_notice(session=session, user=page.user, notice_pk=notice_pk, reason=reason, source=page.source)
    except NoticeNotFound as exc:
        raise HTTPException(404, "no such notice") from exc
    except CitizenRefused as exc:
        session.rollback()
        return redirect(f"/ui/citizen/notices?error={quote(str(exc)[:200])}")
    return redirect("/ui/citizen/notices")
