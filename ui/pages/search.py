"""Search by words (police) and by photo (investigators). Queries go in POST bodies, never in URLs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from embeddings import ImageRejected, NoUsableFace
from indexer import SearchFilters
from search_api import DbSession, RateLimited, ResourcesDep, search_photo, search_text
from ui.display import photo_url
from ui.web import Page

router = APIRouter(prefix="/ui/search")
FILTER_FIELDS = ("kind", "sex", "age_min", "age_max", "state", "district", "date_from", "date_to", "status")


def _filters(values: dict[str, str]) -> tuple[SearchFilters | None, str]:
    def number(name: str) -> float | None:
        return float(values[name]) if values.get(name) else None

    def date(name: str) -> dt.date | None:
        return dt.date.fromisoformat(values[name]) if values.get(name) else None

    try:
        return (
            SearchFilters(
                kind=values.get("kind") or None,
                sex=values.get("sex") or None,
                age_min=number("age_min"),
                age_max=number("age_max"),
                date_from=date("date_from"),
                date_to=date("date_to"),
                state=values.get("state") or None,
                district=values.get("district") or None,
                status=values.get("status") or None,
            ),
            "",
        )
    except ValueError as exc:
        return None, str(exc)


@router.get("", response_class=HTMLResponse)
def search_form(page: Page) -> HTMLResponse:
    return page.render("search/index.html", values={}, results=None, error="", photo_url=photo_url)


@router.post("", response_class=HTMLResponse)
async def search(request: Request, page: Page, session: DbSession, res: ResourcesDep) -> HTMLResponse:
    form = await request.form(max_files=0, max_fields=20)
    values = {k: str(v)[:512] for k, v in form.items()}
    page.check_csrf(values.get("csrf", ""))
    filters, error = _filters(values)
    if filters is None:
        return page.render("search/index.html", status_code=422, values=values, results=None, error=error, photo_url=photo_url)
    hits = search_text(res=res, session=session, user=page.user, query=values.get("q", ""), filters=filters, limit=30, source=page.source)
    return page.render("search/index.html", values=values, results=hits, error="", photo_url=photo_url)


@router.get("/photo", response_class=HTMLResponse)
def photo_form(page: Page) -> HTMLResponse:
    return page.render("search/photo.html", results=None, error="", photo_url=photo_url)


@router.post("/photo", response_class=HTMLResponse)
def photo_search(
    page: Page,
    session: DbSession,
    res: ResourcesDep,
    photo: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
    kind: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    page.check_csrf(csrf)
    data = photo.file.read(res.settings.max_photo_bytes + 1)
    error = ""
    results = []
    if len(data) > res.settings.max_photo_bytes:
        error = f"the photo is larger than {res.settings.max_photo_bytes // 1_000_000} MB"
    elif not data:
        error = "choose a photo first"
    else:
        try:
            results = search_photo(res=res, session=session, user=page.user, data=data, kind=kind or None, limit=12, source=page.source)
        except (ImageRejected, NoUsableFace, RateLimited) as exc:
            error = str(exc)
    return page.render("search/photo.html", status_code=422 if error else 200, results=results, error=error, photo_url=photo_url)
