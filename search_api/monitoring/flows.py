"""Monitoring as a given user: who may log, read, look and download, and the audit entries.

Figures are counted within the user's jurisdiction (central: India; state: its state; DCPU and
police: their (state, district)). Another area may be looked at as aggregate counts only: no
list opens there. Every list and every action log read is audited; so is each dashboard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from indexer import StoredRecord, get_record_or_raise, get_records_by_keys
from search_api.audit.service import Actor, append
from search_api.monitoring import service
from search_api.monitoring.models import PoliceActionRow
from search_api.monitoring.service import Area, MonitoringRefused
from search_api.policy import PermissionDenied, authorize, may, may_add_police_action, may_read_police_actions, unit_code_of
from search_api.records.service import view_for
from search_api.users.models import UserRow

# figures whose lists are pairs of the review queue: only roles that see the queue open them
PAIR_FIGURES = ("backlog", "duplicates")


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# ---------------------------------------------------------------------------------------------
# the police action log


def add_police_action(*, session: Session, user: UserRow, record_id: str, values: dict[str, Any], source: str = "") -> PoliceActionRow:
    """Log an action on a missing report: the reporting station only (by its code); audited."""
    authorize(user, "police_action_add")
    stored = get_record_or_raise(session=session, kind="missing", record_id=record_id)
    if not may_add_police_action(user, stored.record):
        code = unit_code_of(stored.record) or "none given"
        raise PermissionDenied(f"missing report {record_id}: its actions are logged by the reporting station (code {code})")
    row = service.add_action(session=session, user=user, record_key=stored.key, values=values)
    append(
        session=session,
        actor=Actor.of(user, source),
        action="police_action",
        targets=[stored.key, f"police_action:{row.pk}"],
        detail={"action": row.action},
    )
    return row


def read_police_actions(*, session: Session, user: UserRow, record_id: str, source: str = "") -> list[PoliceActionRow]:
    """A report's action log: the station, the district's DCPU, the state's and central users; audited."""
    authorize(user, "police_action_read")
    stored = get_record_or_raise(session=session, kind="missing", record_id=record_id)
    rows = actions_for_page(session=session, user=user, stored=stored)
    if rows is None:
        raise PermissionDenied(
            f"missing report {record_id}: its action log is for the reporting station, its DCPU, state and central users"
        )
    append(session=session, actor=Actor.of(user, source), action="police_action_list", targets=[stored.key], detail={"entries": len(rows)})
    return rows


def actions_for_page(*, session: Session, user: UserRow, stored: StoredRecord) -> list[PoliceActionRow] | None:
    """The log as the record page shows it (None: not for this user); the page's own view is audited."""
    if not may_read_police_actions(user, stored.record):
        return None
    return service.list_actions(session=session, record_key=stored.key)


def may_log_action(user: UserRow, stored: StoredRecord) -> bool:
    return may_add_police_action(user, stored.record)


# ---------------------------------------------------------------------------------------------
# dashboards and their lists


def resolve_area(user: UserRow, state: str = "", district: str = "") -> tuple[Area, bool]:
    """The area asked for (the user's own when none) and whether it lies in their jurisdiction."""
    own = service.area_of(user)
    if not (state or district):
        return own, not own.nowhere
    wanted = service.canonical_area(state, district)
    return wanted, own.covers(wanted)


def dashboard(
    *,
    session: Session,
    user: UserRow,
    state: str = "",
    district: str = "",
    no_action_days: int,
    months: int = 12,
    source: str = "",
    on: dt.date | None = None,
) -> service.Dashboard:
    """The figures of an area: the user's own in full, any other as aggregate counts (no lists)."""
    authorize(user, "monitor")
    area, inside = resolve_area(user, state, district)
    board = service.build_dashboard(
        session=session, area=area, inside=inside, today=on or today(), no_action_days=no_action_days, months=months
    )
    append(
        session=session,
        actor=Actor.of(user, source),
        action="monitor_dashboard",
        targets=[],
        detail={"state": area.state, "district": area.district, "inside": inside},
    )
    return board


def drill_link(board: service.Dashboard, user: UserRow, figure: str, query: dict[str, str], *, prefix: str = "/monitor") -> str | None:
    """Where a figure's bar or point opens its list; None where no list opens to this user
    (an area outside the jurisdiction, or the review queue's pairs for a role without the queue)."""
    if not board.inside or (figure in PAIR_FIGURES and not may(user, "review_list")):
        return None
    return f"{prefix}/list/{figure}?{urlencode({k: v for k, v in query.items() if v})}"


@dataclass
class DrillDown:
    """The records (or pairs) behind one figure, as this user may see them."""

    figure: str
    area: Area
    total: int
    reports: list[tuple[service.ListedReport, dict]]  # each with the record's view
    pairs: list[dict]  # backlog: {"pair", "missing", "found"}; duplicates: {"flag", "a", "b"}


def drill_down(
    *,
    session: Session,
    user: UserRow,
    figure: str,
    state: str = "",
    district: str = "",
    bucket: str = "",
    days: int | None = None,
    month: str = "",
    source: str = "",
    on: dt.date | None = None,
) -> DrillDown:
    """One figure's list, inside the user's jurisdiction only; audited with every id it shows."""
    authorize(user, "monitor")
    if figure not in service.FIGURES:
        raise MonitoringRefused(f"figure must be one of {', '.join(service.FIGURES)}")
    area, inside = resolve_area(user, state, district)
    if not inside:
        raise PermissionDenied(f"{area.label} is outside your jurisdiction: only its aggregate counts are shown")
    if figure in PAIR_FIGURES and not may(user, "review_list"):
        raise PermissionDenied(f"role {user.role!r} does not see the review queue: its counts are on the dashboard")
    day = on or today()
    listed: list[service.ListedReport] = []
    pairs: list[dict] = []
    total = 0
    if figure == "open":
        listed = service.list_open(session=session, area=area, today=day, bucket=bucket)
    elif figure == "no_action":
        listed = service.list_open(session=session, area=area, today=day, no_action_days=days or 1)
    elif figure == "to_match":
        listed = service.list_matched(session=session, area=area, today=day)
    elif figure == "cohort":
        listed = service.list_cohort(session=session, area=area, month=month, today=day)
    elif figure == "backlog":
        rows = sorted(service.open_pairs(session=session, area=area), key=lambda p: (p.created_at, p.pk))
        records = get_records_by_keys(session=session, keys=[k for p in rows[: service.MAX_LIST] for k in (p.missing_key, p.found_key)])
        total = len(rows)
        pairs = [
            {
                "pair": p,
                **{
                    side: view_for(user, s) if (s := records.get(key)) else {}
                    for side, key in (("missing", p.missing_key), ("found", p.found_key))
                },
            }
            for p in rows[: service.MAX_LIST]
        ]
    else:
        rows = sorted(service.pending_duplicates(session=session, area=area), key=lambda f: (f.created_at, f.pk))
        records = get_records_by_keys(session=session, keys=[k for f in rows[: service.MAX_LIST] for k in (f.key_a, f.key_b)])
        total = len(rows)
        pairs = [
            {"flag": f, **{side: view_for(user, s) if (s := records.get(key)) else {} for side, key in (("a", f.key_a), ("b", f.key_b))}}
            for f in rows[: service.MAX_LIST]
        ]
    total = total or len(listed)
    shown = listed[: service.MAX_LIST]
    records = get_records_by_keys(session=session, keys=[x.report.key for x in shown]) if shown else {}
    reports = [(x, view_for(user, records[x.report.key])) for x in shown if x.report.key in records]
    targets = [x.report.key for x, _ in reports] or [f"pair:{p['pair'].pk}" if "pair" in p else f"duplicate:{p['flag'].pk}" for p in pairs]
    append(
        session=session,
        actor=Actor.of(user, source),
        action="monitor_list",
        targets=targets[:200],
        detail={"figure": figure, "state": area.state, "district": area.district, "results": total},
    )
    return DrillDown(figure, area, total, reports, pairs)


# ---------------------------------------------------------------------------------------------
# the weekly digest


def may_download_digest(user: UserRow, state: str) -> bool:
    if not may(user, "digest"):
        return False
    own = service.area_of(user)
    return own.covers(service.canonical_area(state)) if state else False


def weekly_digest(
    *,
    session: Session,
    user: UserRow | None,
    state: str,
    week: str,
    no_action_days: int,
    source: str = "",
    fmt: str = "csv",
    font: Any = None,
) -> tuple[service.Digest, bytes]:
    """A state's weekly digest as CSV or PDF: the state's own users, central and admin (``user`` None:
    an operator at the server's console, audited as such by the caller); audited."""
    from search_api.monitoring import digest as render

    if user is not None:
        authorize(user, "digest")
        if not may_download_digest(user, state):
            raise PermissionDenied(f"the weekly digest of {state or 'a state'} is for that state's users and central users")
    if fmt not in ("csv", "pdf"):
        raise MonitoringRefused("format must be csv or pdf")
    result = service.build_digest(session=session, state=state, week=week, no_action_days=no_action_days)
    body = render.digest_csv(result).encode("utf-8-sig") if fmt == "csv" else render.digest_pdf(result, font=font)
    if user is not None:
        append(
            session=session,
            actor=Actor.of(user, source),
            action="monitor_digest",
            targets=[],
            detail={"state": result.state, "week": result.week, "format": fmt},
        )
    return result, body
