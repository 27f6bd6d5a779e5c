"""The district service directory: search and list (everyone), CSV import (the district's DCPU), export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from search_api import DIRECTORY_TYPES as TYPES
from search_api import DbSession, DirectoryRefused, directory_export, directory_import, directory_search
from search_api import DirectoryImportReport as ImportReport
from ui.web import Page

router = APIRouter(prefix="/ui/directory")
FILTERS = ("state", "district", "type", "q")
MAX_CSV_BYTES = 10_000_000


def _filters(request: Request, page: Page) -> dict[str, str]:
    values = {name: request.query_params.get(name, "").strip()[:100] for name in FILTERS}
    if not any(values.values()) and page.user.district:  # a district's own services first
        values |= {"state": page.user.state or "", "district": page.user.district}
    elif not any(values.values()) and page.user.state:
        values["state"] = page.user.state
    if values["type"] not in TYPES:
        values["type"] = ""
    return values


def _render(page: Page, session: DbSession, values: dict[str, str], *, report: ImportReport | None = None, error: str = "",
            status_code: int = 200) -> HTMLResponse:  # fmt: skip
    rows = directory_search(session=session, user=page.user, state=values["state"], district=values["district"], type_=values["type"],
                        q=values["q"], limit=200)  # fmt: skip
    return page.render("directory/index.html", status_code=status_code, rows=rows, values=values, types=TYPES, report=report,
                       error=error)  # fmt: skip


@router.get("", response_class=HTMLResponse)
def directory(request: Request, page: Page, session: DbSession) -> HTMLResponse:
    return _render(page, session, _filters(request, page))


@router.post("/import", response_class=HTMLResponse)
async def import_csv(request: Request, page: Page, session: DbSession) -> HTMLResponse:
    form = await request.form(max_files=1, max_fields=5)
    page.check_csrf(str(form.get("csrf", "")))
    upload = form.get("file")
    values = {"state": page.user.state or "", "district": page.user.district or "", "type": "", "q": ""}
    if not isinstance(upload, UploadFile):
        return _render(page, session, values, error="choose a CSV file", status_code=422)
    data = await upload.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        return _render(page, session, values, error=f"the file is larger than {MAX_CSV_BYTES:,} bytes; split it", status_code=413)
    try:
        report = directory_import(session=session, user=page.user, data=data, source=page.source)
    except DirectoryRefused as exc:
        return _render(page, session, values, error=str(exc), status_code=422)
    return _render(page, session, values, report=report, status_code=200 if report.ok else 422)


@router.get("/export.csv")
def export_csv(request: Request, page: Page, session: DbSession) -> Response:
    values = {name: request.query_params.get(name, "").strip()[:100] for name in FILTERS}
    body = directory_export(session=session, user=page.user, state=values["state"], district=values["district"],
                            type_=values["type"] if values["type"] in TYPES else "", source=page.source)  # fmt: skip
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="directory.csv"'})
