"""The append-only, hash-chained audit trail. Services append; nothing updates or deletes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from indexer import insert_for
from search_api.audit.models import AuditEntryRow, AuditHeadRow
from search_api.db import utcnow

GENESIS = "0" * 64
HEAD_PK = 1


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where (a request's client address, or ``cli``)."""

    username: str
    role: str
    source: str = ""
    state: str = ""

    @classmethod
    def of(cls, user: object, source: str = "") -> Actor:
        return cls(user.username, user.role, source, getattr(user, "state", "") or "")  # type: ignore[attr-defined]


def _canonical_time(at: dt.datetime) -> str:
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_digest(*, seq: int, at: dt.datetime, username: str, role: str, actor_state: str, action: str, outcome: str,
                 targets: list, detail: dict, source: str, prev_hash: str) -> str:  # fmt: skip
    body = json.dumps(
        [seq, _canonical_time(at), username, role, actor_state, action, outcome, targets, detail, source, prev_hash],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _start_chain(session: Session) -> None:
    """The chain's head at its genesis, unless another transaction made it meanwhile: two first
    appends on a new store both found no head, and the second one's plain insert failed (a 500)."""
    session.execute(
        insert_for(session)(AuditHeadRow).values(pk=HEAD_PK, seq=0, entry_hash=GENESIS).on_conflict_do_nothing(index_elements=["pk"])
    )


def append(
    *, session: Session, actor: Actor, action: str, targets: list[str] | None = None, detail: dict | None = None, outcome: str = "ok"
) -> AuditEntryRow:
    """Add one entry at the head of the chain (in the caller's transaction)."""
    targets, detail = list(targets or []), dict(detail or {})
    at = utcnow()
    for _attempt in range(20):
        head = session.get(AuditHeadRow, HEAD_PK, populate_existing=True)
        if head is None:
            _start_chain(session)
            continue
        seq, prev = head.seq + 1, head.entry_hash
        fields = dict(username=actor.username, role=actor.role, actor_state=actor.state, action=action, outcome=outcome,
                      targets=targets, detail=detail, source=actor.source, prev_hash=prev)  # fmt: skip
        digest = entry_digest(seq=seq, at=at, **fields)
        # compare-and-swap: only if nobody appended since we read the head
        moved = session.execute(
            update(AuditHeadRow)
            .where(AuditHeadRow.pk == HEAD_PK, AuditHeadRow.entry_hash == prev)
            .values(seq=seq, entry_hash=digest)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            row = AuditEntryRow(seq=seq, at=at, entry_hash=digest, **fields)
            session.add(row)
            session.flush()
            return row
    raise RuntimeError("audit head kept moving; gave up after 20 attempts")


@dataclass
class ChainReport:
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(*, session: Session) -> ChainReport:
    """Walk the chain from the first entry: every hash recomputes, links and numbering hold,
    and the head points at the last entry (so deleting the newest entries shows too)."""
    report = ChainReport()
    prev, expected_seq = GENESIS, 1
    for row in session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)).yield_per(1000):
        report.entries += 1
        if row.seq != expected_seq:
            report.problems.append(f"entry {expected_seq} is missing (next is {row.seq})")
        if row.prev_hash != prev:
            report.problems.append(f"entry {row.seq} does not link to the entry before it")
        digest = entry_digest(seq=row.seq, at=row.at, username=row.username, role=row.role, actor_state=row.actor_state,
                              action=row.action, outcome=row.outcome,
                              targets=row.targets, detail=row.detail, source=row.source, prev_hash=row.prev_hash)  # fmt: skip
        if digest != row.entry_hash:
            report.problems.append(f"entry {row.seq} was altered (its hash does not match its content)")
        prev, expected_seq = row.entry_hash, row.seq + 1
    head = session.get(AuditHeadRow, HEAD_PK)
    if head is not None and (head.seq != expected_seq - 1 or head.entry_hash != prev):
        report.problems.append(f"the chain ends at entry {expected_seq - 1} but the head says {head.seq}: entries were removed")
    return report


def list_entries(
    *,
    session: Session,
    state: str | None = None,
    username: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntryRow]:
    stmt = select(AuditEntryRow)
    if state is not None:
        stmt = stmt.where(AuditEntryRow.actor_state == state)
    if username:
        stmt = stmt.where(AuditEntryRow.username == username)
    if action:
        stmt = stmt.where(AuditEntryRow.action == action)
    if since:
        stmt = stmt.where(AuditEntryRow.at >= since)
    rows = list(session.scalars(stmt.order_by(AuditEntryRow.seq.desc()).limit(limit if not target else 10_000).offset(offset)))
    if target:  # JSON containment differs by dialect; filtering here keeps one code path
        rows = [r for r in rows if target in (r.targets or [])][:limit]
    return rows
