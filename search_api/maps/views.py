"""Vulnerable-location maps over the API: JSON, SVG, PNG and CSV of one area and period."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from search_api.deps import CurrentUser, DbSession, ResourcesDep, Source
from search_api.maps import flows
from search_api.maps.boundaries import boundaries
from search_api.maps.render import PngUnavailable
from search_api.maps.schemas import CellRead, HotspotRead, MapRead, RouteRead, UnmatchedRead
from search_api.maps.service import MapRefused, Window

router = APIRouter(prefix="/maps", tags=["maps"])
State = Annotated[str, Query(max_length=100, description="A state or union territory; empty for India by state")]
Kind = Annotated[Literal["missing", "found"], Query(description="Which children the colours count")]
Day = Annotated[dt.date | None, Query(description="YYYY-MM-DD; the window defaults to the last 90 days")]


def _window(start: dt.date | None, end: dt.date | None) -> Window:
    try:
        return Window.of(start, end)
    except MapRefused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


def _refused(exc: MapRefused) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))


@router.get("/hotspots", response_model=MapRead, summary="Where children go missing and are found: counts by district, changes, routes")
def hotspots(user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source, state: State = "", kind: Kind = "missing",
             start: Day = None, end: Day = None) -> MapRead:  # fmt: skip
    try:
        m = flows.view_map(session=session, user=user, area=state, window=_window(start, end), kind=kind,
                           suppress_below=res.settings.map_suppress_below, source=source, fmt="json")  # fmt: skip
    except MapRefused as exc:
        raise _refused(exc) from exc
    return MapRead(
        area=m.area, level=m.level, start=m.window.start, end=m.window.end, previous_start=m.window.previous.start,
        previous_end=m.window.previous.end, suppress_below=m.suppress_below,
        cells=[CellRead(**vars(c)) for c in m.cells], hotspots=[HotspotRead(**vars(h)) for h in m.hotspots],
        routes=[RouteRead(**vars(r)) for r in m.routes], unmatched=[UnmatchedRead(**vars(u)) for u in m.unmatched],
        undated_records=m.undated, boundaries=boundaries().source,
    )  # fmt: skip


@router.get("/hotspots.csv", summary="The map's published figures as CSV (audited)")
def hotspots_csv(user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source, state: State = "", start: Day = None,
                 end: Day = None) -> Response:  # fmt: skip
    try:
        body = flows.export_csv(session=session, user=user, area=state, window=_window(start, end),
                                suppress_below=res.settings.map_suppress_below, source=source)  # fmt: skip
    except MapRefused as exc:
        raise _refused(exc) from exc
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="hotspots.csv"'})


def _image(user, session, res, source, state, kind, start, end, fmt: str, lang: str) -> bytes:  # type: ignore[no-untyped-def]
    from search_api.maps.labels import translator

    try:
        return flows.export_image(session=session, user=user, area=state, window=_window(start, end), kind=kind, t=translator(lang),
                                  lang=lang, fmt=fmt, suppress_below=res.settings.map_suppress_below, source=source)  # fmt: skip
    except MapRefused as exc:
        raise _refused(exc) from exc
    except PngUnavailable as exc:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, str(exc)) from exc


Lang = Annotated[Literal["en", "hi"], Query(description="Language of the map's labels")]


@router.get("/hotspots.svg", summary="The map drawn as SVG (audited)")
def hotspots_svg(user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source, state: State = "", kind: Kind = "missing",
                 start: Day = None, end: Day = None, lang: Lang = "en") -> Response:  # fmt: skip
    body = _image(user, session, res, source, state, kind, start, end, "svg", lang)
    return Response(body, media_type="image/svg+xml", headers={"Content-Disposition": 'attachment; filename="hotspots.svg"'})


@router.get("/hotspots.png", summary="The map drawn as PNG (audited)")
def hotspots_png(user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source, state: State = "", kind: Kind = "missing",
                 start: Day = None, end: Day = None, lang: Lang = "en") -> Response:  # fmt: skip
    body = _image(user, session, res, source, state, kind, start, end, "png", lang)
    return Response(body, media_type="image/png", headers={"Content-Disposition": 'attachment; filename="hotspots.png"'})
