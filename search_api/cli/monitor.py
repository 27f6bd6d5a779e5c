"""Monitoring: a state's weekly digest (CSV or PDF), the dashboard's figures, the police action log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from sqlalchemy import select

from search_api.cli.common import console, fail, operator_audit, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="Monitoring for senior officers: weekly digest, dashboard figures, police action log.", no_args_is_help=True)


def _user(session, username: str):  # type: ignore[no-untyped-def]
    from search_api.users.models import UserRow

    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    if user is None:
        raise fail(f"no active user {username!r}")
    return user


@app.command("digest")
def digest(
    state: Annotated[str, typer.Option(help="The state, e.g. Bihar (old names and usual spellings resolve)")],
    week: Annotated[str, typer.Option(help="ISO week, e.g. 2026-W48 (Monday to Sunday)")],
    output: Annotated[Path, typer.Option("--out", "-o", help="File to write; .pdf or .csv (or say --format)")],
    fmt: Annotated[Optional[str], typer.Option("--format", help="csv or pdf (default: from --out's suffix)")] = None,
    as_user: Annotated[
        Optional[str], typer.Option("--as", help="Act as this user (a state's user for their state, central); default: the operator")
    ] = None,
) -> None:
    """Write a state's weekly digest, district by district (audited)."""
    from search_api.monitoring import flows
    from search_api.monitoring.service import MonitoringRefused
    from search_api.policy import PermissionDenied

    fmt = (fmt or output.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "pdf"):
        raise fail("say --format csv or pdf, or name the output file .csv or .pdf")
    settings = Settings()
    with open_resources(settings) as res, res.session_factory() as session:
        try:
            result, body = flows.weekly_digest(
                session=session,
                user=_user(session, as_user) if as_user else None,
                state=state,
                week=week,
                fmt=fmt,
                source="cli",
                no_action_days=settings.monitor_no_action_days,
                font=settings.monitor_pdf_font,
            )
        except (PermissionDenied, MonitoringRefused, FileNotFoundError) as exc:
            raise fail(str(exc)) from exc
        session.commit()
        if as_user is None:  # the operator at the server's console
            operator_audit(res, "monitor_digest", [], {"state": result.state, "week": result.week, "format": fmt})
    output.write_bytes(body)
    console.print(f"digest of {result.state}, {result.week} ({result.start} to {result.end}): {len(result.rows)} districts → {output}")


@app.command("dashboard")
def dashboard(
    as_user: Annotated[str, typer.Option("--as", help="Act as this user: their jurisdiction decides the area")],
    state: Annotated[str, typer.Option()] = "",
    district: Annotated[str, typer.Option()] = "",
    days: Annotated[Optional[int], typer.Option(help="No police action for this many days (default: the settings')")] = None,
) -> None:
    """The dashboard's figures as JSON (audited)."""
    from search_api.monitoring import flows
    from search_api.monitoring.service import MonitoringRefused
    from search_api.monitoring.views import dashboard_read
    from search_api.policy import PermissionDenied

    settings = Settings()
    with open_resources(settings) as res, res.session_factory() as session:
        user = _user(session, as_user)
        try:
            board = flows.dashboard(
                session=session,
                user=user,
                state=state,
                district=district,
                source="cli",
                no_action_days=days or settings.monitor_no_action_days,
            )
        except (PermissionDenied, MonitoringRefused) as exc:
            raise fail(str(exc)) from exc
        session.commit()
        out.print_json(dashboard_read(board, user).model_dump_json())


@app.command("action")
def action(
    record_id: Annotated[str, typer.Argument(help="The missing report's id")],
    kind: Annotated[
        str, typer.Argument(help="fir_registered, photo_circulated, cctns_checked, places_searched, hospitals_contacted, other")
    ],
    as_user: Annotated[str, typer.Option("--as", help="The reporting station's police user")],
    fir_number: Annotated[str, typer.Option()] = "",
    fir_date: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
    details: Annotated[str, typer.Option(help="Places searched, who was contacted, where the photo went")] = "",
    notes: Annotated[str, typer.Option()] = "",
) -> None:
    """Log a police action on a missing report (at the server's time; audited)."""
    from indexer import RecordNotFound
    from search_api.monitoring import flows
    from search_api.monitoring.service import MonitoringRefused
    from search_api.policy import PermissionDenied

    values = {"action": kind, "fir_number": fir_number, "fir_date": fir_date, "details": details, "notes": notes}
    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            row = flows.add_police_action(session=session, user=_user(session, as_user), record_id=record_id, values=values, source="cli")
        except (PermissionDenied, MonitoringRefused, RecordNotFound) as exc:
            raise fail(f"{record_id}: {exc}") from exc
        session.commit()
        out.print(f"logged {row.action} on missing:{record_id} at {row.created_at:%Y-%m-%d %H:%M} UTC by {row.username}")


@app.command("actions")
def actions(
    record_id: Annotated[str, typer.Argument(help="The missing report's id")],
    as_user: Annotated[str, typer.Option("--as", help="The station, the district's DCPU, a state or central user")],
) -> None:
    """A missing report's police action log, one JSON line per entry (audited)."""
    from indexer import RecordNotFound
    from search_api.monitoring import flows
    from search_api.monitoring.schemas import ActionRead
    from search_api.policy import PermissionDenied

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            rows = flows.read_police_actions(session=session, user=_user(session, as_user), record_id=record_id, source="cli")
        except (PermissionDenied, RecordNotFound) as exc:
            raise fail(f"{record_id}: {exc}") from exc
        session.commit()
        for row in rows:
            typer.echo(json.dumps(ActionRead.model_validate(row).model_dump(mode="json"), ensure_ascii=False))
