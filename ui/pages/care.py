"""Children in care: a found child's care plan and care history, a CCI's roll against its
capacity, and transfers between CCIs (asked by the sender, acknowledged by the receiver)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from search_api import (
    CARE_DOMAINS,
    CARE_EVENT_KINDS,
    CARE_SETTINGS,
    CareRefused,
    DbSession,
    ResourcesDep,
    add_care_event,
    add_care_goal,
    answer_transfer,
    care_page,
    may_answer_transfer,
    read_roll,
    request_transfer,
    roll_transfers,
)
from ui.web import Page, redirect

router = APIRouter(prefix="/ui/care")
FORM_LIMIT = 2000


def _child_page(page: Page, session: DbSession, record_id: str, *, error: str = "", form: str = "", values: dict | None = None,
                status_code: int = 200) -> HTMLResponse:  # fmt: skip
    care = care_page(session=session, user=page.user, record_id=record_id, source=page.source)
    return page.render("care/child.html", status_code=status_code, care=care, record=care.child.record, domains=CARE_DOMAINS,
                       settings=CARE_SETTINGS, kinds=CARE_EVENT_KINDS, error=error, failed_form=form, values=values or {},
                       today=dt.date.today())  # fmt: skip


@router.get("/children/{record_id}", response_class=HTMLResponse)
def child(record_id: str, page: Page, session: DbSession) -> HTMLResponse:
    return _child_page(page, session, record_id)


async def _form(request: Request, page: Page, names: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    page.check_csrf(str(form.get("csrf", "")))
    return {name: str(form.get(name, "")).strip()[:FORM_LIMIT] for name in names}


@router.post("/children/{record_id}/goals", response_class=HTMLResponse)
async def add_goal(record_id: str, request: Request, page: Page, session: DbSession) -> Response:
    values = await _form(request, page, ("domain", "goal", "start_date", "target_date", "setting"))
    try:
        add_care_goal(session=session, user=page.user, record_id=record_id, source=page.source, **values)
    except CareRefused as exc:
        return _child_page(page, session, record_id, error=str(exc), form="goal", values=values, status_code=422)
    return redirect(f"/ui/care/children/{record_id}?saved=goal")


@router.post("/children/{record_id}/events", response_class=HTMLResponse)
async def add_event(record_id: str, request: Request, page: Page, session: DbSession) -> Response:
    values = await _form(request, page, ("kind", "on", "what", "reference", "next_review"))
    details = {name: values[name][:500] for name in ("what", "reference") if values[name]}
    try:
        add_care_event(session=session, user=page.user, record_id=record_id, kind=values["kind"], on=values["on"], details=details,
                       next_review=values["next_review"], source=page.source)  # fmt: skip
    except CareRefused as exc:
        return _child_page(page, session, record_id, error=str(exc), form="event", values=values, status_code=422)
    return redirect(f"/ui/care/children/{record_id}?saved=event")


@router.post("/children/{record_id}/transfers", response_class=HTMLResponse)
async def ask_transfer(record_id: str, request: Request, page: Page, session: DbSession) -> Response:
    values = await _form(request, page, ("to_code", "to_state", "to_district", "to_name", "order_no", "note"))
    try:
        request_transfer(session=session, user=page.user, record_id=record_id, source=page.source, **values)
    except CareRefused as exc:
        return _child_page(page, session, record_id, error=str(exc), form="transfer", values=values, status_code=422)
    return redirect(f"/ui/care/children/{record_id}?saved=transfer")


@router.get("/ccis/{code:path}/roll", response_class=HTMLResponse)
def roll(code: str, page: Page, session: DbSession) -> HTMLResponse:
    return _roll_page(page, session, code)


def _roll_page(page: Page, session: DbSession, code: str, *, error: str = "", status_code: int = 200) -> HTMLResponse:
    try:
        listed = read_roll(session=session, user=page.user, code=code, source=page.source)
    except CareRefused as exc:
        return page.render("error.html", status_code=404, message_key="not_found", detail=str(exc))
    transfers = roll_transfers(session=session, user=page.user, code=code)
    answerable = {t.pk for t in transfers if t.status == "requested" and may_answer_transfer(page.user, t)}
    return page.render("care/roll.html", status_code=status_code, roll=listed, transfers=transfers, answerable=answerable,
                       today=dt.date.today(), error=error)  # fmt: skip


@router.post("/transfers/{transfer_pk}/answer", response_class=HTMLResponse)
async def answer(transfer_pk: int, request: Request, page: Page, session: DbSession, res: ResourcesDep) -> Response:
    values = await _form(request, page, ("answer", "note", "code"))
    try:
        row = answer_transfer(res=res, session=session, user=page.user, transfer_pk=transfer_pk, answer=values["answer"],
                              note=values["note"], source=page.source)  # fmt: skip
    except CareRefused as exc:
        return _roll_page(page, session, values["code"], error=str(exc), status_code=422)
    return redirect(f"/ui/care/ccis/{quote(row.to_code, safe='/')}/roll?answered={row.status}")
