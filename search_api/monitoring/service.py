"""The police action log and the figures senior officers watch. Plain functions; they never commit.

Definitions (the README's "Monitoring" restates them):

- A report's *date* is the missing report's own date (when the child went missing and was
  reported), or the day it was entered when the report has none. *Days open* count from it.
- An open report has had *no police action for N days* when its latest action log entry (or,
  with none, its date) is N or more days old.
- *Review backlog*: pairs pending or waiting for information; a pair counts in each district of
  the area it touches (a pair between two districts of one state counts in both).
- *Report to match*: from the report's date to the confirmation of the match (its restoration
  case opening). *Match to restoration*: from there to the recorded hand-over. Both by the
  report's (the family's) district.
- *Traced share* of a month: of the reports dated in that month, the share whose status is now
  ``traced`` (a cohort: recent months have had less time).
- Figures group by district, or by state on the national view.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table, and_, false, func, or_, select
from sqlalchemy.orm import Session

from indexer import resolve_district, resolve_state, store_metadata
from search_api.db import as_utc, utcnow
from search_api.monitoring.models import PoliceActionRow
from search_api.policy import SCOPE, normal
from search_api.restoration.models import RestorationCaseRow, RestorationStepRow
from search_api.review.models import DuplicateFlagRow, ReviewPairRow
from search_api.review.service import OPEN_STATUSES
from search_api.users.models import UserRow

ACTIONS = ("fir_registered", "photo_circulated", "cctns_checked", "places_searched", "hospitals_contacted", "other")
# what an entry of each kind must say besides who and when
REQUIRED: dict[str, tuple[str, ...]] = {
    "fir_registered": ("fir_number", "fir_date"),
    "places_searched": ("details",),
    "hospitals_contacted": ("details",),
    "other": ("notes",),
}
MAX_TEXT = 2000
# days open: the buckets a senior officer reads at a glance (a week, a month, a quarter, a year, more)
DAY_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7),
    ("8-30", 8, 30),
    ("31-90", 31, 90),
    ("91-365", 91, 365),
    ("366+", 366, None),
)
FIGURES = ("open", "no_action", "backlog", "duplicates", "to_match", "cohort")
MAX_LIST = 500


class MonitoringRefused(ValueError):
    """A request the figures cannot answer (a malformed week, an unknown bucket); says what to change."""


class ActionRefused(MonitoringRefused):
    """An action log entry that cannot be taken: names the field and why."""


# ---------------------------------------------------------------------------------------------
# areas


@dataclass(frozen=True)
class Area:
    """Where figures are counted: all India (state ""), a state (district ""), or one district of a
    state. ``nowhere`` is an account without the state or district its role needs: it sees nothing."""

    state: str = ""
    district: str = ""
    nowhere: bool = False

    @property
    def level(self) -> str:
        return "national" if not self.state else "state" if not self.district else "district"

    @property
    def label(self) -> str:
        if self.nowhere:
            return "-"
        return ", ".join(p for p in (self.district, self.state) if p) or "India"

    def contains(self, state: str, district: str = "") -> bool:
        """Whether (state, district) lies in this area; ("S", "") is inside only a national or S's own area."""
        if self.nowhere:
            return False
        if not self.state:
            return True
        if normal(self.state) != normal(state):
            return False
        return not self.district or normal(self.district) == normal(district)

    def covers(self, other: Area) -> bool:
        return not other.nowhere and self.contains(other.state, other.district) and (bool(self.district) <= bool(other.district))

    def query(self) -> dict[str, str]:
        return {"state": self.state, "district": self.district}


def canonical_area(state: str, district: str = "") -> Area:
    """The gazetteer's names (Orissa is Odisha, Gurgaon is Gurugram), as records are stored."""
    state = " ".join((state or "").split())
    district = " ".join((district or "").split())
    if district and not state:
        place = resolve_district(district)
        if place is None:
            raise MonitoringRefused(f"district {district!r}: name its state too (district names repeat across states)")
        return Area(place.state, place.name)
    state = (resolve_state(state) or state) if state else ""
    place = resolve_district(district, state) if district else None
    return Area(state, place.name if place is not None else district)


def area_of(user: UserRow) -> Area:
    """The user's jurisdiction as an area (police and DCPU: their district)."""
    scope = SCOPE.get(user.role)
    if scope == "national":
        return Area()
    if not user.state or (scope != "state" and not user.district):
        return Area(nowhere=True)
    return canonical_area(user.state, "" if scope == "state" else user.district)


def group_of(area: Area, state: str, district: str) -> str:
    """The bar a record counts in: its district, or its state on the national view."""
    return (state or "-") if area.level == "national" else (district or "-")


def group_area(area: Area, group: str) -> Area:
    """The area one bar stands for (where its drill-down list looks)."""
    return Area(group, "") if area.level == "national" else Area(area.state, group)


# ---------------------------------------------------------------------------------------------
# reports


def _records() -> Table:
    return store_metadata().tables["child_records"]


def _norm(column):  # type: ignore[no-untyped-def]
    return func.lower(func.trim(column))


def _in_area(columns: Sequence[tuple], area: Area):  # type: ignore[no-untyped-def]
    """A WHERE clause: any of the (state, district) column pairs lies in the area."""
    if area.nowhere:
        return false()
    if not area.state:
        return None
    clauses = []
    for state_col, district_col in columns:
        parts = [_norm(state_col) == normal(area.state)]
        if area.district:
            parts.append(_norm(district_col) == normal(area.district))
        clauses.append(and_(*parts))
    return or_(*clauses)


@dataclass(frozen=True)
class Report:
    """A missing report as the figures need it (no child's details)."""

    key: str
    record_id: str
    state: str
    district: str
    status: str
    reported_on: dt.date
    updated_at: dt.datetime

    def days_open(self, today: dt.date) -> int:
        return max(0, (today - self.reported_on).days)


def _as_date(value: dt.datetime) -> dt.date:
    return as_utc(value).astimezone(dt.UTC).date()


def list_reports(*, session: Session, area: Area, status: str | None = None) -> list[Report]:
    """Missing reports whose place lies in the area (all statuses unless one is named)."""
    table = _records()
    stmt = select(
        table.c.source_id, table.c.state, table.c.district, table.c.status, table.c.date, table.c.created_at, table.c.updated_at
    ).where(table.c.kind == "missing")
    where = _in_area([(table.c.state, table.c.district)], area)
    if where is not None:
        stmt = stmt.where(where)
    if status:
        stmt = stmt.where(table.c.status == status)
    return [
        Report(
            f"missing:{r.source_id}",
            r.source_id,
            r.state or "",
            r.district or "",
            r.status,
            r.date or _as_date(r.created_at),
            as_utc(r.updated_at),
        )
        for r in session.execute(stmt.order_by(table.c.pk))
    ]


def last_actions(*, session: Session, keys: Iterable[str] | None = None, before: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """The time of each report's latest action log entry (optionally only entries before a time)."""
    stmt = select(PoliceActionRow.record_key, func.max(PoliceActionRow.created_at)).group_by(PoliceActionRow.record_key)
    if before is not None:
        stmt = stmt.where(PoliceActionRow.created_at < before)
    wanted = set(keys) if keys is not None else None
    return {key: as_utc(at) for key, at in session.execute(stmt) if wanted is None or key in wanted}


def idle_days(report: Report, last_action: dt.datetime | None, today: dt.date) -> int:
    """Days since anything was logged on the report (since its date when nothing was)."""
    since = max(report.reported_on, _as_date(last_action)) if last_action is not None else report.reported_on
    return max(0, (today - since).days)


def bucket_of(days: int) -> str:
    return next(label for label, low, high in DAY_BUCKETS if days >= low and (high is None or days <= high))


# ---------------------------------------------------------------------------------------------
# the police action log


def _clean_action(values: dict[str, object], *, today: dt.date) -> dict:
    text = {k: str(values.get(k) or "").strip() for k in ("action", "fir_number", "fir_date", "details", "notes")}
    for k in ("action", "fir_number", "fir_date"):  # one-line fields: inner runs of spaces collapse (free text keeps its lines)
        text[k] = " ".join(text[k].split())
    action = text["action"]
    if action not in ACTIONS:
        raise ActionRefused(f"action: {action!r} is not one of {', '.join(ACTIONS)}")
    for name in REQUIRED.get(action, ()):
        if not text[name]:
            raise ActionRefused(f"{name}: required for {action.replace('_', ' ')}")
    if len(text["fir_number"]) > 64:
        raise ActionRefused("fir_number: at most 64 characters")
    for name in ("details", "notes"):
        if len(text[name]) > MAX_TEXT:
            raise ActionRefused(f"{name}: at most {MAX_TEXT} characters")
    fir_date = None
    if text["fir_date"]:
        try:
            fir_date = dt.date.fromisoformat(text["fir_date"])
        except ValueError as exc:
            raise ActionRefused(f"fir_date: {text['fir_date']!r} is not a date as YYYY-MM-DD") from exc
        if fir_date > today + dt.timedelta(days=1):  # a day's grace for time zones
            raise ActionRefused(f"fir_date: {fir_date} is in the future")
    if action != "fir_registered" and (text["fir_number"] or fir_date):
        raise ActionRefused("fir_number: an FIR number and date go with 'fir registered' only")
    return {"action": action, "fir_number": text["fir_number"], "fir_date": fir_date, "details": text["details"], "notes": text["notes"]}


def add_action(*, session: Session, user: UserRow, record_key: str, values: dict[str, object]) -> PoliceActionRow:
    """Log one action on a missing report at the server's time (the caller has checked who may)."""
    now = utcnow()
    row = PoliceActionRow(
        record_key=record_key,
        username=user.username,
        role=user.role,
        unit_code=user.unit_code or "",
        created_at=now,
        **_clean_action(values, today=now.date()),
    )
    session.add(row)
    session.flush()
    return row


def list_actions(*, session: Session, record_key: str) -> list[PoliceActionRow]:
    stmt = select(PoliceActionRow).where(PoliceActionRow.record_key == record_key)
    return list(session.scalars(stmt.order_by(PoliceActionRow.created_at, PoliceActionRow.pk)))


# ---------------------------------------------------------------------------------------------
# figures


@dataclass(frozen=True)
class Bar:
    """One bar of a figure: its label, its count, and where its list is (figure + query)."""

    label: str
    count: int
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Spread:
    """Days between two events over a set of cases: how many, median and quartiles."""

    n: int
    q1: float | None
    median: float | None
    q3: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            return cls(0, None, None, None)
        if len(values) == 1:
            return cls(1, values[0], values[0], values[0])
        q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
        return cls(len(values), round(q1, 1), round(median, 1), round(q3, 1))


@dataclass(frozen=True)
class MonthPoint:
    month: str  # 2026-03
    reports: int
    traced: int

    @property
    def share(self) -> float | None:
        return self.traced / self.reports if self.reports else None


@dataclass(frozen=True)
class Series:
    group: str
    points: list[MonthPoint]


@dataclass
class Dashboard:
    area: Area
    inside: bool  # within the user's jurisdiction: lists open; outside, aggregate counts only
    today: dt.date
    no_action_days: int
    months: list[str]
    open_total: int
    open_by_days: list[Bar]
    no_action: list[Bar]
    backlog: list[Bar]
    duplicates: list[Bar]
    report_to_match: Spread
    match_to_restoration: Spread
    traced_overall: Series
    traced_by_group: list[Series]


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def last_months(today: dt.date, count: int) -> list[str]:
    year, month, out = today.year, today.month, []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def _place_pairs(rows: Iterable, sides: Sequence[tuple[str, str]]) -> list[tuple[object, list[tuple[str, str]]]]:
    return [(row, [(getattr(row, s) or "", getattr(row, d) or "") for s, d in sides]) for row in rows]


def _by_group(area: Area, placed: list[tuple[object, list[tuple[str, str]]]]) -> dict[str, list]:
    """Each row under every group of the area it touches (once per group)."""
    out: dict[str, list] = defaultdict(list)
    for row, places in placed:
        groups = {group_of(area, s, d) for s, d in places if area.contains(s, d)}
        for group in groups:
            out[group].append(row)
    return out


def open_pairs(*, session: Session, area: Area) -> list[ReviewPairRow]:
    stmt = select(ReviewPairRow).where(ReviewPairRow.status.in_(OPEN_STATUSES))
    where = _in_area(
        [(ReviewPairRow.missing_state, ReviewPairRow.missing_district), (ReviewPairRow.found_state, ReviewPairRow.found_district)], area
    )
    return list(session.scalars(stmt.where(where) if where is not None else stmt))


def pending_duplicates(*, session: Session, area: Area) -> list[DuplicateFlagRow]:
    stmt = select(DuplicateFlagRow).where(DuplicateFlagRow.status == "pending")
    where = _in_area(
        [(DuplicateFlagRow.state_a, DuplicateFlagRow.district_a), (DuplicateFlagRow.state_b, DuplicateFlagRow.district_b)], area
    )
    return list(session.scalars(stmt.where(where) if where is not None else stmt))


def pairs_by_group(area: Area, pairs: Sequence[ReviewPairRow]) -> dict[str, list[ReviewPairRow]]:
    sides = (("missing_state", "missing_district"), ("found_state", "found_district"))
    return _by_group(area, _place_pairs(pairs, sides))


def duplicates_by_group(area: Area, flags: Sequence[DuplicateFlagRow]) -> dict[str, list[DuplicateFlagRow]]:
    return _by_group(area, _place_pairs(flags, (("state_a", "district_a"), ("state_b", "district_b"))))


@dataclass(frozen=True)
class MatchTimes:
    """A confirmed match of a report in the area, with its days to match and to restoration."""

    case_pk: int
    missing_key: str
    found_key: str
    group: str
    days_to_match: float
    days_to_restoration: float | None


def match_times(*, session: Session, area: Area) -> list[MatchTimes]:
    """Restoration cases of reports in the area (by the family's district), suspended ones left out."""
    stmt = select(RestorationCaseRow).where(RestorationCaseRow.status != "suspended")
    where = _in_area([(RestorationCaseRow.family_state, RestorationCaseRow.family_district)], area)
    cases = list(session.scalars(stmt.where(where) if where is not None else stmt))
    if not cases:
        return []
    handovers = {
        case_pk: as_utc(done)
        for case_pk, done in session.execute(
            select(RestorationStepRow.case_pk, func.min(RestorationStepRow.done_at))
            .where(RestorationStepRow.step == "handover", RestorationStepRow.done_at.is_not(None))
            .group_by(RestorationStepRow.case_pk)
        )
    }
    table = _records()
    ids = [c.missing_key.partition(":")[2] for c in cases]
    dates = {
        f"missing:{r.source_id}": r.date or _as_date(r.created_at)
        for r in session.execute(
            select(table.c.source_id, table.c.date, table.c.created_at).where(table.c.kind == "missing", table.c.source_id.in_(ids))
        )
    }
    out = []
    for case in cases:
        reported = dates.get(case.missing_key)
        if reported is None:  # the report was archived or removed: no date to count from
            continue
        matched = as_utc(case.created_at)
        start = dt.datetime.combine(reported, dt.time(0), tzinfo=dt.UTC)
        to_match = max(0.0, (matched - start).total_seconds() / 86400)
        handed = handovers.get(case.pk)
        to_restore = max(0.0, (handed - matched).total_seconds() / 86400) if handed is not None else None
        out.append(
            MatchTimes(
                case.pk,
                case.missing_key,
                case.found_key,
                group_of(area, case.family_state, case.family_district),
                round(to_match, 1),
                None if to_restore is None else round(to_restore, 1),
            )
        )
    return out


def _bars(counts: dict[str, int], area: Area, extra: dict[str, str] | None = None) -> list[Bar]:
    """Bars by group, largest first (then by name), each with the query of its list."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Bar(group, count, {**group_area(area, group).query(), **(extra or {})}) for group, count in ordered if count]


def traced_series(reports: Sequence[Report], months: list[str], group: str) -> Series:
    wanted = set(months)
    total: Counter[str] = Counter()
    traced: Counter[str] = Counter()
    for report in reports:
        month = month_of(report.reported_on)
        if month in wanted:
            total[month] += 1
            traced[month] += report.status == "traced"
    return Series(group, [MonthPoint(m, total[m], traced[m]) for m in months])


def build_dashboard(*, session: Session, area: Area, inside: bool, today: dt.date, no_action_days: int, months: int = 12) -> Dashboard:
    """Every figure of the dashboard for one area."""
    reports = list_reports(session=session, area=area)
    open_reports = [r for r in reports if r.status == "open"]
    last = last_actions(session=session, keys={r.key for r in open_reports})
    buckets = Counter(bucket_of(r.days_open(today)) for r in open_reports)
    open_bars = [Bar(label, buckets.get(label, 0), {**area.query(), "bucket": label}) for label, _low, _high in DAY_BUCKETS]
    idle = Counter(group_of(area, r.state, r.district) for r in open_reports if idle_days(r, last.get(r.key), today) >= no_action_days)
    backlog = {g: len(rows) for g, rows in pairs_by_group(area, open_pairs(session=session, area=area)).items()}
    dups = {g: len(rows) for g, rows in duplicates_by_group(area, pending_duplicates(session=session, area=area)).items()}
    times = match_times(session=session, area=area)
    month_list = last_months(today, months)
    groups: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        groups[group_of(area, report.state, report.district)].append(report)
    return Dashboard(
        area=area,
        inside=inside,
        today=today,
        no_action_days=no_action_days,
        months=month_list,
        open_total=len(open_reports),
        open_by_days=open_bars,
        no_action=_bars(idle, area, {"days": str(no_action_days)}),
        backlog=_bars(backlog, area),
        duplicates=_bars(dups, area),
        report_to_match=Spread.of([t.days_to_match for t in times]),
        match_to_restoration=Spread.of([t.days_to_restoration for t in times if t.days_to_restoration is not None]),
        traced_overall=traced_series(reports, month_list, area.label),
        traced_by_group=[traced_series(rows, month_list, g) for g, rows in sorted(groups.items())],
    )


# ---------------------------------------------------------------------------------------------
# drill-down: the records or pairs behind one figure


@dataclass(frozen=True)
class ListedReport:
    report: Report
    days_open: int
    idle_days: int
    last_action_at: dt.datetime | None
    days_to_match: float | None = None
    days_to_restoration: float | None = None


def list_open(*, session: Session, area: Area, today: dt.date, bucket: str = "", no_action_days: int | None = None) -> list[ListedReport]:
    """Open reports of the area, oldest first: all, one days-open bucket, or those idle for N days."""
    if bucket and bucket not in {b[0] for b in DAY_BUCKETS}:
        raise MonitoringRefused(f"bucket must be one of {', '.join(b[0] for b in DAY_BUCKETS)}")
    reports = list_reports(session=session, area=area, status="open")
    last = last_actions(session=session, keys={r.key for r in reports})
    out = []
    for r in reports:
        idle = idle_days(r, last.get(r.key), today)
        if bucket and bucket_of(r.days_open(today)) != bucket:
            continue
        if no_action_days is not None and idle < no_action_days:
            continue
        out.append(ListedReport(r, r.days_open(today), idle, last.get(r.key)))
    return sorted(out, key=lambda x: (-x.days_open, x.report.record_id))


def list_matched(*, session: Session, area: Area, today: dt.date) -> list[ListedReport]:
    """Reports of the area with a confirmed match, slowest first."""
    times = match_times(session=session, area=area)
    reports = {r.key: r for r in list_reports(session=session, area=area)}
    out = [
        ListedReport(reports[t.missing_key], reports[t.missing_key].days_open(today), 0, None, t.days_to_match, t.days_to_restoration)
        for t in times
        if t.missing_key in reports
    ]
    return sorted(out, key=lambda x: (-(x.days_to_match or 0), x.report.record_id))


def list_cohort(*, session: Session, area: Area, month: str, today: dt.date) -> list[ListedReport]:
    """Reports of the area dated in one month (the traced share's cohort), open ones first."""
    try:
        year, number = (int(p) for p in month.split("-"))
        dt.date(year, number, 1)
    except ValueError as exc:
        raise MonitoringRefused(f"month must look like 2026-03 (got {month!r})") from exc
    reports = [r for r in list_reports(session=session, area=area) if month_of(r.reported_on) == month]
    out = [ListedReport(r, r.days_open(today), 0, None) for r in reports]
    return sorted(out, key=lambda x: (x.report.status != "open", x.report.record_id))


# ---------------------------------------------------------------------------------------------
# the weekly digest's numbers


def parse_week(week: str) -> tuple[dt.date, dt.date]:
    """An ISO week ("2026-W48") as its Monday and Sunday."""
    try:
        year_text, _, week_text = week.strip().upper().partition("-W")
        monday = dt.date.fromisocalendar(int(year_text), int(week_text), 1)
    except ValueError as exc:
        raise MonitoringRefused(f"week must look like 2026-W48 (an ISO week), got {week!r}") from exc
    return monday, monday + dt.timedelta(days=6)


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


@dataclass(frozen=True)
class DigestRow:
    district: str
    new_reports: int = 0
    matches: int = 0
    restorations: int = 0
    police_actions: int = 0
    open_at_end: int = 0
    open_over_30_days: int = 0
    no_action: int = 0
    review_backlog_now: int = 0
    duplicates_now: int = 0
    median_days_to_match: float | None = None


@dataclass
class Digest:
    state: str
    week: str
    start: dt.date
    end: dt.date
    generated_at: dt.datetime
    no_action_days: int
    rows: list[DigestRow]
    total: DigestRow


DIGEST_COLUMNS = (
    "district",
    "new_reports",
    "matches",
    "restorations",
    "police_actions",
    "open_at_end",
    "open_over_30_days",
    "no_action",
    "review_backlog_now",
    "duplicates_now",
    "median_days_to_match",
)


def build_digest(*, session: Session, state: str, week: str, no_action_days: int, now: dt.datetime | None = None) -> Digest:
    """One state's week, district by district: what came in, what was matched and restored, what the
    stations logged, and what was still open at the week's end (backlog and duplicates: as of now)."""
    area = canonical_area(state)
    if not area.state:
        raise MonitoringRefused("name the state of the digest")
    start, end = parse_week(week)
    now = now or utcnow()
    begin_at = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    end_at = begin_at + dt.timedelta(days=7)
    reports = list_reports(session=session, area=area)
    keys = {r.key for r in reports}
    cases = [c for c in session.scalars(select(RestorationCaseRow).where(RestorationCaseRow.missing_key.in_(keys)))] if keys else []
    closed_at: dict[str, dt.datetime] = {}
    for case in cases:
        at = as_utc(case.created_at)
        closed_at[case.missing_key] = min(at, closed_at.get(case.missing_key, at))
    for r in reports:  # closed without a match (set by an import or an admin): the last change is the best time known
        if r.status != "open" and r.key not in closed_at:
            closed_at[r.key] = r.updated_at
    actions = [
        (k, as_utc(at))
        for k, at in session.execute(
            select(PoliceActionRow.record_key, PoliceActionRow.created_at).where(PoliceActionRow.created_at < end_at)
        )
        if k in keys
    ]
    last_before_end: dict[str, dt.datetime] = {}
    acted: Counter[str] = Counter()
    for key, at in actions:
        last_before_end[key] = max(at, last_before_end.get(key, at))
        acted[key] += at >= begin_at
    times = {t.missing_key: t for t in match_times(session=session, area=area)}
    handovers = {
        case_pk: as_utc(done)
        for case_pk, done in session.execute(
            select(RestorationStepRow.case_pk, RestorationStepRow.done_at).where(
                RestorationStepRow.step == "handover", RestorationStepRow.done_at.is_not(None)
            )
        )
    }
    backlog = pairs_by_group(area, open_pairs(session=session, area=area))
    dups = duplicates_by_group(area, pending_duplicates(session=session, area=area))
    by_district: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        by_district[r.district or "-"].append(r)
    case_by_key = defaultdict(list)
    for case in cases:
        case_by_key[case.missing_key].append(case)
    rows = []
    for district in sorted(set(by_district) | set(backlog) | set(dups)):
        mine = by_district.get(district, [])
        open_end = [r for r in mine if r.reported_on <= end and not (r.key in closed_at and closed_at[r.key] < end_at)]
        matched_in_week = [c for r in mine for c in case_by_key[r.key] if begin_at <= as_utc(c.created_at) < end_at]
        restored = [c for r in mine for c in case_by_key[r.key] if c.pk in handovers and begin_at <= handovers[c.pk] < end_at]
        days = [times[c.missing_key].days_to_match for c in matched_in_week if c.missing_key in times]
        rows.append(
            DigestRow(
                district=district,
                new_reports=sum(start <= r.reported_on <= end for r in mine),
                matches=len(matched_in_week),
                restorations=len(restored),
                police_actions=sum(acted[r.key] for r in mine),
                open_at_end=len(open_end),
                open_over_30_days=sum((end - r.reported_on).days > 30 for r in open_end),
                no_action=sum(idle_days(r, last_before_end.get(r.key), end) >= no_action_days for r in open_end),
                review_backlog_now=len(backlog.get(district, [])),
                duplicates_now=len(dups.get(district, [])),
                median_days_to_match=round(statistics.median(days), 1) if days else None,
            )
        )
    all_days = [times[c.missing_key].days_to_match for c in cases if c.missing_key in times and begin_at <= as_utc(c.created_at) < end_at]
    total = DigestRow(
        district="",
        **{name: sum(getattr(r, name) for r in rows) for name in DIGEST_COLUMNS[1:-3]},
        review_backlog_now=len({p.pk for group in backlog.values() for p in group}),
        duplicates_now=len({f.pk for group in dups.values() for f in group}),
        median_days_to_match=round(statistics.median(all_days), 1) if all_days else None,
    )
    return Digest(area.state, iso_week(start), start, end, now, no_action_days, rows, total)
