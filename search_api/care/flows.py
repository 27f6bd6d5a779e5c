"""Care work with its audit entries (the API, the pages and the CLI call these)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from indexer import StoredRecord
from search_api.audit.service import Actor, append
from search_api.care import service
from search_api.care.models import CareEventRow, CarePlanGoalRow, CareTransferRow
from search_api.db import utcnow
from search_api.policy import PermissionDenied
from search_api.resources import Resources
from search_api.users.models import UserRow


def read_care(*, session: Session, user: UserRow, record_id: str, source: str = ""):  # type: ignore[no-untyped-def]
    child = service.child_or_raise(session=session, record_id=record_id)
    if not service.may_read(user, child, session=session):
        raise PermissionDenied(f"the care record of {child.key} is not in your jurisdiction")
    append(session=session, actor=Actor.of(user, source), action="care_view", targets=[child.key])
    return child, *service.care_record(session=session, found_key=child.key)


@dataclass
class CarePage:
    """A found child's care as a page or an answer shows it, with what this user may do."""

    child: StoredRecord
    goals: list[CarePlanGoalRow]
    events: list[CareEventRow]
    transfers: list[CareTransferRow]
    may_keep: bool
    may_request_transfer: bool
    may_answer: list[int] = field(default_factory=list)  # transfers this user acknowledges or declines


def care_page(*, session: Session, user: UserRow, record_id: str, source: str = "") -> CarePage:
    child, goals, events = read_care(session=session, user=user, record_id=record_id, source=source)
    transfers = service.transfers_of(session=session, found_key=child.key)
    return CarePage(child, goals, events, transfers, service.may_keep(user, child, session=session),
                    service.may_request_transfer(user, child, session=session),
                    [t.pk for t in transfers if t.status == "requested" and service.may_answer_transfer(user, t)])  # fmt: skip


def add_goal(*, session: Session, user: UserRow, record_id: str, source: str = "", **fields: str) -> CarePlanGoalRow:
    child = service.child_or_raise(session=session, record_id=record_id)
    row = service.add_goal(session=session, child=child, user=user, **fields)
    append(session=session, actor=Actor.of(user, source), action="care_goal", targets=[child.key], detail={"domain": row.domain})
    return row


def add_event(*, session: Session, user: UserRow, record_id: str, kind: str, on: str, details: dict | None = None, next_review: str = "",
              source: str = "") -> CareEventRow:  # fmt: skip
    child = service.child_or_raise(session=session, record_id=record_id)
    row = service.add_event(session=session, child=child, user=user, kind=kind, on=on, details=details, next_review=next_review)
    append(session=session, actor=Actor.of(user, source), action="care_event", targets=[child.key], detail={"kind": kind})
    return row


def read_roll(*, session: Session, user: UserRow, code: str, source: str = "") -> service.Roll:
    roll = service.roll(session=session, user=user, code=code)
    append(
        session=session, actor=Actor.of(user, source), action="care_roll", targets=[f"cci:{code}"], detail={"in_care": len(roll.children)}
    )
    return roll


def roll_transfers(*, session: Session, user: UserRow, code: str) -> list[CareTransferRow]:
    """Transfers into or out of the CCI that this user may see (call after ``read_roll``)."""
    return [t for t in service.transfers_touching(session=session, code=code) if service.may_see_transfer(user, t)]


def transfer_link(found_id: str) -> str:
    return f"/ui/care/children/{found_id}"


def _unit_users(session: Session, *, code: str, state: str, district: str) -> list[UserRow]:
    from search_api.notifications import service as notifications

    ccis = notifications.district_officers(session=session, state=state, district=district, roles=("cci",))
    return [u for u in ccis if service._same(u.unit_code, code)]


def request_transfer(*, session: Session, user: UserRow, record_id: str, to_code: str, to_state: str = "", to_district: str = "",
                     to_name: str = "", order_no: str = "", note: str = "", source: str = "") -> CareTransferRow:  # fmt: skip
    """Ask for a child's transfer to another CCI (audited); the receiving CCI and its district's
    CWC are told at once. The child's CCI changes only when the receiving CCI acknowledges."""
    from search_api.notifications import service as notifications

    child = service.child_or_raise(session=session, record_id=record_id)
    row = service.request_transfer(session=session, child=child, user=user, to_code=to_code, to_state=to_state, to_district=to_district,
                                   to_name=to_name, order_no=order_no, note=note)  # fmt: skip
    append(session=session, actor=Actor.of(user, source), action="care_transfer_request", targets=[child.key, f"transfer:{row.pk}"],
           detail={"from": row.from_code, "to": row.to_code, "to_state": row.to_state, "to_district": row.to_district})  # fmt: skip
    receiving = _unit_users(session, code=row.to_code, state=row.to_state, district=row.to_district)
    receiving += notifications.district_officers(session=session, state=row.to_state, district=row.to_district, roles=("cwc",))
    notifications.notify(session=session, users=receiving, event="transfer_requested", subject_key=f"transfer:{row.pk}",
                         text=f"Transfer {row.pk}: {child.key} from CCI {row.from_code} ({row.from_district}, {row.from_state}) "
                              f"to CCI {row.to_code} awaits the receiving CCI's acknowledgement",
                         link=f"/ui/care/ccis/{row.to_code}/roll")  # fmt: skip
    return row


def answer_transfer(*, res: Resources, session: Session, user: UserRow, transfer_pk: int, answer: str, note: str = "",
                    source: str = "") -> CareTransferRow:  # fmt: skip
    """The receiving CCI acknowledges or declines (audited; the sending side is told). On
    acknowledgement the child's record names the new CCI (through the ingest path, so the
    indexes follow) and its care history gets a transfer event, all in one transaction."""
    from search_api.notifications import service as notifications
    from search_api.records.flows import index_pending

    transfer = service.transfer_or_raise(session=session, transfer_pk=transfer_pk)
    row = service.answer_transfer(session=session, transfer=transfer, user=user, answer=answer, note=note)
    child = service.child_or_raise(session=session, record_id=row.found_key.partition(":")[2])
    if row.status == "acknowledged":
        moved = {**child.record.model_dump(mode="json"), "cci_code": row.to_code, "cci_name": row.to_name or child.record.cci_name}
        report = res.ingestor().stage_records([moved], session=session, source="care", strict=True)
        if not report.ok:
            raise service.CareRefused(f"the record of {child.key} could not name its new CCI: {report.rejected}")
        session.add(CareEventRow(found_key=child.key, kind="transfer", on=utcnow().date(), recorded_by=user.username, role=user.role,
                                 details={"from": row.from_code, "to": row.to_code, "order_no": row.order_no,
                                          "transfer": str(row.pk)}))  # fmt: skip
    append(session=session, actor=Actor.of(user, source), action=f"care_transfer_{answer}", targets=[child.key, f"transfer:{row.pk}"],
           detail={"from": row.from_code, "to": row.to_code, "status": row.status})  # fmt: skip
    sending = _unit_users(session, code=row.from_code, state=row.from_state, district=row.from_district)
    sending += notifications.district_officers(session=session, state=row.from_state, district=row.from_district, roles=("cwc",))
    notifications.notify(session=session, users=sending, event=f"transfer_{row.status}", subject_key=f"transfer:{row.pk}",
                         text=f"Transfer {row.pk}: {child.key} {row.status} by CCI {row.to_code}",
                         link=transfer_link(child.record.id))  # fmt: skip
    session.commit()
    if row.status == "acknowledged":
        index_pending(res)
        session.expire_all()
    return row


def list_ccis(*, session: Session, user: UserRow) -> list[tuple[str, str]]:
    return service.list_ccis_for(session=session, user=user)
