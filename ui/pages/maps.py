"""Vulnerable-location maps: the hotspot map of a state (or India), its tables, CSV and PNG."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from search_api import (
    MAP_PLACE_KINDS,
    DbSession,
    MapPngUnavailable,
    MapRefused,
    MapWindow,
    ResourcesDep,
    map_export_csv,
    map_export_image,
    map_home_area,
    map_render_svg,
    map_state_names,
    map_view,
)
from ui.i18n import translator
from ui.web import Page

router = APIRouter(prefix="/ui/maps")
KINDS = ("missing", "found")


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise MapRefused(f"{text[:20]!r} is not a date (YYYY-MM-DD)") from None


def _params(request: Request, page: Page) -> tuple[str, str, MapWindow]:
    """(area, kind, window) from the query; the user's own state (India for national roles) first."""
    q = request.query_params
    area = q.get("state", map_home_area(page.user) if "state" not in q else "").strip()[:100]
    kind = q.get("kind", "missing") if q.get("kind") in KINDS else "missing"
    return area, kind, MapWindow.of(_day(q.get("start", "")), _day(q.get("end", "")))


@router.get("", response_class=HTMLResponse)
def hotspot_map(request: Request, page: Page, session: DbSession, res: ResourcesDep) -> HTMLResponse:
    values = {name: request.query_params.get(name, "")[:100] for name in ("state", "kind", "start", "end")}
    try:
        area, kind, window = _params(request, page)
        m = map_view(session=session, user=page.user, area=area, window=window, kind=kind,
                     suppress_below=res.settings.map_suppress_below, source=page.source)  # fmt: skip
    except MapRefused as exc:
        return page.render("maps/index.html", status_code=422, error=str(exc), m=None, values=values, states=map_state_names(),
                           kinds=KINDS, places=MAP_PLACE_KINDS)  # fmt: skip
    svg = map_render_svg(m, kind=kind, t=translator(page.lang), lang=page.lang)
    values = {"state": m.area, "kind": kind, "start": window.start.isoformat(), "end": window.end.isoformat()}
    return page.render("maps/index.html", m=m, svg=svg, kind=kind, values=values, states=map_state_names(), kinds=KINDS,
                       places=MAP_PLACE_KINDS, error="")  # fmt: skip


@router.get("/export.csv")
def export_csv(request: Request, page: Page, session: DbSession, res: ResourcesDep) -> Response:
    area, _kind, window = _params(request, page)
    body = map_export_csv(session=session, user=page.user, area=area, window=window, suppress_below=res.settings.map_suppress_below,
                          source=page.source)  # fmt: skip
    name = f"hotspots-{(area or 'india').lower().replace(' ', '-')}-{window.start}-{window.end}.csv"
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/map.png")
def export_png(request: Request, page: Page, session: DbSession, res: ResourcesDep) -> Response:
    area, kind, window = _params(request, page)
    try:
        body = map_export_image(session=session, user=page.user, area=area, window=window, kind=kind, t=translator(page.lang),
                                lang=page.lang, fmt="png", suppress_below=res.settings.map_suppress_below, source=page.source)  # fmt: skip
    except MapPngUnavailable as exc:
        return Response(str(exc), status_code=501, media_type="text/plain; charset=utf-8")
    name = f"hotspots-{(area or 'india').lower().replace(' ', '-')}-{kind}-{window.start}-{window.end}.png"
    return Response(body, media_type="image/png", headers={"Content-Disposition": f'attachment; filename="{name}"'})
