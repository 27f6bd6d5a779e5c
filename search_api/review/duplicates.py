"""Possible duplicates within one register: flag once, list, decide. They never commit."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from search_api.db import utcnow
from search_api.review.models import DuplicateFlagRow
from search_api.review.service import PairNotFound, evidence_hash, within_area

DUPLICATE_DECISIONS = {"duplicate": "duplicate", "distinct": "distinct", "reopen": "pending"}


def flag(*, session: Session, a, b, score: float, explanation: dict) -> DuplicateFlagRow | None:  # type: ignore[no-untyped-def]
    """Flag two stored records of one register once; returns the row when newly (re)flagged.

    A pair a person called distinct comes back only if either record's evidence changed.
    """
    first, second = sorted((a, b), key=lambda s: s.key)
    evidence = evidence_hash(first.content_hash, second.content_hash)
    row = session.scalar(select(DuplicateFlagRow).where(DuplicateFlagRow.key_a == first.key, DuplicateFlagRow.key_b == second.key))
    if row is None:
        row = DuplicateFlagRow(
            kind=first.record.kind, key_a=first.key, key_b=second.key, score=score, status="pending", evidence_hash=evidence,
            district_a=first.record.place.district, district_b=second.record.place.district,
            state_a=first.record.place.state, state_b=second.record.place.state, explanation=explanation,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row
    if row.status == "duplicate" or (row.status == "distinct" and row.evidence_hash == evidence):
        return None
    reopened = row.status == "distinct"
    row.status = "pending"
    row.score, row.explanation, row.evidence_hash, row.updated_at = score, explanation, evidence, utcnow()
    return row if reopened else None


def _within(stmt, area: tuple[str, str] | None):  # type: ignore[no-untyped-def]
    districts = (DuplicateFlagRow.district_a, DuplicateFlagRow.district_b)
    return within_area(stmt, area, districts=districts, states=(DuplicateFlagRow.state_a, DuplicateFlagRow.state_b))


def list_flags(
    *, session: Session, status: str = "pending", area: tuple[str, str] | None = None, limit: int = 50, offset: int = 0
) -> list[DuplicateFlagRow]:
    stmt = _within(select(DuplicateFlagRow).where(DuplicateFlagRow.status == status), area)
    return list(session.scalars(stmt.order_by(DuplicateFlagRow.score.desc(), DuplicateFlagRow.pk).limit(limit).offset(offset)))


def flags_of(*, session: Session, record_key: str) -> list[DuplicateFlagRow]:
    stmt = select(DuplicateFlagRow).where(or_(DuplicateFlagRow.key_a == record_key, DuplicateFlagRow.key_b == record_key))
    return list(session.scalars(stmt.order_by(DuplicateFlagRow.score.desc())))


def count_pending(*, session: Session, area: tuple[str, str] | None = None) -> int:
    stmt = _within(select(func.count()).select_from(DuplicateFlagRow).where(DuplicateFlagRow.status == "pending"), area)
    return int(session.scalar(stmt) or 0)


def get_or_raise(*, session: Session, flag_pk: int) -> DuplicateFlagRow:
    row = session.get(DuplicateFlagRow, flag_pk)
    if row is None:
        raise PairNotFound(f"no duplicate flag {flag_pk}")
    return row


def decide(*, session: Session, row: DuplicateFlagRow, decision: str, note: str, username: str) -> DuplicateFlagRow:
    row.status = DUPLICATE_DECISIONS[decision]
    row.note, row.decided_by, row.updated_at = note.strip()[:4000], username, utcnow()
    return row
