from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class CellRead(BaseModel):
    state: str
    district: str
    kind: str
    count: int | None  # null: fewer than suppress_below, outside your jurisdiction
    previous: int | None
    change_pct: float | None
    by_place: dict[str, int | None]
    detail: bool


class HotspotRead(BaseModel):
    lat: float
    lon: float
    kind: str
    count: int
    place: str
    state: str
    district: str


class RouteRead(BaseModel):
    from_state: str
    from_region: str
    to_state: str
    to_region: str
    count: int | None
    detail: bool


class UnmatchedRead(BaseModel):
    state: str
    district: str
    count: int | None


class MapRead(BaseModel):
    area: str  # "" is India
    level: str  # "state" (India's map) or "district"
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    suppress_below: int
    cells: list[CellRead]
    hotspots: list[HotspotRead]
    routes: list[RouteRead]
    unmatched: list[UnmatchedRead]
    undated_records: int
    boundaries: dict
