"""Vulnerable-location maps: where children go missing and where they are found, counted from
the records themselves. Plain functions; they never commit and never write.

A map is one area (India by state, or one state by district) over a time window, compared
with the previous window of the same length. Every figure is an aggregate. Who sees what:

- inside the viewer's jurisdiction (central and admin: India; a state user: the state; a
  district role: its (state, district)) counts are exact, and places with their own
  coordinates show as hotspots: clusters snapped to a ~5 km grid, never a record's own point;
- outside it, a count below ``suppress_below`` (a setting, default 3) is not shown, nor is a
  change that would reveal it; when one hidden cell in an area could be worked out from a
  total elsewhere, the next smallest cell is hidden too. No hotspots are shown outside.

Districts named in records under old names or usual spellings are put on their shapes through
the gazetteer; names no shape matches are listed (with their counts, suppressed likewise),
never dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import count_undated, iter_record_places, record_dates, resolve_district, resolve_state, stored_states
from search_api.maps.boundaries import Shape, boundaries, district_shape, state_shape
from search_api.maps.places import KINDS as PLACE_KINDS
from search_api.maps.places import place_kind
from search_api.policy import SCOPE, in_district
from search_api.review.models import ReviewPairRow
from search_api.users.models import UserRow

KINDS = ("missing", "found")
INDIA = ""  # the area of the whole country
GRID_DEG = 0.05  # hotspot clusters: ~5 km cells
MAX_DAYS = 3660
EARLIEST, LATEST = dt.date(1950, 1, 1), dt.date(2100, 12, 31)


class MapRefused(ValueError):
    """The map cannot be drawn as asked (unknown state, a window backwards or too long); says why."""


@dataclass(frozen=True)
class Window:
    """From ``start`` to ``end``, both days included."""

    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, start: dt.date | None, end: dt.date | None, *, today: dt.date | None = None, days: int = 90) -> Window:
        end = end or today or dt.date.today()
        start = start or end - dt.timedelta(days=days - 1)
        if start > end:
            raise MapRefused(f"the window starts ({start}) after it ends ({end})")
        if start < EARLIEST or end > LATEST:  # also keeps the period before, and the day after, inside the calendar
            raise MapRefused(f"a window between {EARLIEST} and {LATEST}, please ({start} to {end})")
        if (end - start).days + 1 > MAX_DAYS:
            raise MapRefused(f"a window of at most {MAX_DAYS} days, please ({start} to {end} is {(end - start).days + 1})")
        return cls(start, end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Window:
        """The period of the same length just before."""
        return Window(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def holds(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass
class Cell:
    """One region of the map (a state on India's map, a district on a state's) for one kind."""

    state: str
    district: str  # "" on India's map
    kind: str
    count: int | None  # None: suppressed
    previous: int | None
    change_pct: float | None  # against the previous period; None when not shown or no base
    by_place: dict[str, int | None] = field(default_factory=dict)
    detail: bool = False  # inside the viewer's jurisdiction: exact figures

    @property
    def suppressed(self) -> bool:
        return self.count is None

    @property
    def region(self) -> str:
        return self.district or self.state


@dataclass(frozen=True)
class Hotspot:
    """A cluster of places with their own coordinates (snapped to the grid cell's centre)."""

    lat: float
    lon: float
    kind: str
    count: int
    place: str  # the commonest kind of place in the cluster
    state: str
    district: str


@dataclass
class Route:
    """Confirmed pairs from where a child went missing to where the child was found."""

    from_state: str
    from_region: str
    to_state: str
    to_region: str
    count: int | None
    detail: bool = False


@dataclass
class Unmatched:
    """A state or district named in records that no boundary shape matches."""

    state: str
    district: str
    count: int | None


@dataclass(frozen=True)
class ServicePoint:
    """A district service from the directory (issue 16 part 1) with its own coordinates: drawn on
    a state's map beside the hotspots. Public facts about a service, not about a child."""

    name: str
    type: str
    district: str
    lat: float
    lon: float


@dataclass
class HotspotMap:
    area: str  # INDIA or a state's name
    window: Window
    cells: list[Cell]
    hotspots: list[Hotspot]
    routes: list[Route]
    unmatched: list[Unmatched]
    suppress_below: int
    regions: list[Shape]  # what is drawn: states (India) or the state's districts
    undated: int = 0
    services: list[ServicePoint] = field(default_factory=list)

    @property
    def level(self) -> str:
        return "state" if self.area == INDIA else "district"

    def cell(self, region: str, kind: str) -> Cell | None:
        return next((c for c in self.cells if c.region == region and c.kind == kind), None)

    def total(self, kind: str, *, previous: bool = False) -> int:
        """The sum of the published cells (a suppressed cell adds nothing: no total reveals it)."""
        values = [c.previous if previous else c.count for c in self.cells if c.kind == kind]
        return sum(v for v in values if v is not None)

    def suppressed_cells(self, kind: str) -> int:
        return sum(1 for c in self.cells if c.kind == kind and c.suppressed)


# --- who sees what in detail ---------------------------------------------------------------


def sees_in_detail(user: UserRow, state: str, district: str = "") -> bool:
    """Whether (state, district) (district "" for a whole state) is inside the user's jurisdiction."""
    scope = SCOPE.get(user.role)
    if scope == "national":
        return True
    if scope == "state":
        mine = resolve_state(user.state or "") or (user.state or "").strip()
        return bool(mine) and (resolve_state(state) or state) == mine
    if scope == "district":
        return bool(district) and in_district(user, state, district)
    return False  # CCI staff: their own children, not a district's figures


def state_names() -> list[str]:
    """The states and union territories a map can be drawn of."""
    return boundaries().state_names()


def home_area(user: UserRow) -> str:
    """The map a user opens first: India for national roles, else the own state."""
    if SCOPE.get(user.role) == "national" or not user.state:
        return INDIA
    return resolve_state(user.state) or user.state


def _published(value: int, detail: bool, k: int) -> int | None:
    return value if detail or value == 0 or value >= k else None


def _change(count: int | None, previous: int | None) -> float | None:
    if count is None or previous is None or previous == 0:
        return None
    return round(100.0 * (count - previous) / previous, 1)


def _complementary(cells: list[Cell], raw: dict[tuple[str, str], int]) -> None:
    """Hide a second figure where one hidden figure could be worked out from the area's total
    (shown on India's map, or in the period before): per kind and per figure (this period, the
    period before, each kind of place), the smallest other published non-zero one outside the
    jurisdiction goes too. ``raw`` holds the true counts of this period (for choosing)."""
    figures: list[tuple[str, object]] = [("count", None), ("previous", None), *(("by_place", p) for p in PLACE_KINDS)]

    def get(c: Cell, field: str, key: object) -> int | None:
        return c.by_place.get(key) if field == "by_place" else getattr(c, field)  # type: ignore[arg-type]

    def hide(c: Cell, field: str, key: object) -> None:
        if field == "by_place":
            c.by_place[key] = None  # type: ignore[index]
        else:
            setattr(c, field, None)
        c.change_pct = None if field in ("count", "previous") else c.change_pct

    for kind in KINDS:
        mine = [c for c in cells if c.kind == kind]
        for name, key in figures:
            if sum(1 for c in mine if get(c, name, key) is None) != 1:
                continue
            others = [c for c in mine if get(c, name, key) and not c.detail]
            if others:
                hide(min(others, key=lambda c: (get(c, name, key), raw[(c.region, kind)], c.region)), name, key)


# --- the map ---------------------------------------------------------------------------------


def _region_of(area: str, state: str, district: str, city: str) -> tuple[Shape | None, str]:
    """(shape, state name) a record's place falls in on this map; shape None when unmatched."""
    state_name = resolve_state(state) if state else None
    if not state_name and district:  # a district unique in India names its state
        place = resolve_district(district)
        state_name = place.state if place else None
    state_name = state_name or state.strip()
    if area == INDIA:
        return state_shape(state_name) if state_name else None, state_name
    if state_name != area:
        return None, state_name
    shape = district_shape(state_name, district) or (district_shape(state_name, city) if city else None)
    return shape, state_name


def build_map(*, session: Session, user: UserRow, area: str, window: Window, suppress_below: int = 3) -> HotspotMap:
    """Counts, changes, hotspots, routes and unmatched names for ``area`` (INDIA or a state) as ``user`` may see them.

    Raises:
        MapRefused: an unknown state.

    Example:
        >>> m = build_map(session=s, user=u, area="Bihar", window=Window.of(None, None))  # doctest: +SKIP
        >>> m.cell("Patna", "missing").count  # doctest: +SKIP
    """
    k = max(1, suppress_below)
    if area != INDIA:
        shape = state_shape(area)
        if shape is None:
            raise MapRefused(f"no state or union territory named {area!r}")
        area = shape.name
    regions = list(boundaries().states.values()) if area == INDIA else boundaries().districts_of(area)
    region_names = {s.name for s in regions}
    counts: dict[tuple[str, str, str], int] = Counter()  # (region, kind, "now"/"before") → n
    by_place: dict[tuple[str, str], Counter] = defaultdict(Counter)
    unmatched: dict[tuple[str, str], int] = Counter()
    grid: dict[tuple[int, int, str], Counter] = defaultdict(Counter)
    grid_where: dict[tuple[int, int, str], tuple[str, str]] = {}
    previous = window.previous
    since, until = previous.start, window.end + dt.timedelta(days=1)
    states = None  # India: every record; a state: only the names its records are stored under (Orissa is Odisha; "" by district)
    if area != INDIA:
        states = [s for s in stored_states(session=session, since=since, until=until) if not s or (resolve_state(s) or s.strip()) == area]
    for p in iter_record_places(session=session, since=since, until=until, states=states):
        if p.kind not in KINDS:
            continue
        shape, state_name = _region_of(area, p.state, p.district, p.city)
        now = window.holds(p.date)
        if shape is None:
            in_area = area == INDIA or state_name == area
            if in_area and now:
                unmatched[(p.state or "—", (p.district or p.city or "—") if area != INDIA else "")] += 1
            continue
        region = shape.name if shape.name in region_names else ""
        if not region:
            continue
        counts[(region, p.kind, "now" if now else "before")] += 1
        if not now:
            continue
        kind_of_place = place_kind(p.address, p.city)
        by_place[(region, p.kind)][kind_of_place] += 1
        detail_district = region if area != INDIA else (p.district or "")
        if p.lat is not None and p.lon is not None and sees_in_detail(user, state_name, detail_district):
            cell = (int(p.lat // GRID_DEG), int(p.lon // GRID_DEG), p.kind)
            grid[cell][kind_of_place] += 1
            in_district = district_shape(state_name, p.district) if area == INDIA else None
            grid_where[cell] = (state_name, region if area != INDIA else (in_district.name if in_district else p.district))
    cells: list[Cell] = []
    raw: dict[tuple[str, str], int] = {}
    for shape in regions:
        state_name, district = (shape.name, "") if area == INDIA else (area, shape.name)
        detail = sees_in_detail(user, state_name, district)
        for kind in KINDS:
            now, before = counts[(shape.name, kind, "now")], counts[(shape.name, kind, "before")]
            raw[(shape.name, kind)] = now
            shown_now, shown_before = _published(now, detail, k), _published(before, detail, k)
            places = by_place[(shape.name, kind)]
            cells.append(Cell(state_name, district, kind, shown_now, shown_before, _change(shown_now, shown_before),
                              {pk: _published(places[pk], detail, k) for pk in PLACE_KINDS}, detail))  # fmt: skip
    _complementary(cells, raw)
    hotspots = [
        Hotspot(round((la + 0.5) * GRID_DEG, 3), round((lo + 0.5) * GRID_DEG, 3), kind, sum(c.values()), c.most_common(1)[0][0],
                *grid_where[(la, lo, kind)])
        for (la, lo, kind), c in sorted(grid.items())
    ]  # fmt: skip
    unmatched_rows = [
        Unmatched(state, district, _published(n, sees_in_detail(user, state, district), k))
        for (state, district), n in sorted(unmatched.items())
    ]
    return HotspotMap(area, window, cells, hotspots, _routes(session=session, user=user, area=area, window=window, k=k),
                      unmatched_rows, k, regions, count_undated(session=session),
                      services=_services(session=session, area=area))  # fmt: skip


def _services(*, session: Session, area: str, limit: int = 3000) -> list[ServicePoint]:
    """The directory's entries of a state that carry coordinates (India's map would drown in them)."""
    if area == INDIA:
        return []
    from search_api.directory.service import search

    return [
        ServicePoint(e.name, e.type, e.district, e.lat, e.lon)
        for e in search(session=session, state=area, limit=limit)
        if e.lat is not None and e.lon is not None
    ]


def _routes(*, session: Session, user: UserRow, area: str, window: Window, k: int) -> list[Route]:
    """District→district (state→state on India's map) flows of confirmed pairs whose child was
    found in the window; a flow with either end in the jurisdiction is exact, others suppressed below k."""
    rows = session.execute(
        select(ReviewPairRow.found_key, ReviewPairRow.missing_state, ReviewPairRow.missing_district, ReviewPairRow.found_state,
               ReviewPairRow.found_district).where(ReviewPairRow.status == "confirmed")
    ).all()  # fmt: skip
    found_on = record_dates(session=session, keys=[r[0] for r in rows])
    flows: Counter = Counter()
    detail: dict[tuple, bool] = {}
    for found_key, m_state, m_district, f_state, f_district in rows:
        day = found_on.get(found_key)
        if day is None or not window.holds(day):
            continue
        ends = []
        for state, district in ((m_state, m_district), (f_state, f_district)):
            state_name = resolve_state(state) or state
            if area == INDIA:
                ends.append((state_name, state_name))
            else:
                shape = district_shape(state_name, district)
                ends.append((state_name, shape.name if shape else district))
        if area != INDIA and area not in (ends[0][0], ends[1][0]):
            continue
        key = (*ends[0], *ends[1])
        flows[key] += 1
        mine = any(sees_in_detail(user, s, "" if area == INDIA else d) for (s, d) in ((m_state, m_district), (f_state, f_district)))
        detail[key] = detail.get(key, False) or mine
    out = [Route(fs, fr, ts, tr, _published(n, detail[(fs, fr, ts, tr)], k), detail[(fs, fr, ts, tr)])
           for (fs, fr, ts, tr), n in flows.items()]  # fmt: skip
    return sorted(out, key=lambda r: (-(r.count or 0), r.from_state, r.from_region, r.to_state, r.to_region))


CSV_COLUMNS = ("section", "state", "district", "to_state", "to_district", "kind", "place", "count", "previous", "change_pct", "note")


def map_rows(m: HotspotMap) -> list[dict[str, object]]:
    """The map as rows for CSV: one per cell, per (cell, kind of place), hotspot, route and unmatched name.
    A suppressed figure is written as empty with the note 'fewer than k'."""
    hidden = f"fewer than {m.suppress_below}"
    rows: list[dict[str, object]] = []
    for c in m.cells:
        rows.append({"section": "region", "state": c.state, "district": c.district, "kind": c.kind, "count": c.count,
                     "previous": c.previous, "change_pct": c.change_pct, "note": hidden if c.suppressed else ""})  # fmt: skip
        for place, n in c.by_place.items():
            if n != 0:
                rows.append({"section": "place", "state": c.state, "district": c.district, "kind": c.kind, "place": place, "count": n,
                             "note": hidden if n is None else ""})  # fmt: skip
    for h in m.hotspots:
        rows.append({"section": "hotspot", "state": h.state, "district": h.district, "kind": h.kind, "place": h.place, "count": h.count,
                     "note": f"cluster at {h.lat:.3f},{h.lon:.3f} (~5 km grid)"})  # fmt: skip
    for r in m.routes:
        rows.append({"section": "route", "state": r.from_state, "district": r.from_region, "to_state": r.to_state,
                     "to_district": r.to_region, "count": r.count, "note": hidden if r.count is None else ""})  # fmt: skip
    for u in m.unmatched:
        rows.append({"section": "unmatched", "state": u.state, "district": u.district, "count": u.count,
                     "note": "no boundary matches this name" + (f"; {hidden}" if u.count is None else "")})  # fmt: skip
    return rows
