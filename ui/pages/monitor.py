"""Monitoring for senior officers: the dashboard (charts that open their lists), the lists, the
state's weekly digest, and the station's form for the police action log on a missing report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from search_api import (
    DAY_BUCKETS,
    DbSession,
    MonitoringRefused,
    ResourcesDep,
    add_police_action,
    digest_response,
    group_area,
    iso_week,
    may_download_digest,
    monitor_dashboard,
    monitor_drill_down,
    monitor_drill_link,
    weekly_digest,
)
from ui.charts import PURPLE, RED, BarItem, Point, RangeItem, bar_chart, line_chart, range_chart
from ui.i18n import translator
from ui.web import Page, redirect

router = APIRouter(prefix="/ui")
Text = Annotated[str, Query(max_length=100)]
Days = Annotated[int | None, Query(ge=1, le=3650)]
PREFIX = "/ui/monitor"
LIST_TITLES = {
    "open": "m_open_by_days",
    "no_action": "m_no_action",
    "backlog": "m_backlog",
    "duplicates": "m_duplicates",
    "to_match": "m_times",
    "cohort": "m_traced",
}


def _charts(page: Page, board) -> dict[str, Markup]:  # type: ignore[no-untyped-def]
    t, user = translator(page.lang), page.user

    def link(figure: str, query: dict[str, str], count: int) -> str | None:
        return monitor_drill_link(board, user, figure, query, prefix=PREFIX) if count else None

    def bars(figure: str, items, label=lambda b: b.label) -> list[BarItem]:  # type: ignore[no-untyped-def]
        return [BarItem(label(b), b.count, link(figure, b.query, b.count)) for b in items]

    def points(series, area) -> list[Point]:  # type: ignore[no-untyped-def]
        return [
            Point(
                p.month,
                p.share,
                f"{p.month}: {p.traced} / {p.reports} {t('m_traced_word')}",
                link("cohort", {**area.query(), "month": p.month}, p.reports),
            )
            for p in series.points
        ]

    days = board.no_action_days
    spreads = [
        RangeItem(t("m_report_to_match"), *_spread(board.report_to_match), link("to_match", board.area.query(), board.report_to_match.n)),
        RangeItem(
            t("m_match_to_restoration"),
            *_spread(board.match_to_restoration),
            link("to_match", board.area.query(), board.match_to_restoration.n),
        ),
    ]
    charts = {
        "open": bar_chart(
            "chart-open",
            t("m_open_by_days"),
            t("m_open_by_days_desc"),
            bars("open", board.open_by_days, lambda b: f"{b.label} {t('m_days')}"),
            empty=t("nothing_here"),
        ),
        "no_action": bar_chart(
            "chart-no-action",
            t("m_no_action").replace("{n}", str(days)),
            t("m_no_action_desc").replace("{n}", str(days)),
            bars("no_action", board.no_action),
            colour=RED,
            empty=t("m_none"),
        ),
        "backlog": bar_chart(
            "chart-backlog", t("m_backlog"), t("m_backlog_desc"), bars("backlog", board.backlog), colour=PURPLE, empty=t("m_none")
        ),
        "duplicates": bar_chart(
            "chart-duplicates",
            t("m_duplicates"),
            t("m_duplicates_desc"),
            bars("duplicates", board.duplicates),
            colour=PURPLE,
            empty=t("m_none"),
        ),
        "times": range_chart("chart-times", t("m_times"), t("m_times_desc"), spreads, unit=t("m_days"), empty=t("m_none")),
        "traced": line_chart("chart-traced", t("m_traced"), t("m_traced_desc"), points(board.traced_overall, board.area)),
    }
    charts["small"] = Markup("").join(
        Markup('<figure class="small-multiple"><figcaption>{}</figcaption>{}</figure>').format(
            s.group,
            line_chart(
                f"chart-traced-{n}",
                f"{t('m_traced')}: {s.group}",
                t("m_traced_desc"),
                points(s, group_area(board.area, s.group)),
                width=220,
                height=110,
                small=True,
            ),
        )
        for n, s in enumerate(board.traced_by_group[:60])
    )
    return charts


def _spread(spread) -> tuple:  # type: ignore[no-untyped-def]
    return spread.n, spread.q1, spread.median, spread.q3


def _last_week() -> str:
    return iso_week(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=7))


@router.get("/monitor", response_class=HTMLResponse)
def dashboard(page: Page, session: DbSession, res: ResourcesDep, state: Text = "", district: Text = "", days: Days = None) -> HTMLResponse:
    try:
        board = monitor_dashboard(
            session=session,
            user=page.user,
            state=state,
            district=district,
            source=page.source,
            no_action_days=days or res.settings.monitor_no_action_days,
        )
    except MonitoringRefused as exc:
        return page.render("error.html", status_code=422, message_key="m_title", detail=str(exc))
    digest_state = board.area.state if board.area.state else ""
    return page.render(
        "monitor/dashboard.html",
        board=board,
        charts=_charts(page, board),
        values={"state": state, "district": district},
        buckets=[b[0] for b in DAY_BUCKETS],
        digest_state=digest_state,
        week=_last_week(),
        may_digest=bool(digest_state) and may_download_digest(page.user, digest_state),
        open_list=monitor_drill_link(board, page.user, "open", board.area.query(), prefix=PREFIX),
    )


@router.get("/monitor/list/{figure}", response_class=HTMLResponse)
def drill_down(
    figure: str,
    page: Page,
    session: DbSession,
    res: ResourcesDep,
    state: Text = "",
    district: Text = "",
    bucket: Annotated[str, Query(max_length=10)] = "",
    days: Days = None,
    month: Annotated[str, Query(max_length=7)] = "",
) -> HTMLResponse:
    try:
        found = monitor_drill_down(
            session=session,
            user=page.user,
            figure=figure,
            state=state,
            district=district,
            bucket=bucket,
            days=days or res.settings.monitor_no_action_days,
            month=month,
            source=page.source,
        )
    except MonitoringRefused as exc:
        return page.render("error.html", status_code=422, message_key="m_title", detail=str(exc))
    back = f"{PREFIX}?{urlencode({'state': state, 'district': district})}" if state or district else PREFIX
    shown_days = days or res.settings.monitor_no_action_days
    return page.render(
        "monitor/list.html", found=found, title_key=LIST_TITLES[figure], bucket=bucket, days=shown_days, month=month, back=back
    )


def _digest(page: Page, session: DbSession, res: ResourcesDep, state: str, week: str, fmt: str) -> Response:
    try:
        result, body = weekly_digest(
            session=session,
            user=page.user,
            state=state,
            week=week,
            fmt=fmt,
            source=page.source,
            no_action_days=res.settings.monitor_no_action_days,
            font=res.settings.monitor_pdf_font,
        )
    except MonitoringRefused as exc:
        return page.render("error.html", status_code=422, message_key="m_digest", detail=str(exc))
    return digest_response(result, body, fmt)


@router.get("/monitor/digest.csv")
def digest_csv(
    page: Page, session: DbSession, res: ResourcesDep, state: Text = "", week: Annotated[str, Query(max_length=10)] = ""
) -> Response:
    return _digest(page, session, res, state, week or _last_week(), "csv")


@router.get("/monitor/digest.pdf")
def digest_pdf(
    page: Page, session: DbSession, res: ResourcesDep, state: Text = "", week: Annotated[str, Query(max_length=10)] = ""
) -> Response:
    return _digest(page, session, res, state, week or _last_week(), "pdf")


@router.post("/records/missing/{record_id}/actions", response_model=None)
def log_action(
    record_id: str,
    request: Request,
    page: Page,
    session: DbSession,
    action: Annotated[str, Form(max_length=32)] = "",
    fir_number: Annotated[str, Form(max_length=64)] = "",
    fir_date: Annotated[str, Form(max_length=10)] = "",
    details: Annotated[str, Form(max_length=2000)] = "",
    notes: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse | HTMLResponse:
    """The reporting station logs what it did; the record page shows it at once."""
    page.check_csrf(csrf)
    values = {"action": action, "fir_number": fir_number, "fir_date": fir_date, "details": details, "notes": notes}
    try:
        add_police_action(session=session, user=page.user, record_id=record_id, values=values, source=page.source)
    except MonitoringRefused as exc:
        return page.render("error.html", status_code=422, message_key="m_action_refused", detail=str(exc))
    return redirect(f"/ui/records/missing/{quote(record_id, safe='')}?action_saved=1#police-actions")
