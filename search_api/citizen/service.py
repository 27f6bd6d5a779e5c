"""Citizen reports and public notices: validation, rows, listing. Plain functions; they never commit.

Who sees what (policy ``citizen_queue``, ``citizen_moderate``, ``notice_consent``):

| who                          | reports of a (state, district)         | notices of a missing child of theirs   |
|------------------------------|----------------------------------------|----------------------------------------|
| the public (no login)        | files one; sees only its reference     | first name, age, district, one photo   |
| police of the district       | reads the queue                        | records consent, withdraws             |
| DCPU of the district         | reads, accepts (→ a record), rejects   | records consent, withdraws             |
| admin                        | everywhere                             | everywhere                             |
"""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
from dataclasses import dataclass, field

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import resolve_district, resolve_state
from search_api.citizen.models import CitizenReportRow, PublicNoticeRow
from search_api.db import as_utc, utcnow
from search_api.policy import PermissionDenied, authorize, covers, first_name, in_district
from search_api.users.models import UserRow

KINDS = ("seen", "missing")
RECORD_KIND = {"seen": "found", "missing": "missing"}
SEXES = ("", "M", "F", "X")
LIMITS = {"state": 100, "district": 100, "place": 500, "seen_on": 40, "child_name": 200, "age": 40, "description": 4000,
          "reporter_name": 200, "reporter_phone": 20, "reporter_relation": 100}  # fmt: skip
PHONE = re.compile(r"^[0-9+\- ()]{6,20}$")
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
NOTICE_PHOTO_SIDE = 480


class CitizenRefused(ValueError):
    """A report or a decision that cannot be taken; ``field`` names the form field when there is one."""

    def __init__(self, message: str, field: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class ReportNotFound(LookupError):
    pass


class NoticeNotFound(LookupError):
    pass


@dataclass
class ReportDraft:
    """A public report's fields after the checks that refuse it (what was told, trimmed)."""

    kind: str
    state: str
    district: str
    values: dict[str, str] = field(default_factory=dict)


def clean_report(values: dict[str, object]) -> ReportDraft:
    """Check a public report's fields; raises ``CitizenRefused`` naming the first field to correct.

    The district must be one the gazetteer knows (its DCPU moderates the report), so that no
    report waits in a queue nobody reads. Age, date and sex are read later, at acceptance, by the
    same tidy path as every record (a bad value is then cleared with a warning, never refused).
    """
    text = {name: " ".join(str(values.get(name) or "").split()) for name in LIMITS}
    text["description"] = str(values.get("description") or "").strip()
    kind = str(values.get("kind") or "").strip()
    if kind not in KINDS:
        raise CitizenRefused("choose: a child seen in distress, or a missing child", "kind")
    for name, limit in LIMITS.items():
        if len(text[name]) > limit:
            raise CitizenRefused(f"at most {limit} characters", name)
    if not text["state"]:
        raise CitizenRefused("required: the state where the child was seen or went missing", "state")
    state = resolve_state(text["state"])
    if state is None:
        raise CitizenRefused(f"{text['state']!r} is not a state or union territory of India", "state")
    if not text["district"]:
        raise CitizenRefused("required: the district (its child protection unit reads the report)", "district")
    place = resolve_district(text["district"], state)
    if place is None or place.state != state:
        raise CitizenRefused(f"{text['district']!r} is not a district of {state}", "district")
    sex = str(values.get("sex") or "").strip().upper()[:1]
    if sex not in SEXES:
        raise CitizenRefused("choose boy, girl, other or not known", "sex")
    text["sex"] = sex
    if text["reporter_phone"] and not PHONE.match(text["reporter_phone"]):
        raise CitizenRefused("digits only (with + - ( ) and spaces), 6 to 20 of them", "reporter_phone")
    if kind == "missing":
        if not text["child_name"]:
            raise CitizenRefused("required for a missing child", "child_name")
        if not text["reporter_phone"]:
            raise CitizenRefused("required for a missing child: the police will call you back", "reporter_phone")
    elif not (text["description"] or values.get("has_photo")):
        raise CitizenRefused("say what you saw (or add a photo): what the child looks like, wears, where", "description")
    return ReportDraft(
        kind=kind, state=state, district=place.name, values={k: v for k, v in text.items() if k not in ("state", "district")}
    )


def new_reference(session: Session) -> str:
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        if session.scalar(select(CitizenReportRow.pk).where(CitizenReportRow.reference == reference)) is None:
            return reference


def create_report(*, session: Session, draft: ReportDraft, photo: str, photo_problems: list[str], proof: str,
                  visible_after: dt.datetime) -> CitizenReportRow:  # fmt: skip
    row = CitizenReportRow(
        reference=new_reference(session), kind=draft.kind, state=draft.state, district=draft.district, photo=photo,
        photo_problems=photo_problems, proof=proof, visible_after=visible_after, status="pending", **draft.values,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def is_held(row: CitizenReportRow, now: dt.datetime | None = None) -> bool:
    """Sent without the proof of work and still within its moderation delay."""
    return as_utc(row.visible_after) > (now or utcnow())


def sees_report(user: UserRow, row: CitizenReportRow) -> bool:
    """The police and DCPU of the report's (state, district), and admin."""
    return user.role == "admin" or (user.role in ("police", "dcpu") and in_district(user, row.state, row.district))


def may_moderate(user: UserRow, row: CitizenReportRow) -> bool:
    return user.role == "admin" or (user.role == "dcpu" and in_district(user, row.state, row.district))


def get_report_or_raise(*, session: Session, report_pk: int, lock: bool = False) -> CitizenReportRow:
    """``lock``: held until the transaction ends (PostgreSQL), so that two moderators cannot both decide it."""
    row = session.get(CitizenReportRow, report_pk, with_for_update=lock or None)
    if row is None:
        raise ReportNotFound(f"no citizen report {report_pk}")
    return row


def get_report_for(*, session: Session, user: UserRow, report_pk: int) -> CitizenReportRow:
    """A report this user may read (held reports included: they are shown as held)."""
    authorize(user, "citizen_queue")
    row = get_report_or_raise(session=session, report_pk=report_pk)
    if not sees_report(user, row):
        raise PermissionDenied(f"citizen report {report_pk} is for the police and DCPU of {row.district}, {row.state}")
    return row


def list_reports_for(
    *, session: Session, user: UserRow, status: str = "pending", limit: int = 100, offset: int = 0
) -> list[CitizenReportRow]:
    """Reports of the user's district, oldest first; pending ones only once their delay is over."""
    authorize(user, "citizen_queue")
    stmt = select(CitizenReportRow).where(CitizenReportRow.status == status).order_by(CitizenReportRow.pk)
    if user.role != "admin":
        if not (user.state and user.district):
            return []  # an account from before states were required sees nothing
        # by district name first (indexed), then through the gazetteer's rules (state, old names)
        district = resolve_district(user.district, user.state)
        names = {user.district, district.name} if district is not None else {user.district}
        stmt = stmt.where(CitizenReportRow.district.in_(sorted(names)))
    rows = [r for r in session.scalars(stmt) if sees_report(user, r)]
    if status == "pending":
        rows = [r for r in rows if not is_held(r)]
    return rows[offset : offset + limit]


def decide(
    *, row: CitizenReportRow, status: str, user: UserRow, reason: str = "", record_key: str = "", warnings: list | None = None
) -> None:
    row.status, row.decided_by, row.decided_at = status, user.username, utcnow()
    row.reason, row.record_key, row.warnings = reason, record_key, list(warnings or [])


# --- public notices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicNotice:
    """All the public ever sees of a missing child."""

    public_id: str
    first_name: str
    age: float | None
    district: str
    has_photo: bool

    def to_json(self) -> dict:
        return {"public_id": self.public_id, "first_name": self.first_name, "age": self.age, "district": self.district,
                "photo_url": f"/public/notices/{self.public_id}/photo" if self.has_photo else None}  # fmt: skip


def may_consent(user: UserRow, record: object) -> bool:
    """Police of the child's district or station, the DCPU of its district, admin."""
    if user.role == "admin":
        return True
    if user.role == "police":
        return covers(user, record)
    place = record.place  # type: ignore[attr-defined]
    return user.role == "dcpu" and in_district(user, place.state, place.district)


def published_for(*, session: Session, record_key: str) -> PublicNoticeRow | None:
    return session.scalar(select(PublicNoticeRow).where(PublicNoticeRow.record_key == record_key, PublicNoticeRow.status == "published"))


def notices_of(*, session: Session, record_key: str) -> list[PublicNoticeRow]:
    return list(session.scalars(select(PublicNoticeRow).where(PublicNoticeRow.record_key == record_key).order_by(PublicNoticeRow.pk)))


def get_notice_or_raise(*, session: Session, notice_pk: int) -> PublicNoticeRow:
    row = session.get(PublicNoticeRow, notice_pk)
    if row is None:
        raise NoticeNotFound(f"no public notice {notice_pk}")
    return row


def withdraw(row: PublicNoticeRow, *, by: str, reason: str) -> None:
    row.status, row.withdrawn_by, row.withdrawn_at, row.withdrawn_reason = "withdrawn", by, utcnow(), reason[:500]


def public_view(row: PublicNoticeRow, record: object) -> PublicNotice:
    return PublicNotice(row.public_id, first_name(record.name), record.age, record.place.district, bool(row.photo))  # type: ignore[attr-defined]


def notice_photo_jpeg(path: object) -> bytes:
    """The notice's photo re-encoded: no EXIF (a phone photo may carry where it was taken), bounded size."""
    with Image.open(path) as image:  # type: ignore[arg-type]
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((NOTICE_PHOTO_SIDE, NOTICE_PHOTO_SIDE))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
    return out.getvalue()
