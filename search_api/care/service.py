"""Children in care: plans, events and rolls. Plain functions; they never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import StoredRecord, get_records_by_keys, iter_records
from search_api.care.models import CareEventRow, CarePlanGoalRow, CareTransferRow, CciRow
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


def _cci_district(user: UserRow, cci: CciRow | None) -> bool:
    return cci is not None and _same(user.state, cci.state) and _same(user.district, cci.district)


def may_keep(user: UserRow, child: StoredRecord, *, session: Session | None = None) -> bool:
    """The child's own CCI, the CWC and DCPU of its district, admin: they write the care record.
    After a transfer to another district, that district's CWC and DCPU too (the CCI's district,
    known from the CCI register when a ``session`` is given)."""
    record = child.record
    if record.kind != "found":
        return False
    if user.role == "admin":
        return True
    if user.role == "cci":
        return _same(user.unit_code, unit_code_of(record))
    if user.role not in ("cwc", "dcpu"):
        return False
    if covers(user, record):
        return True
    return session is not None and _cci_district(user, session.get(CciRow, unit_code_of(record)) if unit_code_of(record) else None)


def may_read(user: UserRow, child: StoredRecord, *, session: Session | None = None) -> bool:
    return may_keep(user, child, session=session) or (user.role in ("jjb", "state", "central") and covers(user, child.record))


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
    if not may_keep(user, child, session=session):
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
    if not may_keep(user, child, session=session):
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
        # in this CCI since its acknowledged transfer in, else since the child came into care
        moved_in = [e.on for e in events if e.kind == "transfer" and _same(str(e.details.get("to", "")), code)]
        since = max(moved_in) if moved_in else child.record.date
        due = max(reviews) if reviews else ((since + REVIEW_EVERY) if since else None)
        entries.append(RollEntry(child.key, child.record.id, since, due, placed[-1] if placed else "institution"))
    entries.sort(key=lambda e: (e.next_review_due or dt.date.max, e.record_id))
    return Roll(code, cci.name if cci else "", cci.capacity if cci else 0, entries)


def list_ccis_for(*, session: Session, user: UserRow) -> list[tuple[str, str]]:
    """The CCIs whose rolls a user opens, as (registration number, name): a CCI its own; the
    CWC and DCPU those of their district (from the CCI register and the children in care)."""
    if user.role == "cci":
        return [(user.unit_code, user.unit or "")] if user.unit_code else []
    if user.role not in ("cwc", "dcpu", "admin"):
        return []
    found: dict[str, str] = {}
    for cci in session.scalars(select(CciRow).order_by(CciRow.code)):
        if user.role == "admin" or _cci_district(user, cci):
            found[cci.code] = cci.name
    for child in iter_records(session=session, kind="found"):
        code = unit_code_of(child.record)
        if code and code not in found and child.record.status == "in_care" and (user.role == "admin" or covers(user, child.record)):
            found[code] = child.record.cci_name
    return sorted(found.items())


# transfers between CCIs (another district or state): asked by the sending side, acknowledged by the receiving CCI
TRANSFER_ANSWERS = ("acknowledge", "decline")


def may_request_transfer(user: UserRow, child: StoredRecord, *, session: Session) -> bool:
    """The child's own CCI, the CWC of its district (whose order moves it), admin."""
    if user.role == "admin":
        return True
    if user.role == "cci":
        return child.record.kind == "found" and _same(user.unit_code, unit_code_of(child.record))
    return user.role == "cwc" and may_keep(user, child, session=session)


def may_answer_transfer(user: UserRow, transfer: CareTransferRow) -> bool:
    """The receiving CCI (by registration number, in its own district and state), admin."""
    if user.role == "admin":
        return True
    return (user.role == "cci" and _same(user.unit_code, transfer.to_code) and _same(user.state, transfer.to_state)
            and _same(user.district, transfer.to_district))  # fmt: skip


def may_see_transfer(user: UserRow, transfer: CareTransferRow) -> bool:
    """Both units and both districts' CWC and DCPU."""
    if may_answer_transfer(user, transfer) or (user.role == "cci" and _same(user.unit_code, transfer.from_code)):
        return True
    sides = ((transfer.from_state, transfer.from_district), (transfer.to_state, transfer.to_district))
    return user.role in ("cwc", "dcpu") and any(_same(user.state, s) and _same(user.district, d) for s, d in sides)


def request_transfer(*, session: Session, child: StoredRecord, user: UserRow, to_code: str, to_state: str = "", to_district: str = "",
                     to_name: str = "", order_no: str = "", note: str = "") -> CareTransferRow:  # fmt: skip
    """Ask the receiving CCI to take the child; nothing about the child changes until it acknowledges."""
    if not may_request_transfer(user, child, session=session):
        raise PermissionDenied(f"a transfer of {child.key} is asked for by its CCI or its district's CWC")
    if child.record.status != "in_care":
        raise CareRefused(f"{child.record.id} is not in care (status {child.record.status})")
    to_code = to_code.strip()
    from_code = unit_code_of(child.record)
    if not to_code:
        raise CareRefused("to_code: give the receiving CCI's registration number")
    if _same(to_code, from_code):
        raise CareRefused(f"to_code: {to_code} is the child's own CCI")
    pending = session.scalar(select(CareTransferRow).where(CareTransferRow.found_key == child.key, CareTransferRow.status == "requested"))
    if pending is not None:
        raise CareRefused(f"transfer {pending.pk} of {child.record.id} is still waiting for {pending.to_code}'s acknowledgement")
    cci = session.get(CciRow, to_code)
    if cci is not None:
        for field, given, known in (("to_state", to_state, cci.state), ("to_district", to_district, cci.district)):
            if given.strip() and not _same(given, known):
                raise CareRefused(f"{field}: CCI {to_code} is in {cci.district}, {cci.state}, not {given!r}")
        to_state, to_district, to_name = cci.state, cci.district, to_name.strip() or cci.name
    elif not (to_state.strip() and to_district.strip()):
        raise CareRefused(f"to_state, to_district: CCI {to_code} is not in the register; give its state and district")
    # the sending side is where the child's CCI is (after an earlier transfer, not where the child was found)
    here = session.get(CciRow, from_code) if from_code else None
    from_state, from_district = (here.state, here.district) if here else (child.record.place.state, child.record.place.district)
    row = CareTransferRow(found_key=child.key, from_code=from_code, from_state=from_state, from_district=from_district,
                          to_code=to_code, to_name=to_name.strip()[:200],
                          to_state=to_state.strip(), to_district=to_district.strip(), order_no=order_no.strip()[:100],
                          status="requested", requested_by=user.username, requested_role=user.role,
                          note=note.strip()[:2000])  # fmt: skip
    session.add(row)
    session.flush()
    return row


def answer_transfer(*, session: Session, transfer: CareTransferRow, user: UserRow, answer: str, note: str = "") -> CareTransferRow:
    """The receiving CCI acknowledges (the child becomes its) or declines (the child stays)."""
    if not may_answer_transfer(user, transfer):
        raise PermissionDenied(f"transfer {transfer.pk} is acknowledged by the receiving CCI {transfer.to_code}")
    if answer not in TRANSFER_ANSWERS:
        raise CareRefused(f"answer must be one of {', '.join(TRANSFER_ANSWERS)}")
    if transfer.status != "requested":
        raise CareRefused(f"transfer {transfer.pk} was already answered ({transfer.status})")
    transfer.status = "acknowledged" if answer == "acknowledge" else "declined"
    transfer.answered_by, transfer.answered_at = user.username, utcnow()
    if note.strip():
        transfer.note = (transfer.note + "\n" if transfer.note else "") + note.strip()[:2000]
    session.flush()
    return transfer


def transfer_or_raise(*, session: Session, transfer_pk: int) -> CareTransferRow:
    row = session.get(CareTransferRow, transfer_pk) if 0 < transfer_pk <= 2**31 - 1 else None  # past INTEGER: no such transfer
    if row is None:
        raise TransferNotFound(f"no transfer {transfer_pk}")
    return row


def transfers_of(*, session: Session, found_key: str) -> list[CareTransferRow]:
    return list(session.scalars(select(CareTransferRow).where(CareTransferRow.found_key == found_key).order_by(CareTransferRow.pk)))


def transfers_touching(*, session: Session, code: str, status: str | None = None) -> list[CareTransferRow]:
    """Transfers into or out of a CCI."""
    stmt = select(CareTransferRow).order_by(CareTransferRow.pk.desc())
    if status:
        stmt = stmt.where(CareTransferRow.status == status)
    return [t for t in session.scalars(stmt) if _same(t.to_code, code) or _same(t.from_code, code)]


class TransferNotFound(LookupError):
    pass


def child_or_raise(*, session: Session, record_id: str) -> StoredRecord:
    from indexer import RecordNotFound

    child = get_records_by_keys(session=session, keys=[f"found:{record_id}"]).get(f"found:{record_id}")
    if child is None:
        raise RecordNotFound("found", record_id)
    return child
