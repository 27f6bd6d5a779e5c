"""Citizen corner work that spans the registers, the matcher, photos, rate limits and the audit
trail: filing a public report, moderating it into a record, and public notices."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import StoredRecord, get_record, get_record_or_raise, get_records_by_keys
from search_api.audit.service import Actor, append
from search_api.citizen import proof, service
from search_api.citizen.models import CitizenReportRow, PublicNoticeRow
from search_api.citizen.service import CitizenRefused, NoticeNotFound, PublicNotice
from search_api.db import utcnow
from search_api.faces.service import check_photo
from search_api.fusion.service import Candidate, Matcher
from search_api.limits import RateLimited, StoreWindow
from search_api.notifications import service as notifications
from search_api.policy import UNIT_CODE_FIELD, UNIT_NAME_FIELD, PermissionDenied, authorize
from search_api.records.flows import ask_for_matching, match_after_filing, store_photo
from search_api.resources import Resources
from search_api.users.models import UserRow

PUBLIC = Actor("public", "public", "public")  # the audit names no citizen and no network address


def _secret(res: Resources) -> bytes:
    return proof.secret_of(Path(res.settings.data_dir) / "citizen_secret")


def challenge(*, res: Resources) -> str:
    """A fresh proof-of-work challenge for the public form."""
    return proof.issue(_secret(res), res.settings.citizen_pow_bits)


@dataclass
class Receipt:
    """What the citizen is told: a reference to quote, whether the report waits, the photo check."""

    reference: str
    held_until: dt.datetime | None
    photo_problems: list[str] = field(default_factory=list)


def submit_report(
    *, res: Resources, session: Session, values: dict[str, object], photo: bytes | None, pow_challenge: str = "", pow_nonce: str = "",
    address: str = "",
) -> Receipt:  # fmt: skip
    """File a public report (no login). Abuse control, in this order: at most
    ``citizen_reports_per_hour`` from one network address (counted by a keyed hash, never kept
    with the report); the form's checks; the proof of work when one is sent (a forged, stale,
    too easy or re-used one is refused), else the report is held for
    ``citizen_unverified_delay_minutes`` before the DCPU sees it; at most
    ``citizen_district_reports_per_hour`` for one district; the photo is checked exactly as a
    record's photo is (a real, bounded image; the face advice).

    Raises:
        RateLimited, CitizenRefused, ProofRefused, ImageRejected, PhotoRejected.
    """
    settings = res.settings
    secret = _secret(res)
    sender = hashlib.sha256(secret + address.encode()).hexdigest()[:24]
    StoreWindow(res.engine, "reports from your network", "citizen-address", settings.citizen_reports_per_hour, 3600).hit(sender)
    draft = service.clean_report({**values, "has_photo": bool(photo)})
    if pow_challenge or pow_nonce:
        max_age = settings.citizen_pow_minutes * 60
        salt = proof.verify(secret, pow_challenge, pow_nonce, min_bits=settings.citizen_pow_bits, max_age_seconds=max_age)
        try:
            StoreWindow(res.engine, "uses of one challenge", "citizen-pow", 1, max_age).hit(salt)
        except RateLimited as exc:
            raise proof.ProofRefused("this proof of work was used already; reload the form") from exc
        kind, visible_after = "work", utcnow()
    else:
        kind, visible_after = "delay", utcnow() + dt.timedelta(minutes=settings.citizen_unverified_delay_minutes)
    district_window = StoreWindow(res.engine, f"reports for {draft.district} just now", "citizen-district",
                                  settings.citizen_district_reports_per_hour, 3600)  # fmt: skip
    district_window.hit(f"{draft.state}|{draft.district}".lower())
    relpath, problems = "", []
    if photo:
        relpath = store_photo(res=res, session=session, data=photo)  # bounds and decoding, as for a record's photo
        problems = [p.code for p in check_photo(res=res, data=photo).problems]
    row = service.create_report(session=session, draft=draft, photo=relpath, photo_problems=problems, proof=kind,
                                visible_after=visible_after)  # fmt: skip
    append(session=session, actor=PUBLIC, action="citizen_report", targets=[f"citizen:{row.pk}"],
           detail={"kind": row.kind, "state": row.state, "district": row.district, "proof": kind, "photo": bool(relpath)})  # fmt: skip
    officers = notifications.district_officers(session=session, state=row.state, district=row.district, roles=("dcpu",))
    notifications.notify(session=session, users=officers, event="citizen_report", subject_key=f"citizen:{row.pk}",
                         text=f"Citizen report {row.reference} ({row.kind}) in {row.district}, {row.state} waits for moderation",
                         link=f"/ui/citizen/reports/{row.pk}")  # fmt: skip
    return Receipt(row.reference, row.visible_after if kind == "delay" else None, problems)


def list_queue(*, session: Session, user: UserRow, status: str = "pending", limit: int = 100, offset: int = 0,
               source: str = "") -> list[CitizenReportRow]:  # fmt: skip
    """The district's reports (police read, the DCPU moderates); the listing is audited."""
    rows = service.list_reports_for(session=session, user=user, status=status, limit=limit, offset=offset)
    append(session=session, actor=Actor.of(user, source), action="citizen_list", targets=[f"citizen:{r.pk}" for r in rows][:200],
           detail={"results": len(rows), "status": status})  # fmt: skip
    return rows


def open_report(*, session: Session, user: UserRow, report_pk: int, source: str = "") -> CitizenReportRow:
    row = service.get_report_for(session=session, user=user, report_pk=report_pk)
    append(session=session, actor=Actor.of(user, source), action="citizen_view", targets=[f"citizen:{row.pk}"])
    return row


def report_photo(*, res: Resources, session: Session, user: UserRow, report_pk: int) -> bytes:
    """A report's photo for those who read the report, re-encoded without its EXIF."""
    row = service.get_report_for(session=session, user=user, report_pk=report_pk)
    if not row.photo or not res.photo_store.has(row.photo):
        raise service.ReportNotFound(f"citizen report {report_pk} has no photo")
    return service.notice_photo_jpeg(res.photo_store.path_of(row.photo))


def record_from_report(row: CitizenReportRow, *, unit_name: str = "", unit_code: str = "") -> dict:
    """The record a report becomes, as text the ingest reads like any register's row."""
    kind = service.RECORD_KIND[row.kind]
    data: dict = {
        "kind": kind, "id": f"CIT-{row.reference}", "name": row.child_name, "sex": row.sex, "age": row.age, "date": row.seen_on,
        "place": {"city": row.place[:500], "district": row.district, "state": row.state}, "description": row.description,
        "photos": [row.photo] if row.photo else [],
    }  # fmt: skip
    if kind == "missing":
        data["reported_by"] = {"name": row.reporter_name, "phone": row.reporter_phone, "relation": row.reporter_relation}
    if unit_code.strip():
        data[UNIT_CODE_FIELD[kind]] = unit_code.strip()
    if unit_name.strip():
        data[UNIT_NAME_FIELD[kind]] = unit_name.strip()
    return data


@dataclass
class Accepted:
    report: CitizenReportRow
    stored: StoredRecord
    candidates: list[Candidate]  # empty when matching is queued
    queued: int | None  # None when matching is queued
    warnings: list[dict]
    matching: str = "done"  # or "queued", with the match job's id
    match_job: int | None = None


def _moderated(session: Session, user: UserRow, report_pk: int) -> CitizenReportRow:
    authorize(user, "citizen_moderate")
    row = service.get_report_or_raise(session=session, report_pk=report_pk, lock=True)
    if not service.may_moderate(user, row):
        raise PermissionDenied(f"citizen report {report_pk} is moderated by the DCPU of {row.district}, {row.state}")
    if row.status != "pending":
        raise CitizenRefused(f"report {row.reference} was {row.status} already")
    if service.is_held(row):
        raise CitizenRefused(
            f"report {row.reference} came without the proof of work and is held until {row.visible_after:%Y-%m-%d %H:%M} UTC"
        )
    return row


def accept_report(
    *, res: Resources, matcher: Matcher, session: Session, report_pk: int, user: UserRow, unit_name: str = "", unit_code: str = "",
    source: str = "",
) -> Accepted:  # fmt: skip
    """The DCPU accepts a report: it becomes a found child (seen) or a missing report, through
    the ingest's tidy path like any register's row (an unreadable age or date is cleared and the
    warning kept on the report), is indexed and matched (by a match job, or now with
    ``match_on_filing = "inline"``); strong pairs enter the review queue.

    The record, the report's decision, the audit entry and the match job commit together; indexes follow.
    """
    row = _moderated(session, user, report_pk)
    data = record_from_report(row, unit_name=unit_name, unit_code=unit_code)
    kind = data["kind"]
    if get_record(session=session, kind=kind, record_id=data["id"]) is not None:
        raise CitizenRefused(f"a {kind} record {data['id']} exists already")
    report = res.ingestor().stage_records([data], session=session, source=f"citizen:{row.reference}", strict=False)
    if not report.ok:
        raise CitizenRefused("; ".join(f"{p.field}: {p.message}" for p in report.rejected))
    stored = get_record_or_raise(session=session, kind=kind, record_id=data["id"])
    warnings = [{"field": w.field, "message": w.message} for w in report.warnings]
    service.decide(row=row, status="accepted", user=user, record_key=stored.key, warnings=warnings)
    append(session=session, actor=Actor.of(user, source), action="citizen_accept", targets=[f"citizen:{row.pk}", stored.key],
           detail={"kind": kind, "warnings": [f"{w['field']}: {w['message']}" for w in warnings]})  # fmt: skip
    ticket = ask_for_matching(res=res, session=session, stored=stored)
    session.commit()
    saved = match_after_filing(res=res, matcher=matcher, session=session, stored=stored, ticket=ticket)
    return Accepted(row, stored, saved.candidates, saved.queued, warnings, saved.matching, saved.match_job)


def reject_report(*, session: Session, report_pk: int, user: UserRow, reason: str, source: str = "") -> CitizenReportRow:
    """The DCPU rejects a report with a reason; the report is kept with it."""
    row = _moderated(session, user, report_pk)
    reason = " ".join(reason.split())[:2000]
    if not reason:
        raise CitizenRefused("say why the report is rejected (kept with it)", "reason")
    service.decide(row=row, status="rejected", user=user, reason=reason)
    append(session=session, actor=Actor.of(user, source), action="citizen_reject", targets=[f"citizen:{row.pk}"], detail={"reason": reason})
    return row


# --- public notices ---------------------------------------------------------------------------


def publish_notice(
    *, session: Session, user: UserRow, record_id: str, guardian_name: str, guardian_relation: str, consent_how: str,
    photo_position: int = 0, source: str = "",
) -> PublicNoticeRow:  # fmt: skip
    """Record the guardian's consent and publish a notice of a missing child (one photo, first
    name, age, district). Only for an open missing report, by its district's police or DCPU (or
    its own station); one published notice per child."""
    authorize(user, "notice_consent")
    stored = get_record_or_raise(session=session, kind="missing", record_id=record_id)
    if not service.may_consent(user, stored.record):
        raise PermissionDenied(f"missing report {record_id} is not of your district or station")
    if stored.record.status != "open":
        raise CitizenRefused(f"missing report {record_id} is {stored.record.status}: no public notice")
    guardian_name, guardian_relation, consent_how = (" ".join(v.split()) for v in (guardian_name, guardian_relation, consent_how))
    for name, value in (("guardian_name", guardian_name), ("guardian_relation", guardian_relation), ("consent_how", consent_how)):
        if not value:
            raise CitizenRefused("required: whose consent, and how it was given", name)
    if service.published_for(session=session, record_key=stored.key) is not None:
        raise CitizenRefused(f"a notice of {record_id} is published already")
    photos = stored.record.photos
    if photos and not 0 <= photo_position < len(photos):
        raise CitizenRefused(f"the record has {len(photos)} photos", "photo_position")
    row = PublicNoticeRow(
        public_id=secrets.token_urlsafe(12), record_key=stored.key, state=stored.record.place.state, district=stored.record.place.district,
        photo=photos[photo_position] if photos else "", guardian_name=guardian_name[:200], guardian_relation=guardian_relation[:100],
        consent_how=consent_how[:500], consent_by=user.username, consent_at=utcnow(), status="published",
    )  # fmt: skip
    session.add(row)
    session.flush()
    append(session=session, actor=Actor.of(user, source), action="notice_publish", targets=[f"notice:{row.pk}", stored.key],
           detail={"guardian_relation": row.guardian_relation, "consent_how": row.consent_how, "photo": bool(row.photo)})  # fmt: skip
    return row


def withdraw_notice(*, session: Session, user: UserRow, notice_pk: int, reason: str, source: str = "") -> PublicNoticeRow:
    """The guardian withdraws consent (or the officer ends the notice); a new consent makes a new notice."""
    authorize(user, "notice_consent")
    row = service.get_notice_or_raise(session=session, notice_pk=notice_pk)
    stored = get_records_by_keys(session=session, keys=[row.record_key]).get(row.record_key)
    if not (user.role == "admin" or (stored is not None and service.may_consent(user, stored.record))):
        raise PermissionDenied(f"public notice {notice_pk} is of another district")
    if row.status != "published":
        raise CitizenRefused(f"public notice {notice_pk} was withdrawn already")
    reason = " ".join(reason.split()) or "consent withdrawn"
    service.withdraw(row, by=user.username, reason=reason)
    append(session=session, actor=Actor.of(user, source), action="notice_withdraw", targets=[f"notice:{row.pk}", row.record_key],
           detail={"reason": reason, "automatic": False})  # fmt: skip
    return row


def withdraw_when_closed(*, session: Session, actor: Actor, record_keys: list[str] | None = None, reason: str = "") -> int:
    """Withdraw every published notice whose child is traced (or beyond) or gone, in the caller's
    transaction: called by a confirmed review decision, a record write and an import. ``record_keys``
    limits the sweep to those children (None: every published notice)."""
    stmt = select(PublicNoticeRow).where(PublicNoticeRow.status == "published")
    if record_keys is not None:
        if not record_keys:
            return 0
        stmt = stmt.where(PublicNoticeRow.record_key.in_(record_keys))
    rows = list(session.scalars(stmt))
    records = get_records_by_keys(session=session, keys=[r.record_key for r in rows])
    withdrawn = 0
    for row in rows:
        stored = records.get(row.record_key)
        status = stored.record.status if stored is not None else "archived"
        if status == "open":
            continue
        why = reason or f"the child is {status}"
        service.withdraw(row, by=actor.username, reason=why)
        append(session=session, actor=actor, action="notice_withdraw", targets=[f"notice:{row.pk}", row.record_key],
               detail={"reason": why, "automatic": True})  # fmt: skip
        withdrawn += 1
    return withdrawn


def list_public_notices(*, session: Session, limit: int = 200) -> list[PublicNotice]:
    """What the public sees: published notices of children still open, newest first. A read
    only: a notice whose child is no longer open is left out even before its withdrawal is written."""
    rows = list(session.scalars(select(PublicNoticeRow).where(PublicNoticeRow.status == "published").order_by(PublicNoticeRow.pk.desc())))
    records = get_records_by_keys(session=session, keys=[r.record_key for r in rows])
    shown = []
    for row in rows:
        stored = records.get(row.record_key)
        if stored is not None and stored.record.kind == "missing" and stored.record.status == "open":
            shown.append(service.public_view(row, stored.record))
    return shown[:limit]


def public_notice_photo(*, res: Resources, session: Session, public_id: str) -> bytes:
    """The one photo of a live notice, re-encoded (no EXIF)."""
    live = {n.public_id for n in list_public_notices(session=session, limit=100_000)}
    row = session.scalar(select(PublicNoticeRow).where(PublicNoticeRow.public_id == public_id))
    if row is None or public_id not in live or not row.photo or not res.photo_store.has(row.photo):
        raise NoticeNotFound("no such notice photo")
    stored = get_records_by_keys(session=session, keys=[row.record_key]).get(row.record_key)
    if stored is None or row.photo not in stored.record.photos:  # the photo was taken off the record since
        raise NoticeNotFound("no such notice photo")
    return service.notice_photo_jpeg(res.photo_store.path_of(row.photo))


@dataclass
class NoticeListed:
    notice: PublicNoticeRow
    record_id: str
    live: bool


def list_notices_for(*, session: Session, user: UserRow, source: str = "") -> list[NoticeListed]:
    """Notices of the children this user may consent for (published first, then withdrawn); audited."""
    authorize(user, "notice_consent")
    rows = list(session.scalars(select(PublicNoticeRow).order_by(PublicNoticeRow.pk.desc()).limit(1000)))
    records = get_records_by_keys(session=session, keys=[r.record_key for r in rows])
    listed = []
    for row in rows:
        stored = records.get(row.record_key)
        if user.role == "admin" or (stored is not None and service.may_consent(user, stored.record)):
            live = row.status == "published" and stored is not None and stored.record.status == "open"
            listed.append(NoticeListed(row, row.record_key.split(":", 1)[1], live))
    listed.sort(key=lambda n: (n.notice.status != "published", -n.notice.pk))
    append(session=session, actor=Actor.of(user, source), action="notice_list", targets=[f"notice:{n.notice.pk}" for n in listed][:200],
           detail={"results": len(listed)})  # fmt: skip
    return listed
