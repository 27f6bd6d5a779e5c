from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from search_api.deps import CurrentUser, DbSession, ResourcesDep, Source
from search_api.monitoring import flows
from search_api.monitoring.schemas import (
    ActionCreate,
    ActionRead,
    AreaRead,
    BarRead,
    DashboardRead,
    DrillDownRead,
    ListedPairRead,
    ListedReportRead,
    PointRead,
    SeriesRead,
    SpreadRead,
)
from search_api.monitoring.service import Dashboard, Digest, Series, group_area
from search_api.users.models import UserRow

router = APIRouter(tags=["monitoring"])
Text = Annotated[str, Query(max_length=100)]
Days = Annotated[int | None, Query(ge=1, le=3650, description="no police action for this many days (default: the settings')")]


@router.get(
    "/records/missing/{record_id}/actions",
    response_model=list[ActionRead],
    summary="A missing report's police action log (the station, its DCPU, state and central users)",
)
def list_actions(record_id: str, user: CurrentUser, session: DbSession, source: Source) -> list[ActionRead]:
    return [ActionRead.model_validate(r) for r in flows.read_police_actions(session=session, user=user, record_id=record_id, source=source)]


@router.post(
    "/records/missing/{record_id}/actions",
    response_model=ActionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Log what the reporting station did (FIR, photo circulated, CCTNS/ZIPNET, places, hospitals...)",
)
def add_action(record_id: str, body: ActionCreate, user: CurrentUser, session: DbSession, source: Source) -> ActionRead:
    row = flows.add_police_action(session=session, user=user, record_id=record_id, values=body.model_dump(), source=source)
    return ActionRead.model_validate(row)


def _series(board: Dashboard, user: UserRow, series: Series, *, overall: bool) -> SeriesRead:
    area = board.area if overall else group_area(board.area, series.group)
    return SeriesRead(
        group=series.group,
        points=[
            PointRead(
                month=p.month,
                reports=p.reports,
                traced=p.traced,
                share=p.share,
                list=flows.drill_link(board, user, "cohort", {**area.query(), "month": p.month}) if p.reports else None,
            )
            for p in series.points
        ],
    )


def dashboard_read(board: Dashboard, user: UserRow) -> DashboardRead:
    def bars(figure: str, items) -> list[BarRead]:  # type: ignore[no-untyped-def]
        return [
            BarRead(label=b.label, count=b.count, list=flows.drill_link(board, user, figure, b.query) if b.count else None) for b in items
        ]

    return DashboardRead(
        area=AreaRead.model_validate(board.area),
        access="full" if board.inside else "aggregate",
        today=board.today,
        no_action_days=board.no_action_days,
        open_total=board.open_total,
        open_by_days=bars("open", board.open_by_days),
        no_action=bars("no_action", board.no_action),
        backlog=bars("backlog", board.backlog),
        duplicates=bars("duplicates", board.duplicates),
        report_to_match_days=SpreadRead.model_validate(board.report_to_match),
        match_to_restoration_days=SpreadRead.model_validate(board.match_to_restoration),
        traced_overall=_series(board, user, board.traced_overall, overall=True),
        traced_by_group=[_series(board, user, s, overall=False) for s in board.traced_by_group],
    )


@router.get(
    "/monitor/dashboard",
    response_model=DashboardRead,
    summary="Figures of your jurisdiction (or, as aggregate counts only, of another state or district)",
)
def dashboard(
    user: CurrentUser,
    session: DbSession,
    res: ResourcesDep,
    source: Source,
    state: Text = "",
    district: Text = "",
    days: Days = None,
    months: Annotated[int, Query(ge=1, le=36)] = 12,
) -> DashboardRead:
    board = flows.dashboard(
        session=session,
        user=user,
        state=state,
        district=district,
        months=months,
        source=source,
        no_action_days=days or res.settings.monitor_no_action_days,
    )
    return dashboard_read(board, user)


@router.get(
    "/monitor/list/{figure}",
    response_model=DrillDownRead,
    summary="The records or pairs behind one figure (open, no_action, backlog, duplicates, to_match, cohort); audited",
)
def drill_down(
    figure: str,
    user: CurrentUser,
    session: DbSession,
    res: ResourcesDep,
    source: Source,
    state: Text = "",
    district: Text = "",
    bucket: Annotated[str, Query(max_length=10)] = "",
    days: Days = None,
    month: Annotated[str, Query(max_length=7)] = "",
) -> DrillDownRead:
    found = flows.drill_down(
        session=session,
        user=user,
        figure=figure,
        state=state,
        district=district,
        bucket=bucket,
        month=month,
        source=source,
        days=days or res.settings.monitor_no_action_days,
    )
    return DrillDownRead(
        figure=found.figure,
        area=AreaRead.model_validate(found.area),
        total=found.total,
        reports=[
            ListedReportRead(
                record=view,
                reported_on=x.report.reported_on,
                days_open=x.days_open,
                idle_days=x.idle_days,
                last_action_at=x.last_action_at,
                days_to_match=x.days_to_match,
                days_to_restoration=x.days_to_restoration,
            )
            for x, view in found.reports
        ],
        pairs=[
            ListedPairRead(
                pk=row.pk,
                kind="pair" if "pair" in p else "duplicate",
                status=row.status,
                score=row.score,
                created_at=row.created_at,
                records=[p[s] for s in (("missing", "found") if "pair" in p else ("a", "b"))],
            )
            for p in found.pairs
            for row in [p.get("pair") or p["flag"]]
        ],
    )


@router.get("/monitor/digest", summary="A state's weekly digest as CSV or PDF (the state's users, central and admin); audited")
def digest(
    user: CurrentUser,
    session: DbSession,
    res: ResourcesDep,
    source: Source,
    state: Text,
    week: Annotated[str, Query(max_length=10)],
    format: Annotated[str, Query(pattern="^(csv|pdf)$")] = "csv",
) -> Response:
    result, body = flows.weekly_digest(
        session=session,
        user=user,
        state=state,
        week=week,
        fmt=format,
        source=source,
        no_action_days=res.settings.monitor_no_action_days,
        font=res.settings.monitor_pdf_font,
    )
    return digest_response(result, body, format)


def digest_response(result: Digest, body: bytes, fmt: str) -> Response:
    """The digest as a download (the API and the page answer alike)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"digest-{result.state}-{result.week}.{fmt}")  # a header is ASCII
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/pdf"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
