"""Review queue services: enqueue scored pairs, list, decide. They never commit."""

from __future__ import annotations

import hashlib

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from search_api.db import utcnow
from search_api.policy import NOWHERE
from search_api.review.models import ReviewDecisionRow, ReviewPairRow
from search_api.users.models import UserRow

OPEN_STATUSES = ("pending", "need_info")


class ConfirmNeedsReason(ValueError):
    pass


class PairNotFound(LookupError):
    pass


class CannotReopen(ValueError):
    """Only a decided pair (confirmed, rejected or closed) can be reopened, and only with a reason."""


QUEUE_ORDERS = ("score", "least_sure")  # best first; or the pairs the model is least sure of first


def evidence_hash(missing_content_hash: str, found_content_hash: str) -> str:
    return hashlib.sha256(f"{missing_content_hash}:{found_content_hash}".encode()).hexdigest()


def enqueue(
    *,
    session: Session,
    missing_key: str,
    found_key: str,
    score: float,
    explanation: dict,
    evidence: str,
    missing_district: str,
    found_district: str,
    missing_state: str = "",
    found_state: str = "",
) -> ReviewPairRow | None:
    """Put a pair in the queue once. A reviewer's decision always wins: a confirmed, rejected or
    closed pair never re-enters, whatever the model or the records say later (only a person
    reopens it, with ``decide(..., decision="reopen")``).

    Returns the row when the pair newly entered the queue, else None; a pair still waiting
    just gets its new score and explanation.
    """
    row = session.scalar(select(ReviewPairRow).where(ReviewPairRow.missing_key == missing_key, ReviewPairRow.found_key == found_key))
    if row is None:
        row = ReviewPairRow(
            missing_key=missing_key,
            found_key=found_key,
            score=score,
            status="pending",
            evidence_hash=evidence,
            missing_district=missing_district,
            found_district=found_district,
            missing_state=missing_state,
            found_state=found_state,
            explanation=explanation,
        )
        session.add(row)
        session.flush()
        return row
    if row.status not in OPEN_STATUSES:
        return None
    row.score, row.explanation, row.evidence_hash, row.updated_at = score, explanation, evidence, utcnow()
    return None


def within_area(stmt, area: tuple[str, str] | None, *, districts: tuple, states: tuple):  # type: ignore[no-untyped-def]
    """Rows with either child in the area: (state, "") is a whole state, (state, district) one
    district of that state (a district is never matched by its name alone); ``area`` is
    normalised (``policy.review_area``) and ``districts``/``states`` are the two columns
    holding each child's, in the same order."""
    if area is None:
        return stmt
    if NOWHERE in area:
        return stmt.where(false())
    state, district = area
    if district:
        return stmt.where(or_(*(and_(_norm(s) == state, _norm(d) == district) for s, d in zip(states, districts, strict=True))))
    return stmt.where(or_(*(_norm(column) == state for column in states)))


def _norm(column):  # type: ignore[no-untyped-def]
    """A place column as policy compares it: trimmed, lower case (never a LIKE pattern)."""
    return func.lower(func.trim(column))


def _within(stmt, area: tuple[str, str] | None):  # type: ignore[no-untyped-def]
    return within_area(
        stmt,
        area,
        districts=(ReviewPairRow.missing_district, ReviewPairRow.found_district),
        states=(ReviewPairRow.missing_state, ReviewPairRow.found_state),
    )


def list_queue(
    *,
    session: Session,
    status: str = "pending",
    district: str | None = None,
    min_score: float | None = None,
    limit: int = 50,
    offset: int = 0,
    area: tuple[str, str] | None = None,
    order: str = "score",
) -> list[ReviewPairRow]:
    """Pairs by status, best first; ``area`` limits them to a jurisdiction, ``district`` filters further.

    ``order="least_sure"`` puts first the pairs whose score is nearest 0.5, where the model is
    least sure: a decision there teaches the next fit the most (active learning).
    """
    stmt = _within(select(ReviewPairRow).where(ReviewPairRow.status == status), area)
    if district:
        wanted = district.strip().lower()
        stmt = stmt.where(or_(_norm(ReviewPairRow.missing_district) == wanted, _norm(ReviewPairRow.found_district) == wanted))
    if min_score is not None:
        stmt = stmt.where(ReviewPairRow.score >= min_score)
    if order not in QUEUE_ORDERS:
        raise ValueError(f"queue order must be one of {QUEUE_ORDERS}, got {order!r}")
    ranking = func.abs(ReviewPairRow.score - 0.5).asc() if order == "least_sure" else ReviewPairRow.score.desc()
    return list(session.scalars(stmt.order_by(ranking, ReviewPairRow.pk).limit(limit).offset(offset)))


def get_or_raise(*, session: Session, pair_pk: int) -> ReviewPairRow:
    row = session.get(ReviewPairRow, pair_pk)
    if row is None:
        raise PairNotFound(f"no review pair {pair_pk}")
    return row


def get_by_keys_or_raise(*, session: Session, missing_key: str, found_key: str) -> ReviewPairRow:
    row = session.scalar(select(ReviewPairRow).where(ReviewPairRow.missing_key == missing_key, ReviewPairRow.found_key == found_key))
    if row is None:
        raise PairNotFound(f"no review pair {missing_key} ~ {found_key}")
    return row


def list_pairs_of(*, session: Session, record_key: str) -> list[ReviewPairRow]:
    """Every pair a record is part of, best first."""
    stmt = select(ReviewPairRow).where(or_(ReviewPairRow.missing_key == record_key, ReviewPairRow.found_key == record_key))
    return list(session.scalars(stmt.order_by(ReviewPairRow.score.desc())))


def count_open(*, session: Session, area: tuple[str, str] | None = None) -> int:
    stmt = _within(select(func.count()).select_from(ReviewPairRow).where(ReviewPairRow.status.in_(OPEN_STATUSES)), area)
    return int(session.scalar(stmt) or 0)


def decisions_of(*, session: Session, pair_pk: int) -> list[ReviewDecisionRow]:
    return list(session.scalars(select(ReviewDecisionRow).where(ReviewDecisionRow.pair_pk == pair_pk).order_by(ReviewDecisionRow.pk)))


def decide(*, session: Session, pair: ReviewPairRow, decision: str, note: str, user: UserRow) -> list[ReviewPairRow]:
    """Record a decision. Confirming closes every other open pair of both children.

    Returns the other pairs closed by a confirmation.
    """
    if decision == "confirm" and not note.strip():
        raise ConfirmNeedsReason("confirming a match needs a reason in the note")
    if decision == "reopen":
        if pair.status not in ("confirmed", "rejected", "closed"):
            raise CannotReopen(f"review pair {pair.pk} is {pair.status}: only a decided pair can be reopened")
        if not note.strip():
            raise CannotReopen("reopening a decided pair needs a reason in the note")
    session.add(ReviewDecisionRow(pair_pk=pair.pk, decision=decision, note=note.strip(), username=user.username, role=user.role))
    pair.status = {"confirm": "confirmed", "reject": "rejected", "need_info": "need_info", "reopen": "pending"}[decision]
    pair.updated_at = utcnow()
    closed: list[ReviewPairRow] = []
    if decision == "confirm":
        others = session.scalars(
            select(ReviewPairRow).where(
                ReviewPairRow.pk != pair.pk,
                ReviewPairRow.status.in_(OPEN_STATUSES),
                or_(ReviewPairRow.missing_key == pair.missing_key, ReviewPairRow.found_key == pair.found_key),
            )
        )
        for other in others:
            other.status, other.updated_at = "closed", utcnow()
            closed.append(other)
    return closed
