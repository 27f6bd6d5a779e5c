"""Restoration work that spans cases, the registers, the audit trail and notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from search_api.audit.service import Actor, append
from search_api.config import Settings
from search_api.db import utcnow
from search_api.notifications import service as notifications
from search_api.notifications.models import EscalationRow
from search_api.policy import PermissionDenied
from search_api.restoration import service
from search_api.restoration.documents import DocumentStore, check_document
from search_api.restoration.models import RestorationCaseRow, RestorationStepRow, StepDocumentRow
from search_api.review.models import ReviewPairRow
from search_api.users.models import UserRow


def case_link(case_pk: int) -> str:
    return f"/ui/restoration/{case_pk}"


def _parties(session: Session, case: RestorationCaseRow) -> list[UserRow]:
    """Everyone who sees the case: both districts' DCPU and CWC, the station, the CCI."""
    users: list[UserRow] = []
    for state, district in {(case.family_state, case.family_district), (case.care_state, case.care_district)}:
        users += notifications.district_officers(session=session, state=state, district=district, roles=("dcpu", "cwc"))
    users += [u for u in session.scalars(select(UserRow).where(UserRow.active.is_(True), UserRow.role.in_(("police", "cci"))))]
    return [u for u in users if service.sees_case(u, case)]


def on_confirmed(*, session: Session, settings: Settings, pair: ReviewPairRow, missing, found, user: UserRow, source: str = ""):  # type: ignore[no-untyped-def]
    """A confirmed pair opens (or resumes) its restoration case and tells its parties."""
    case = service.open_case(session=session, pair=pair, missing=missing, found=found, overrides=settings.due_days_by_state)
    append(
        session=session,
        actor=Actor.of(user, source),
        action="restoration_open",
        targets=[f"case:{case.pk}", f"pair:{pair.pk}", pair.missing_key, pair.found_key],
        detail={"status": case.status},
    )
    notifications.notify(
        session=session,
        users=_parties(session, case),
        event="case_opened",
        subject_key=f"case:{case.pk}",
        text=f"Restoration case {case.pk} opened: {pair.missing_key} matched {pair.found_key} "
        f"({case.care_district}, {case.care_state} → {case.family_district}, {case.family_state})",
        link=case_link(case.pk),
    )
    return case


@dataclass
class CaseDetail:
    case: RestorationCaseRow
    steps: list[RestorationStepRow]
    may_record: list[str]  # open steps this user may record now
    documents: dict[int, list[StepDocumentRow]] = field(default_factory=dict)  # by step pk
    may_attach: list[str] = field(default_factory=list)  # steps this user may attach documents to


def case_detail(*, session: Session, case_pk: int, user: UserRow, source: str = "") -> CaseDetail:
    case = service.get_or_raise(session=session, case_pk=case_pk)
    if not service.sees_case(user, case):
        raise PermissionDenied(f"restoration case {case_pk} is not one of your units' or districts'")
    append(session=session, actor=Actor.of(user, source), action="case_view", targets=[f"case:{case.pk}", case.missing_key, case.found_key])
    steps = service.steps_of(session=session, case_pk=case.pk)
    open_steps = [s.step for s in steps if s.done_at is None and case.status not in ("suspended", "closed")]
    documents: dict[int, list[StepDocumentRow]] = {}
    for doc in session.scalars(select(StepDocumentRow).where(StepDocumentRow.case_pk == case.pk).order_by(StepDocumentRow.pk)):
        documents.setdefault(doc.step_pk, []).append(doc)
    attach = [s.step for s in steps if case.status != "closed" and s.step in service.STEPS and service.may_record(user, case, s.step)]
    return CaseDetail(case, steps, [name for name in open_steps if service.may_record(user, case, name)], documents, attach)


def attach_document(
    *,
    session: Session,
    settings: Settings,
    case_pk: int,
    step: str,
    data: bytes,
    user: UserRow,
    filename: str = "",
    content_type: str = "",
    label: str = "",
    source: str = "",
) -> StepDocumentRow:
    """Check a PDF or image and attach it to a step of the case (audited).

    The units that record a step attach its papers, before or after the step is recorded;
    a closed case's file is final. Raises ``DocumentRejected`` (what is wrong with the file),
    ``PermissionDenied`` or ``StepRefused``. The file goes again unless ``session``'s transaction
    commits: a step refused after its papers, or a failed commit, leaves no orphan file.
    """
    case = service.get_or_raise(session=session, case_pk=case_pk)
    if not service.sees_case(user, case):
        raise PermissionDenied(f"restoration case {case_pk} is not one of your units' or districts'")
    if step not in service.STEPS:
        raise service.StepRefused(f"unknown step {step!r}: one of {', '.join(service.STEPS)}")
    if not service.may_record(user, case, step):
        raise PermissionDenied(
            f"papers of the {step.replace('_', ' ')} of case {case_pk} are added by {'/'.join(service.STEPS[step].roles)} "
            f"of the {service.STEPS[step].side} district"
        )
    if case.status == "closed":
        raise service.StepRefused(f"restoration case {case.pk} is closed: its file is final")
    rows = [s for s in service.steps_of(session=session, case_pk=case.pk) if s.step == step]
    if not rows:
        raise service.StepRefused(f"{step} is not open yet: it follows an earlier step")
    row = rows[-1]
    checked = check_document(
        data,
        filename=filename,
        content_type=content_type,
        max_bytes=settings.max_document_bytes,
        max_pages=settings.max_document_pages,
        max_pixels=settings.max_document_pixels,
    )
    stored = DocumentStore(settings.data_dir).put(data, checked=checked, session=session)
    doc = StepDocumentRow(case_pk=case.pk, step_pk=row.pk, relpath=stored.relpath, sha256=stored.sha256, media_type=checked.media_type,
                          size_bytes=checked.size_bytes, pages=checked.pages, label=label.strip()[:120], uploaded_by=user.username,
                          role=user.role)  # fmt: skip
    session.add(doc)
    row.documents = [*(row.documents or []), stored.relpath]
    case.updated_at = doc.uploaded_at = utcnow()
    session.flush()
    append(
        session=session,
        actor=Actor.of(user, source),
        action="step_document",
        targets=[f"case:{case.pk}", f"step:{row.pk}", f"document:{doc.pk}", case.missing_key, case.found_key],
        detail={
            "step": step,
            "media_type": checked.media_type,
            "pages": checked.pages,
            "bytes": checked.size_bytes,
            "sha256": stored.sha256,
        },
    )
    return doc


def open_document(*, session: Session, settings: Settings, case_pk: int, document_pk: int, user: UserRow,
                  source: str = "") -> tuple[StepDocumentRow, str, Path]:  # fmt: skip
    """A document of a case for someone who sees the case (audited). Returns the row, the step's
    name and the file."""
    case = service.get_or_raise(session=session, case_pk=case_pk)
    if not service.sees_case(user, case):
        raise PermissionDenied(f"restoration case {case_pk} is not one of your units' or districts'")
    doc = session.get(StepDocumentRow, document_pk) if 0 < document_pk <= service.MAX_PK else None
    if doc is None or doc.case_pk != case.pk:
        raise service.CaseNotFound(f"case {case_pk} has no document {document_pk}")
    step = session.get(RestorationStepRow, doc.step_pk)
    try:
        path = DocumentStore(settings.data_dir).path_of(doc.relpath)
    except LookupError as exc:
        raise service.CaseNotFound(f"document {document_pk} of case {case_pk}: {exc}") from exc
    append(session=session, actor=Actor.of(user, source), action="document_view",
           targets=[f"case:{case.pk}", f"document:{doc.pk}", case.missing_key, case.found_key], detail={"sha256": doc.sha256})  # fmt: skip
    return doc, step.step if step else "", path


def list_cases(*, session: Session, user: UserRow, status: str | None = None, source: str = "") -> list[RestorationCaseRow]:
    rows = service.list_cases_for(session=session, user=user, status=status)
    append(
        session=session,
        actor=Actor.of(user, source),
        action="case_list",
        targets=[f"case:{c.pk}" for c in rows][:200],
        detail={"results": len(rows)},
    )
    return rows


def record_case_step(
    *,
    session: Session,
    settings: Settings,
    case_pk: int,
    step: str,
    fields: dict,
    notes: str,
    user: UserRow,
    documents: list[str] | None = None,
    source: str = "",
) -> RestorationStepRow:
    case = service.get_or_raise(session=session, case_pk=case_pk)
    if not service.sees_case(user, case):
        raise PermissionDenied(f"restoration case {case_pk} is not one of your units' or districts'")
    if step in service.STEPS and not service.may_record(user, case, step):
        raise PermissionDenied(
            f"{step.replace('_', ' ')} of case {case_pk} is recorded by {'/'.join(service.STEPS[step].roles)} "
            f"of the {service.STEPS[step].side} district"
        )
    before = case.status
    row = service.record_step(
        session=session,
        case=case,
        step=step,
        fields=fields,
        notes=notes,
        user=user,
        documents=documents,
        overrides=settings.due_days_by_state,
    )
    append(
        session=session,
        actor=Actor.of(user, source),
        action="restoration_step",
        targets=[f"case:{case.pk}", f"step:{row.pk}", case.missing_key, case.found_key],
        detail={"step": step, "status": case.status, "documents": len(row.documents)},
    )
    if case.status != before:
        notifications.notify(
            session=session,
            users=_parties(session, case),
            event=f"case_{case.status}",
            subject_key=f"case:{case.pk}",
            text=f"Restoration case {case.pk} is now {case.status.replace('_', ' ')} ({step.replace('_', ' ')} recorded)",
            link=case_link(case.pk),
        )
    return row


def _area(user: UserRow) -> tuple[str, str] | None:
    if user.role in ("admin", "central"):
        return None
    if user.role == "state":
        return (user.state, "")
    return (user.state, user.district)


def list_overdue_for(*, session: Session, settings: Settings, user: UserRow, now: dt.datetime | None = None) -> list[service.OverdueItem]:
    """What is overdue in the user's area, oldest first (ids and places only)."""
    area = _area(user)
    items = service.overdue(session=session, now=now, overrides=settings.due_days_by_state)
    if area is None:
        return items
    state, district = area
    if not state:
        return []  # a user without a state sees no area
    return [i for i in items if service._same(i.state, state) and (not district or service._same(i.district, district))]


@dataclass
class EscalationReport:
    district_level: int = 0
    state_level: int = 0


def escalate(*, session: Session, settings: Settings, now: dt.datetime | None = None) -> EscalationReport:
    """Overdue work goes to the district's nodal officers first, then, when it is still
    overdue ``escalate_after_days`` later, to the state's. Each level is sent once."""
    report = EscalationReport()
    for item in service.overdue(session=session, now=now, overrides=settings.due_days_by_state):
        done = set(session.scalars(select(EscalationRow.level).where(EscalationRow.subject_key == item.subject)))
        level = 2 if item.days_overdue >= settings.escalate_after_days and 1 in done else 1
        if level in done:
            continue
        district = item.district if level == 1 else ""
        officers = notifications.nodal_officers(session=session, state=item.state, district=district)
        link = case_link(item.case_pk) if item.case_pk else f"/ui/review/{item.pair_pk}"
        notifications.notify(
            session=session,
            users=officers,
            event="overdue",
            subject_key=item.subject,
            text=f"Overdue {item.days_overdue} days: {item.step.replace('_', ' ')} ({item.subject}) in {item.district}, {item.state}",
            link=link,
        )
        session.add(EscalationRow(subject_key=item.subject, level=level, detail={"officers": len(officers), "days": item.days_overdue}))
        session.flush()
        if level == 1:
            report.district_level += 1
        else:
            report.state_level += 1
    return report
