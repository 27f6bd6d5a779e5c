from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class ActionCreate(BaseModel):
    """One entry of a missing report's police action log (who and when are the server's)."""

    action: str = Field(description="fir_registered, photo_circulated, cctns_checked, places_searched, hospitals_contacted or other")
    fir_number: str = Field(default="", max_length=64, description="fir_registered: the FIR number")
    fir_date: str = Field(default="", max_length=10, description="fir_registered: the FIR's date, YYYY-MM-DD")
    details: str = Field(default="", max_length=2000, description="places searched, hospitals and shelters contacted, where circulated")
    notes: str = Field(default="", max_length=2000)


class ActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    record_key: str
    action: str
    fir_number: str
    fir_date: dt.date | None
    details: str
    notes: str
    username: str
    role: str
    unit_code: str
    created_at: dt.datetime


class AreaRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    state: str
    district: str
    nowhere: bool
    level: str
    label: str


class BarRead(BaseModel):
    """One bar; ``list`` is its drill-down (inside the jurisdiction only; None outside)."""

    label: str
    count: int
    list: str | None


class SpreadRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    n: int
    q1: float | None
    median: float | None
    q3: float | None


class PointRead(BaseModel):
    month: str
    reports: int
    traced: int
    share: float | None
    list: str | None


class SeriesRead(BaseModel):
    group: str
    points: list[PointRead]


class DashboardRead(BaseModel):
    area: AreaRead
    access: str = Field(description="full: your jurisdiction, every figure opens its list; aggregate: counts only")
    today: dt.date
    no_action_days: int
    open_total: int
    open_by_days: list[BarRead]
    no_action: list[BarRead]
    backlog: list[BarRead]
    duplicates: list[BarRead]
    report_to_match_days: SpreadRead
    match_to_restoration_days: SpreadRead
    traced_overall: SeriesRead
    traced_by_group: list[SeriesRead]


class ListedReportRead(BaseModel):
    record: dict
    reported_on: dt.date
    days_open: int
    idle_days: int
    last_action_at: dt.datetime | None
    days_to_match: float | None
    days_to_restoration: float | None


class ListedPairRead(BaseModel):
    pk: int
    kind: str = Field(description="pair (review backlog) or duplicate")
    status: str
    score: float
    created_at: dt.datetime
    records: list[dict]


class DrillDownRead(BaseModel):
    figure: str
    area: AreaRead
    total: int
    reports: list[ListedReportRead]
    pairs: list[ListedPairRead]
