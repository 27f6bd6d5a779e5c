"""Vulnerable-location maps: the hotspot table of a state (or India), with CSV, SVG and PNG files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer
from sqlalchemy import select

from search_api.cli.common import Kind, console, fail, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="Hotspot maps: where children go missing and are found, by district and period (aggregates only).",
                  no_args_is_help=True)  # fmt: skip
AsUser = Annotated[
    str, typer.Option("--as", help="Act as this user: figures outside the user's jurisdiction are suppressed below the setting")
]


def _user(session, username: str):  # type: ignore[no-untyped-def]
    from search_api.users.models import UserRow

    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    if user is None:
        raise fail(f"no active user {username!r}")
    return user


def _date(text: str, option: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise fail(f"{option} {text!r}: a date as YYYY-MM-DD") from None


@app.command("hotspots")
def hotspots(
    as_user: AsUser,
    state: Annotated[str, typer.Option(help="A state or union territory; leave out for India by state")] = "",
    kind: Annotated[Kind, typer.Option(help="Which children the map colours")] = Kind.missing,
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD); default 90 days before --to")] = "",
    end: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD); default today")] = "",
    csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the published figures here as CSV")] = None,
    png_out: Annotated[Optional[Path], typer.Option("--png", help="Write the map here as PNG")] = None,
    svg_out: Annotated[Optional[Path], typer.Option("--svg", help="Write the map here as SVG")] = None,
    lang: Annotated[str, typer.Option(help="Labels of the drawn map: en or hi")] = "en",
) -> None:
    """Counts by district (state by state for India), change against the period before, routes of
    confirmed matches, and the names no boundary matches. Each view and file is audited."""
    from search_api.maps import flows
    from search_api.maps.labels import translator
    from search_api.maps.render import PngUnavailable
    from search_api.maps.service import MapRefused, Window
    from search_api.policy import PermissionDenied

    if lang not in ("en", "hi"):
        raise fail("--lang must be en or hi")
    settings = Settings()
    k = settings.map_suppress_below
    with open_resources(settings) as res, res.session_factory() as session:
        user = _user(session, as_user)
        try:
            window = Window.of(_date(start, "--from"), _date(end, "--to"))
            m = flows.view_map(session=session, user=user, area=state, window=window, kind=kind.value, suppress_below=k, source="cli",
                               fmt="cli")  # fmt: skip
            files = []
            if csv_out:
                csv_out.write_text(flows.export_csv(session=session, user=user, area=state, window=window, suppress_below=k, source="cli"),
                                   encoding="utf-8")  # fmt: skip
                files.append(csv_out)
            for path, fmt in ((png_out, "png"), (svg_out, "svg")):
                if path:
                    body = flows.export_image(session=session, user=user, area=state, window=window, kind=kind.value, t=translator(lang),
                                              lang=lang, fmt=fmt, suppress_below=k, source="cli")  # fmt: skip
                    path.write_bytes(body)
                    files.append(path)
        except (PermissionDenied, MapRefused, PngUnavailable) as exc:
            raise fail(str(exc)) from exc
        session.commit()
    show = lambda n: f"<{k}" if n is None else str(n)  # noqa: E731
    out.print(f"{kind.value} children, {m.area or 'India'}, {window.start} to {window.end} "
              f"(before: {window.previous.start} to {window.previous.end})")  # fmt: skip
    out.print(f"figures below {k} outside your jurisdiction are hidden (shown as <{k})")
    out.print(f"{'region':<32} {'now':>6} {'before':>7} {'change':>8}  railway  bus  market")
    for c in sorted((c for c in m.cells if c.kind == kind.value and (c.count != 0 or c.previous)), key=lambda c: c.region):
        change = f"{c.change_pct:+.0f}%" if c.change_pct is not None else "-"
        out.print(f"{c.region:<32} {show(c.count):>6} {show(c.previous):>7} {change:>8}  {show(c.by_place['railway_station']):>7} "
                  f"{show(c.by_place['bus_stand']):>4} {show(c.by_place['market']):>7}")  # fmt: skip
    out.print(f"total shown {m.total(kind.value)}; {m.suppressed_cells(kind.value)} regions hidden")
    for r in m.routes:
        out.print(f"route {r.from_region} ({r.from_state}) -> {r.to_region} ({r.to_state}): {show(r.count)}")
    for h in (h for h in m.hotspots if h.kind == kind.value):
        out.print(f"hotspot {h.district or h.state} {h.lat:.2f},{h.lon:.2f} (~5 km) {h.place}: {h.count}")
    for u in m.unmatched:
        console.print(
            f"[yellow]unmatched[/yellow] no boundary for {u.district or u.state!r} ({u.state}): {show(u.count)} records, not on the map"
        )
    if m.undated:
        console.print(f"{m.undated} records have no date and belong to no period")
    for path in files:
        console.print(f"written {path}")
