"""After the match: restoration cases with their steps, what is overdue, and the bell."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from search_api import (
    RESTORATION_STEPS,
    ContactUpdate,
    DbSession,
    DocumentRejected,
    ResourcesDep,
    StepRefused,
    attach_document,
    case_detail,
    contact_of,
    document_response,
    list_cases,
    list_inbox,
    list_overdue_for,
    mark_read,
    open_document,
    record_case_step,
    update_preferences,
)
from ui.i18n import translator
from ui.web import Page, redirect

router = APIRouter(prefix="/ui")


@router.get("/restoration", response_class=HTMLResponse)
def cases(page: Page, session: DbSession, res: ResourcesDep) -> HTMLResponse:
    rows = list_cases(session=session, user=page.user, source=page.source)
    overdue = list_overdue_for(session=session, settings=res.settings, user=page.user)
    return page.render("restoration/index.html", cases=rows, overdue=overdue)


def _case_page(page: Page, session: DbSession, case_pk: int, *, error: str = "", values: dict | None = None,
               status_code: int = 200) -> HTMLResponse:  # fmt: skip
    detail = case_detail(session=session, case_pk=case_pk, user=page.user, source=page.source)
    settings = page.request.app.state.resources.settings
    limits = {"pages": str(settings.max_document_pages), "mb": f"{settings.max_document_bytes / 1024 / 1024:.0f}"}
    return page.render("restoration/case.html", status_code=status_code, detail=detail, specs=RESTORATION_STEPS, error=error,
                       values=values or {}, limits=limits)  # fmt: skip


@router.get("/restoration/{case_pk}", response_class=HTMLResponse)
def case(case_pk: int, page: Page, session: DbSession) -> HTMLResponse:
    return _case_page(page, session, case_pk)


@router.post("/restoration/{case_pk}/steps/{step}", response_class=HTMLResponse)
async def record_step(case_pk: int, step: str, request: Request, page: Page, session: DbSession, res: ResourcesDep) -> Response:
    form = await request.form()
    page.check_csrf(str(form.get("csrf", "")))
    spec = RESTORATION_STEPS.get(step)
    names = spec.required if spec else ()
    fields = {name: str(form.get(name, ""))[:500] for name in names}
    notes = str(form.get("notes", ""))[:5000]
    try:
        record_case_step(session=session, settings=res.settings, case_pk=case_pk, step=step, fields=fields, notes=notes,
                               user=page.user, source=page.source)  # fmt: skip
    except StepRefused as exc:
        return _case_page(page, session, case_pk, error=str(exc), values={**fields, "notes": notes, "step": step}, status_code=422)
    return redirect(f"/ui/restoration/{case_pk}?recorded={step}")


@router.post("/restoration/{case_pk}/documents", response_class=HTMLResponse)
async def attach(case_pk: int, request: Request, page: Page, session: DbSession, res: ResourcesDep) -> Response:
    """A PDF or scan of the step's papers; a refused file says why on the case page."""
    limit = res.settings.max_document_bytes
    async with request.form(max_files=1, max_fields=5) as form:  # one file; the body limit bounds its size
        page.check_csrf(str(form.get("csrf", "")))
        upload = form.get("document")
        if upload is None or isinstance(upload, str):
            return _case_page(page, session, case_pk, error=page_t(page)("document_missing"), status_code=422)
        data = await upload.read(limit + 1)
        name, content_type = upload.filename or "", upload.content_type or ""
        label = str(form.get("label", ""))[:120]
        step = str(form.get("step", ""))[:40]
    try:
        if len(data) > limit:
            raise DocumentRejected(f"the file is larger than the limit of {limit:,} bytes ({limit / 1024 / 1024:.0f} MB)")
        attach_document(session=session, settings=res.settings, case_pk=case_pk, step=step, data=data, user=page.user,
                        filename=name, content_type=content_type, label=label, source=page.source)  # fmt: skip
    except (DocumentRejected, StepRefused) as exc:
        return _case_page(page, session, case_pk, error=f"{page_t(page)('document_refused')}: {exc}", status_code=422)
    return redirect(f"/ui/restoration/{case_pk}?attached={step}")


@router.get("/restoration/{case_pk}/documents/{document_pk}")
def document(case_pk: int, document_pk: int, page: Page, session: DbSession, res: ResourcesDep) -> Response:
    doc, step, path = open_document(session=session, settings=res.settings, case_pk=case_pk, document_pk=document_pk, user=page.user,
                                    source=page.source)  # fmt: skip
    return document_response(doc, step, path)


@router.get("/notifications", response_class=HTMLResponse)
def inbox(page: Page, session: DbSession) -> HTMLResponse:
    return page.render("restoration/notifications.html", items=list_inbox(session=session, user=page.user, limit=100))


@router.get("/notifications/preferences", response_class=HTMLResponse)
def preferences(page: Page, session: DbSession) -> HTMLResponse:
    return page.render("restoration/preferences.html", contact=contact_of(session=session, user_pk=page.user.pk), errors={})


@router.post("/notifications/preferences", response_class=HTMLResponse)
async def save_preferences(request: Request, page: Page, session: DbSession) -> Response:
    form = await request.form()
    page.check_csrf(str(form.get("csrf", "")))
    values = {"email": str(form.get("email", "")).strip()[:200], "phone": str(form.get("phone", "")).strip()[:32]}
    flags = {name: form.get(name) == "on" for name in ("email_enabled", "sms_enabled", "daily_digest")}
    try:
        changes = ContactUpdate(**values, **flags)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): page_t(page)("invalid_" + str(e["loc"][0])) for e in exc.errors()}
        shown = contact_of(session=session, user_pk=page.user.pk)
        return page.render("restoration/preferences.html", status_code=422, contact=shown, errors=errors, values={**values, **flags})
    update_preferences(session=session, user=page.user, source=page.source, **changes.model_dump())
    return redirect("/ui/notifications/preferences?saved=1")


def page_t(page: Page):  # type: ignore[no-untyped-def]
    return translator(page.lang)


@router.post("/notifications/read", response_class=HTMLResponse)
async def read_all(request: Request, page: Page, session: DbSession) -> Response:
    form = await request.form()
    page.check_csrf(str(form.get("csrf", "")))
    mark_read(session=session, user=page.user)
    return redirect("/ui/notifications")
