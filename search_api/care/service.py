"""Children in care: plans, events and rolls. Plain functions; they never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import StoredRecord, get_records_by_keys, iter_records
from search_api.care.models import CareEventRow, CarePlanGoalRow, CciRow
from search_api.db import utcnow
from search_api.policy import PermissionDenied, covers, unit_code_of
from search_api.users.models import UserRow

DOMAINS = ("education", "health", "counselling", "vocational")
SETTINGS = ("institution", "foster", "sponsorship", "after_care")
EVENT_KINDS = ("service", "cwc_order", "review", "transfer", "foster", "sponsorship", "after_care")
REVIEW_EVERY = dt.timedelta(days=90)  # a child's care is reviewed at least every three months


class CareRefused(ValueError):
    pass


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.strip().casefold() == b.strip().casefold()  # type: ignore[union-attr]


def may_keep(user: UserRow, child: StoredRecord) -> bool:
    """The child's own CCI, the CWC and DCPU of its district, admin: they write the care record."""
    record = child.record
    if record.kind != "found":
        return False
    if user.role == "admin":
        return True
    if user.role == "cci":
        return _same(user.unit_code, unit_code_of(record))
    return user.role in ("cwc", "dcpu") and covers(user, record)


def may_read(user: UserRow, child: StoredRecord) -> bool:
    return may_keep(user, child) or (user.role in ("jjb", "state", "central") and covers(user, child.record))


def _date(value: str | dt.date | None, field: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise CareRefused(f"{field}: give a date as YYYY-MM-DD")
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise CareRefused(f"{field}: {value!r} is not a date as YYYY-MM-DD") from exc


def add_goal(*, session: Session, child: StoredRecord, user: UserRow, domain: str, goal: str, start_date: str, target_date: str = "",
             setting: str = "institution") -> CarePlanGoalRow:  # fmt: skip
    if not may_keep(user, child):
        raise PermissionDenied(f"the care record of {child.key} is kept by its CCI and its district's CWC and DCPU")
    if domain not in DOMAINS:
        raise CareRefused(f"domain must be one of {', '.join(DOMAINS)}")
    if setting not in SETTINGS:
        raise CareRefused(f"setting must be one of {', '.join(SETTINGS)}")
    if not goal.strip():
        raise CareRefused("goal: describe the goal")
    row = CarePlanGoalRow(found_key=child.key, domain=domain, goal=goal.strip()[:2000], start_date=_date(start_date, "start_date"),
                          target_date=_date(target_date, "target_date", required=False), setting=setting,
                          created_by=user.username)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def add_event(*, session: Session, child: StoredRecord, user: UserRow, kind: str, on: str, details: dict | None = None,
              next_review: str = "") -> CareEventRow:  # fmt: skip
    if not may_keep(user, child):
        raise PermissionDenied(f"the care record of {child.key} is kept by its CCI and its district's CWC and DCPU")
    if kind not in EVENT_KINDS:
        raise CareRefused(f"kind must be one of {', '.join(EVENT_KINDS)}")
    if kind in ("cwc_order", "review") and user.role not in ("cwc", "admin"):
        raise PermissionDenied(f"a {kind.replace('_', ' ')} is recorded by the CWC")
    day = _date(on, "on")
    assert day is not None
    review = _date(next_review, "next_review", required=False) or (day + REVIEW_EVERY if kind == "review" else None)
    row = CareEventRow(found_key=child.key, kind=kind, on=day, details={k: str(v)[:500] for k, v in (details or {}).items()},
                       next_review=review, recorded_by=user.username, role=user.role)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def care_record(*, session: Session, found_key: str) -> tuple[list[CarePlanGoalRow], list[CareEventRow]]:
    goals = list(session.scalars(select(CarePlanGoalRow).where(CarePlanGoalRow.found_key == found_key).order_by(CarePlanGoalRow.pk)))
    events = list(
        session.scalars(select(CareEventRow).where(CareEventRow.found_key == found_key).order_by(CareEventRow.on, CareEventRow.pk))
    )
    return goals, events


def set_cci(*, session: Session, code: str, name: str, state: str, district: str, capacity: int) -> CciRow:
    if capacity < 0:
        raise CareRefused("capacity cannot be negative")
    row = session.get(CciRow, code) or CciRow(code=code, state=state, district=district)
    row.name, row.state, row.district, row.capacity, row.updated_at = name, state, district, capacity, utcnow()
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class RollEntry:
    found_key: str
    record_id: str
    since: dt.date | None
    next_review_due: dt.date | None
    setting: str


@dataclass(frozen=True)
class Roll:
    code: str
    name: str
    capacity: int
    children: list[RollEntry]

    @property
    def occupancy(self) -> float | None:
        return len(self.children) / self.capacity if self.capacity else None


def roll(*, session: Session, user: UserRow, code: str) -> Roll:
    """Who is in a CCI's care now, since when and when their review is due, against capacity.
    For the CCI itself and its district's CWC and DCPU (ids only: names are on the records)."""
    cci = session.get(CciRow, code)
    children = [
        s for s in iter_records(session=session, kind="found") if _same(unit_code_of(s.record), code) and s.record.status == "in_care"
    ]
    if not children and cci is None:
        raise CareRefused(f"no CCI with registration number {code!r}")
    probe = children[0] if children else None
    allowed = user.role == "admin" or (user.role == "cci" and _same(user.unit_code, code))
    if not allowed and user.role in ("cwc", "dcpu"):
        allowed = (probe is not None and covers(user, probe.record)) or (
            cci is not None and _same(user.state, cci.state) and _same(user.district, cci.district)
        )
    if not allowed:
        raise PermissionDenied(f"the roll of CCI {code} is for the CCI and its district's CWC and DCPU")
    entries = []
    for child in children:
        _goals, events = care_record(session=session, found_key=child.key)
        reviews = [e.next_review for e in events if e.next_review]
        placed = [e.kind for e in events if e.kind in ("foster", "sponsorship", "after_care")]
        since = child.record.date
        due = max(reviews) if reviews else ((since + REVIEW_EVERY) if since else None)
        entries.append(RollEntry(child.key, child.record.id, since, due, placed[-1] if placed else "institution"))
    entries.sort(key=lambda e: (e.next_review_due or dt.date.max, e.record_id))
    return Roll(code, cci.name if cci else "", cci.capacity if cci else 0, entries)


def child_or_raise(*, session: Session, record_id: str) -> StoredRecord:
    from indexer import RecordNotFound

    child = get_records_by_keys(session=session, keys=[f"found:{record_id}"]).get(f"found:{record_id}")
    if child is None:
        raise RecordNotFound("found", record_id)
    return child
