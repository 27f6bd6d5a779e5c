"""Map views and exports with their audit entries (the API, the pages and the CLI call these).

A map shows no child, yet who looked at which area and period, and who took a copy, is kept
like any other listing: one entry per view or export, naming the area, kind, period and format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from sqlalchemy.orm import Session

from search_api.audit.service import Actor, append
from search_api.maps import render, service
from search_api.maps.service import CSV_COLUMNS, HotspotMap, Window
from search_api.policy import authorize
from search_api.users.models import UserRow


def _audit(session: Session, user: UserRow, source: str, action: str, m: HotspotMap, kind: str, fmt: str) -> None:
    append(session=session, actor=Actor.of(user, source), action=action, targets=[f"map:{m.area or 'India'}"],
           detail={"area": m.area or "India", "kind": kind, "start": m.window.start.isoformat(), "end": m.window.end.isoformat(),
                   "format": fmt, "suppressed": m.suppressed_cells(kind)})  # fmt: skip


def view_map(*, session: Session, user: UserRow, area: str, window: Window, kind: str = "missing", suppress_below: int = 3,
             source: str = "", fmt: str = "page") -> HotspotMap:  # fmt: skip
    """The map as the user may see it; one ``map_view`` audit entry."""
    authorize(user, "maps_read")
    m = service.build_map(session=session, user=user, area=area, window=window, suppress_below=suppress_below)
    _audit(session, user, source, "map_view", m, kind, fmt)
    return m


def export_csv(*, session: Session, user: UserRow, area: str, window: Window, suppress_below: int = 3, source: str = "") -> str:
    """The map's published figures as CSV (both kinds); a copy leaves the system, so ``map_export``."""
    authorize(user, "maps_read")
    m = service.build_map(session=session, user=user, area=area, window=window, suppress_below=suppress_below)
    _audit(session, user, source, "map_export", m, "both", "csv")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in service.map_rows(m):
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()


def export_image(*, session: Session, user: UserRow, area: str, window: Window, kind: str, t: Callable[[str], str], lang: str = "en",
                 fmt: str = "png", suppress_below: int = 3, source: str = "") -> bytes:  # fmt: skip
    """The drawn map as SVG or PNG bytes; ``map_export``.

    Raises:
        render.PngUnavailable: PNG asked and resvg-py is not installed.
    """
    authorize(user, "maps_read")
    m = service.build_map(session=session, user=user, area=area, window=window, suppress_below=suppress_below)
    svg = render.render_svg(m, kind=kind, t=t, lang=lang)
    body = render.svg_to_png(svg) if fmt == "png" else svg.encode("utf-8")
    _audit(session, user, source, "map_export", m, kind, fmt)
    return body
