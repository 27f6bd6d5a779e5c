"""Who is told what, and the delivery worker. Services never commit; the worker commits
each delivery on its own (an outbox row is claimed before it is sent, so two workers never
send one message twice)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from search_api.audit.service import Actor, append
from search_api.db import utcnow
from search_api.notifications.channels import Channel, DeliveryFailed, Message
from search_api.notifications.models import ContactRow, DeliveryAttemptRow, InboxRow, OutboxRow
from search_api.policy import PermissionDenied, unit_code_of
from search_api.users.models import UserRow

DISTRICT_ROLES = ("police", "cci", "cwc", "jjb", "dcpu")
MAX_ATTEMPTS = 6


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.strip().casefold() == b.strip().casefold()  # type: ignore[union-attr]


def contact_of(*, session: Session, user_pk: int) -> ContactRow:
    return session.get(ContactRow, user_pk) or ContactRow(
        user_pk=user_pk, email="", phone="", nodal=False, email_enabled=True, sms_enabled=False, daily_digest=False
    )


def set_contact(*, session: Session, user: UserRow, **changes: object) -> ContactRow:
    """Update a user's contact details, nodal flag or channel preferences."""
    row = session.get(ContactRow, user.pk)
    if row is None:
        row = ContactRow(user_pk=user.pk, email="", phone="", nodal=False, email_enabled=True, sms_enabled=False, daily_digest=False)
        session.add(row)
    for name, value in changes.items():
        if value is not None:
            setattr(row, name, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def update_preferences(*, session: Session, user: UserRow, source: str = "", **changes: object) -> ContactRow:
    """One's own contact details and channels (in-app always; email, SMS, daily digest), audited
    with the names of the fields changed (not their values)."""
    before = contact_of(session=session, user_pk=user.pk)
    old = {name: getattr(before, name) for name in changes}
    row = set_contact(session=session, user=user, **changes)
    changed = sorted(name for name, value in changes.items() if value is not None and old.get(name) != value)
    append(session=session, actor=Actor.of(user, source), action="contact_update", targets=[f"user:{user.username}"],
           detail={"changed": changed})  # fmt: skip
    return row


def _active_users(session: Session, *conditions) -> list[UserRow]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(UserRow).where(UserRow.active.is_(True), *conditions)))


def nodal_officers(*, session: Session, state: str, district: str = "") -> list[UserRow]:
    """The nodal officers of a district (district-level users flagged nodal), or with an empty
    district, of the state (state users flagged nodal)."""
    nodal_pks = select(ContactRow.user_pk).where(ContactRow.nodal.is_(True))
    if district:
        users = _active_users(session, UserRow.pk.in_(nodal_pks), UserRow.role.in_(DISTRICT_ROLES))
        return [u for u in users if _same(u.district, district) and _same(u.state, state)]
    return [u for u in _active_users(session, UserRow.pk.in_(nodal_pks), UserRow.role == "state") if _same(u.state, state)]


def units_of(*, session: Session, record) -> list[UserRow]:  # type: ignore[no-untyped-def]
    """The users of the unit that owns a record, by the unit's code: the reporting police
    station of a missing report, the CCI of a found child (same district and state)."""
    code = unit_code_of(record)
    if not code:
        return []
    role = "police" if record.kind == "missing" else "cci"
    place = record.place
    return [u for u in _active_users(session, UserRow.role == role)
            if _same(u.unit_code, code) and _same(u.district, place.district) and _same(u.state, place.state)]  # fmt: skip


def district_officers(*, session: Session, state: str, district: str, roles: Iterable[str]) -> list[UserRow]:
    return [u for u in _active_users(session, UserRow.role.in_(tuple(roles))) if _same(u.district, district) and _same(u.state, state)]


def notify(*, session: Session, users: Iterable[UserRow], event: str, subject_key: str, text: str, link: str) -> int:
    """Queue one notification per user and channel, in the caller's transaction.

    ``text`` must carry ids and places only, never a child's name or photo. Returns rows written.
    """
    written = 0
    seen: set[int] = set()
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        contact = contact_of(session=session, user_pk=user.pk)
        channels = ["in_app"]
        if contact.email and contact.email_enabled:
            channels.append("email")
        if contact.phone and contact.sms_enabled:
            channels.append("sms")
        for channel in channels:
            status = "digest" if channel == "email" and contact.daily_digest else "pending"
            session.add(
                OutboxRow(user_pk=user.pk, channel=channel, event=event, subject_key=subject_key, text=text, link=link, status=status)
            )
            written += 1
    session.flush()
    return written


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _message(session: Session, row: OutboxRow, subject: str) -> Message:
    user = session.get(UserRow, row.user_pk)
    contact = contact_of(session=session, user_pk=row.user_pk)
    return Message(
        user_pk=row.user_pk,
        username=user.username if user else "",
        email=contact.email,
        phone=contact.phone,
        event=row.event,
        subject=subject,
        text=row.text,
        link=row.link,
    )


def deliver_pending(
    *, session_factory: sessionmaker, channels: Mapping[str, Channel], now: dt.datetime | None = None, limit: int = 200
) -> DeliveryReport:
    """Send what is due. Each row is claimed (pending → sending) by compare-and-swap, sent,
    and its attempt recorded; a failure is retried with backoff (2, 4, 8… minutes) up to
    ``MAX_ATTEMPTS`` times, then marked failed."""
    now = now or utcnow()
    report = DeliveryReport()
    with session_factory() as session:
        due = list(
            session.scalars(
                select(OutboxRow.pk)
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.pk)
                .limit(limit)
            )
        )
    for pk in due:
        with session_factory() as session:
            claimed = session.execute(update(OutboxRow).where(OutboxRow.pk == pk, OutboxRow.status == "pending").values(status="sending"))
            if claimed.rowcount != 1:  # another worker took it
                session.rollback()
                continue
            session.commit()
            row = session.get(OutboxRow, pk)
            assert row is not None
            channel = channels.get(row.channel)
            error = ""
            try:
                if channel is None:
                    raise DeliveryFailed(f"no {row.channel} channel is configured")
                channel.send(session=session, message=_message(session, row, subject=f"TrackChild: {row.event.replace('_', ' ')}"))
            except DeliveryFailed as exc:
                error = str(exc)
            row.attempts += 1
            session.add(DeliveryAttemptRow(outbox_pk=row.pk, ok=not error, error=error))
            if not error:
                row.status, row.sent_at, row.last_error = "sent", utcnow(), ""
                report.sent += 1
            elif row.attempts >= MAX_ATTEMPTS:
                row.status, row.last_error = "failed", error
                report.failed += 1
                report.errors.append(f"outbox {row.pk}: {error}")
            else:
                row.status, row.last_error = "pending", error
                row.next_attempt_at = now + dt.timedelta(minutes=2**row.attempts)
                report.retried += 1
                report.errors.append(f"outbox {row.pk}: {error}")
            session.commit()
    return report


def send_digests(*, session_factory: sessionmaker, channels: Mapping[str, Channel]) -> DeliveryReport:
    """One email per user gathering the notifications they asked to receive daily."""
    report = DeliveryReport()
    email = channels.get("email")
    with session_factory() as session:
        rows = list(session.scalars(select(OutboxRow).where(OutboxRow.status == "digest").order_by(OutboxRow.pk)))
        by_user: dict[int, list[OutboxRow]] = defaultdict(list)
        for row in rows:
            by_user[row.user_pk].append(row)
        for user_pk, items in by_user.items():
            first = items[0]
            body = "\n".join(f"- {r.text} {r.link}" for r in items)
            message = _message(session, first, subject=f"TrackChild: daily digest ({len(items)})")
            message = Message(**{**message.__dict__, "text": body, "link": ""})
            error = ""
            try:
                if email is None:
                    raise DeliveryFailed("no email channel is configured")
                email.send(session=session, message=message)
            except DeliveryFailed as exc:
                error = str(exc)
            for r in items:
                r.attempts += 1
                session.add(DeliveryAttemptRow(outbox_pk=r.pk, ok=not error, error=error))
                if not error:
                    r.status, r.sent_at = "sent", utcnow()
            if error:
                report.retried += 1
                report.errors.append(f"digest for user {user_pk}: {error}")
            else:
                report.sent += 1
        session.commit()
    return report


def list_inbox(*, session: Session, user: UserRow, unread_only: bool = False, limit: int = 50) -> list[InboxRow]:
    stmt = select(InboxRow).where(InboxRow.user_pk == user.pk)
    if unread_only:
        stmt = stmt.where(InboxRow.read_at.is_(None))
    return list(session.scalars(stmt.order_by(InboxRow.pk.desc()).limit(limit)))


def unread_count(*, session: Session, user: UserRow) -> int:
    stmt = select(func.count()).select_from(InboxRow).where(InboxRow.user_pk == user.pk, InboxRow.read_at.is_(None))
    return int(session.scalar(stmt) or 0)


def mark_read(*, session: Session, user: UserRow, inbox_pk: int | None = None) -> int:
    """Mark one message (or all) read; only the user's own."""
    stmt = update(InboxRow).where(InboxRow.user_pk == user.pk, InboxRow.read_at.is_(None))
    if inbox_pk is not None:
        stmt = stmt.where(InboxRow.pk == inbox_pk)
    return session.execute(stmt.values(read_at=utcnow())).rowcount or 0


def set_nodal_officer(*, session: Session, actor: UserRow, target: UserRow | None, nodal: bool, source: str = "") -> ContactRow:
    """State users name the nodal officers of their own state; admin anywhere."""
    if target is None:
        raise PermissionDenied("no such user")  # same answer as a user outside one's state: no account oracle
    same_state = bool(actor.state) and actor.state.strip().casefold() == (target.state or "").strip().casefold()
    if not (actor.role == "admin" or (actor.role == "state" and same_state)):
        raise PermissionDenied("nodal officers are named by the state's users (for their state) or an admin")
    row = set_contact(session=session, user=target, nodal=nodal)
    append(
        session=session, actor=Actor.of(actor, source), action="nodal_officer", targets=[f"user:{target.username}"], detail={"nodal": nodal}
    )
    return row
