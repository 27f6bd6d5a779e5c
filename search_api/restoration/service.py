"""Restoration cases and their steps. Plain functions; they never commit.

The steps follow JJ Act practice: the CWC's order; home verification (social investigation
report) by the DCPU of the family's district; escort and hand-over; follow-up visits at 1, 3
and 6 months; closure. A transfer order adds the sending and receiving CCIs' acknowledgements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from search_api.db import as_utc, utcnow
from search_api.policy import unit_code_of
from search_api.restoration.models import RestorationCaseRow, RestorationStepRow
from search_api.review.models import ReviewPairRow
from search_api.users.models import UserRow

ORDER_TYPES = ("restoration", "transfer", "continued_care")
FOLLOW_UPS = {"followup_1m": 30, "followup_3m": 90, "followup_6m": 180}  # days after the hand-over
# days allowed for each step once it falls to someone (a state may set its own: Settings.due_days_by_state)
DEFAULT_DUE_DAYS = {
    "review": 7,
    "cwc_order": 15,
    "home_verification": 15,
    "transfer_sent": 7,
    "transfer_received": 7,
    "handover": 15,
    "closure": 15,
}


class StepRefused(ValueError):
    """The step cannot be recorded now (order, missing fields, wrong outcome); says why."""


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class StepSpec:
    roles: tuple[str, ...]  # who records it
    side: str  # whose district: "family" (the missing report's), "care" (the CCI's), "either"
    required: tuple[str, ...]  # fields that must be given
    choices: Mapping[str, tuple[str, ...]] | None = None
    dates: tuple[str, ...] = ()


STEPS: dict[str, StepSpec] = {
    "cwc_order": StepSpec(("cwc",), "care", ("order_type", "order_no", "order_date"), {"order_type": ORDER_TYPES}, ("order_date",)),
    "home_verification": StepSpec(
        ("dcpu",), "family", ("report_date", "outcome"), {"outcome": ("favourable", "unfavourable")}, ("report_date",)
    ),
    "transfer_sent": StepSpec(("cci",), "care", ("date",), None, ("date",)),
    "transfer_received": StepSpec(("cci", "cwc"), "family", ("date",), None, ("date",)),
    "handover": StepSpec(
        ("cci", "dcpu"), "either", ("date", "escorting_unit", "receiving_person", "relation", "id_document"), None, ("date",)
    ),
    **{
        name: StepSpec(("dcpu",), "family", ("visit_date", "outcome"), {"outcome": ("settled", "concern", "not_found")}, ("visit_date",))
        for name in FOLLOW_UPS
    },
    "closure": StepSpec(("cwc", "dcpu"), "either", ("reason",)),
}
STEP_ORDER = tuple(STEPS)


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.strip().casefold() == b.strip().casefold()  # type: ignore[union-attr]


def _sides(case: RestorationCaseRow, side: str) -> list[tuple[str, str]]:
    family, care = (case.family_state, case.family_district), (case.care_state, case.care_district)
    return {"family": [family], "care": [care], "either": [family, care]}[side]


def _in(user: UserRow, state: str, district: str) -> bool:
    return _same(user.state, state) and _same(user.district, district)


def sees_case(user: UserRow, case: RestorationCaseRow) -> bool:
    """Both districts' DCPU and CWC, the reporting police station and the child's CCI; nobody else."""
    if user.role == "admin":
        return True
    if user.role in ("dcpu", "cwc"):
        return any(_in(user, s, d) for s, d in _sides(case, "either"))
    if user.role == "police":
        return _same(user.unit_code, case.police_station_code) and _in(user, case.family_state, case.family_district)
    if user.role == "cci":
        return _same(user.unit_code, case.cci_code) and _in(user, case.care_state, case.care_district)
    return False


def may_record(user: UserRow, case: RestorationCaseRow, step: str) -> bool:
    spec = STEPS[step]
    if user.role == "admin":
        return True
    if user.role not in spec.roles:
        return False
    if user.role == "cci":
        # the child's own CCI sends; on a transfer, the receiving CCI is the home district's
        if step == "transfer_received":
            return _in(user, case.family_state, case.family_district)
        return _same(user.unit_code, case.cci_code) and _in(user, case.care_state, case.care_district)
    return any(_in(user, s, d) for s, d in _sides(case, spec.side))


def due_days(step: str, *, state: str, overrides: Mapping[str, Mapping[str, int]] | None = None) -> int:
    for name, days in (overrides or {}).items():
        if _same(name, state) and step in days:
            return int(days[step])
    return DEFAULT_DUE_DAYS.get(step, 15)


def _add_step(session: Session, case: RestorationCaseRow, step: str, due_at: dt.datetime) -> RestorationStepRow:
    row = RestorationStepRow(case_pk=case.pk, step=step, due_at=due_at, fields={}, documents=[])
    session.add(row)
    session.flush()
    return row


def open_case(*, session: Session, pair: ReviewPairRow, missing, found, overrides=None) -> RestorationCaseRow:  # type: ignore[no-untyped-def]
    """The case of a confirmed pair (one per pair; re-confirming a reopened pair resumes it)."""
    case = session.scalar(select(RestorationCaseRow).where(RestorationCaseRow.pair_pk == pair.pk))
    if case is not None:
        case.status, case.updated_at = "traced" if case.status == "suspended" else case.status, utcnow()
        return case
    case = RestorationCaseRow(
        pair_pk=pair.pk,
        missing_key=pair.missing_key,
        found_key=pair.found_key,
        family_state=missing.place.state,
        family_district=missing.place.district,
        care_state=found.place.state,
        care_district=found.place.district,
        police_station=missing.police_station,
        cci_name=found.cci_name,
        police_station_code=unit_code_of(missing),
        cci_code=unit_code_of(found),
        status="traced",
    )
    session.add(case)
    session.flush()
    now = utcnow()
    for step, state in (("cwc_order", case.care_state), ("home_verification", case.family_state)):
        _add_step(session, case, step, now + dt.timedelta(days=due_days(step, state=state, overrides=overrides)))
    return case


MAX_PK = 2**31 - 1  # an INTEGER key on PostgreSQL; a larger number names nothing (and must not reach the driver)


def get_or_raise(*, session: Session, case_pk: int) -> RestorationCaseRow:
    case = session.get(RestorationCaseRow, case_pk) if 0 < case_pk <= MAX_PK else None
    if case is None:
        raise CaseNotFound(f"no restoration case {case_pk}")
    return case


def case_of_pair(*, session: Session, pair_pk: int) -> RestorationCaseRow | None:
    return session.scalar(select(RestorationCaseRow).where(RestorationCaseRow.pair_pk == pair_pk))


def steps_of(*, session: Session, case_pk: int) -> list[RestorationStepRow]:
    rows = session.scalars(select(RestorationStepRow).where(RestorationStepRow.case_pk == case_pk))
    return sorted(rows, key=lambda r: (STEP_ORDER.index(r.step) if r.step in STEP_ORDER else 99, r.pk))


def _done(steps: list[RestorationStepRow], name: str) -> RestorationStepRow | None:
    return next((s for s in steps if s.step == name and s.done_at is not None), None)


def _check_fields(step: str, fields: Mapping[str, object]) -> dict:
    spec = STEPS[step]
    clean = {k: str(v).strip() for k, v in fields.items() if v is not None and str(v).strip()}
    missing = [name for name in spec.required if name not in clean]
    if missing:
        raise StepRefused(f"{step}: give {', '.join(missing)}")
    for name, allowed in (spec.choices or {}).items():
        if clean.get(name) not in allowed:
            raise StepRefused(f"{step}: {name} must be one of {', '.join(allowed)} (got {clean.get(name)!r})")
    for name in spec.dates:
        try:
            dt.date.fromisoformat(clean[name])
        except ValueError as exc:
            raise StepRefused(f"{step}: {name} must be a date as YYYY-MM-DD (got {clean[name]!r})") from exc
    return clean


def record_step(
    *,
    session: Session,
    case: RestorationCaseRow,
    step: str,
    fields: Mapping[str, object],
    notes: str,
    user: UserRow,
    documents: list[str] | None = None,
    overrides=None,
) -> RestorationStepRow:  # type: ignore[no-untyped-def]
    """Record a step as done and open the steps it leads to; the case's status follows.

    Raises ``StepRefused`` when the step is not open (wrong order, already done, the case is
    suspended or closed) or a field is missing or wrong.
    """
    if step not in STEPS:
        raise StepRefused(f"unknown step {step!r}: one of {', '.join(STEPS)}")
    if case.status in ("suspended", "closed"):
        raise StepRefused(f"restoration case {case.pk} is {case.status}")
    steps = steps_of(session=session, case_pk=case.pk)
    row = next((s for s in steps if s.step == step and s.done_at is None), None)
    if row is None:
        done = _done(steps, step)
        raise StepRefused(f"{step} is already recorded" if done else f"{step} is not open yet: it follows an earlier step")
    clean = _check_fields(step, fields)
    if step == "handover":
        verification = _done(steps, "home_verification")
        if verification is None or verification.fields.get("outcome") != "favourable":
            raise StepRefused("handover needs a favourable home verification first")
    now = utcnow()
    row.done_at, row.done_by, row.role, row.fields, row.notes = now, user.username, user.role, clean, notes.strip()
    row.documents = list(documents or [])
    case.updated_at = now

    def due(name: str, state: str, start: dt.datetime = now) -> dt.datetime:
        return start + dt.timedelta(days=due_days(name, state=state, overrides=overrides))

    if step == "cwc_order":
        case.order_type = clean["order_type"]
        nxt = {"restoration": "handover", "transfer": "transfer_sent", "continued_care": "closure"}[case.order_type]
        _add_step(session, case, nxt, due(nxt, case.care_state))
    elif step == "transfer_sent":
        _add_step(session, case, "transfer_received", due("transfer_received", case.family_state))
    elif step == "transfer_received":
        _add_step(session, case, "handover", due("handover", case.family_state))
    elif step == "handover":
        case.status = "restored"
        handed = dt.datetime.combine(dt.date.fromisoformat(clean["date"]), dt.time(12), tzinfo=dt.UTC)
        for name, days in FOLLOW_UPS.items():
            _add_step(session, case, name, handed + dt.timedelta(days=days))
    elif step == "followup_6m":
        case.status = "followed_up"
        _add_step(session, case, "closure", due("closure", case.family_state))
    elif step == "closure":
        case.status = "closed"
    session.flush()
    return row


def suspend(*, session: Session, case: RestorationCaseRow) -> None:
    """The match was reopened: the case waits (nothing is deleted)."""
    if case.status != "closed":
        case.status, case.updated_at = "suspended", utcnow()


def list_cases_for(*, session: Session, user: UserRow, status: str | None = None, limit: int = 100) -> list[RestorationCaseRow]:
    stmt = select(RestorationCaseRow)
    if status:
        stmt = stmt.where(RestorationCaseRow.status == status)
    rows = session.scalars(stmt.order_by(RestorationCaseRow.pk.desc()))
    return [c for c in rows if sees_case(user, c)][:limit]


@dataclass(frozen=True)
class OverdueItem:
    subject: str  # step:N or pair:N
    case_pk: int | None
    pair_pk: int | None
    step: str
    state: str
    district: str
    due_at: dt.datetime
    days_overdue: int


def overdue(*, session: Session, now: dt.datetime | None = None, overrides=None) -> list[OverdueItem]:  # type: ignore[no-untyped-def]
    """Every open step past its due date and every pending review pair older than its state's
    review allowance, oldest first. Carries ids and places only."""
    now = now or utcnow()
    items: list[OverdueItem] = []
    stmt = (
        select(RestorationStepRow, RestorationCaseRow)
        .join(RestorationCaseRow, RestorationStepRow.case_pk == RestorationCaseRow.pk)
        .where(RestorationStepRow.done_at.is_(None), RestorationCaseRow.status.notin_(("suspended", "closed")))
    )
    for step, case in session.execute(stmt):
        due_at = as_utc(step.due_at)
        if due_at < now:
            state, district = _sides(case, STEPS[step.step].side)[0]
            items.append(OverdueItem(f"step:{step.pk}", case.pk, case.pair_pk, step.step, state, district, due_at, (now - due_at).days))
    pairs = session.scalars(select(ReviewPairRow).where(ReviewPairRow.status.in_(("pending", "need_info"))))
    for pair in pairs:
        due_at = as_utc(pair.created_at) + dt.timedelta(days=due_days("review", state=pair.found_state, overrides=overrides))
        if due_at < now:
            items.append(
                OverdueItem(f"pair:{pair.pk}", None, pair.pk, "review", pair.found_state, pair.found_district, due_at, (now - due_at).days)
            )
    return sorted(items, key=lambda i: i.due_at)
