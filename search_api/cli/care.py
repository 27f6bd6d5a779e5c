"""Children in care: a CCI's capacity and roll, care-plan goals and care events."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from sqlalchemy import select

from search_api.cli.common import fail, operator_audit, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="Children in care: CCI rolls, care plans, care events.", no_args_is_help=True)
AsUser = Annotated[str, typer.Option("--as", help="Act as this user: their role and unit decide what they see and do")]


def _user(session, username: str):  # type: ignore[no-untyped-def]
    from search_api.users.models import UserRow

    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    if user is None:
        raise fail(f"no active user {username!r}")
    return user


@app.command("cci")
def care_cci(
    code: Annotated[str, typer.Argument(help="The CCI's registration number")],
    capacity: Annotated[int, typer.Option(min=0, help="Sanctioned capacity")],
    state: Annotated[str, typer.Option()],
    district: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()] = "",
) -> None:
    """Register a CCI (or change its capacity): the roll's occupancy is counted against it."""
    from search_api.care import service

    with open_resources(Settings()) as res:
        with res.session_factory() as session:
            service.set_cci(session=session, code=code, name=name, state=state, district=district, capacity=capacity)
            session.commit()
        operator_audit(res, "cci_capacity", [f"cci:{code}"], {"capacity": capacity})
    out.print(f"CCI {code}: capacity {capacity}")


@app.command("roll")
def care_roll(code: Annotated[str, typer.Argument()], as_user: AsUser) -> None:
    """Who is in the CCI's care, since when, next review due; occupancy against capacity."""
    from search_api.care import flows
    from search_api.care.service import CareRefused
    from search_api.policy import PermissionDenied

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            roll = flows.read_roll(session=session, user=_user(session, as_user), code=code, source="cli")
        except (PermissionDenied, CareRefused) as exc:
            raise fail(str(exc)) from exc
        session.commit()
    share = f"{roll.occupancy:.0%}" if roll.occupancy is not None else "capacity not set"
    out.print(f"CCI {roll.code} {roll.name}: {len(roll.children)} in care of {roll.capacity} ({share})")
    for e in roll.children:
        out.print(f"  {e.record_id:<20} since {e.since or '-'}  next review {e.next_review_due or '-'}  {e.setting}")


@app.command("event")
def care_event(
    record_id: Annotated[str, typer.Argument(help="The found child's id")],
    kind: Annotated[str, typer.Option(help="service, cwc_order, review, transfer, foster, sponsorship, after_care")],
    on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    as_user: AsUser,
    detail: Annotated[Optional[list[str]], typer.Option("--detail", help="name=value, repeated")] = None,
    next_review: Annotated[str, typer.Option(help="YYYY-MM-DD (a review sets +3 months by default)")] = "",
) -> None:
    """Record what happened in a child's care (audited)."""
    from search_api.care import flows
    from search_api.care.service import CareRefused
    from search_api.policy import PermissionDenied

    details = dict(item.partition("=")[::2] for item in detail or [])
    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            flows.add_event(session=session, user=_user(session, as_user), record_id=record_id, kind=kind, on=on, details=details,
                            next_review=next_review, source="cli")  # fmt: skip
        except (PermissionDenied, CareRefused) as exc:
            raise fail(str(exc)) from exc
        session.commit()
    out.print(f"{kind} recorded for {record_id}")


@app.command("transfer")
def care_transfer(
    record_id: Annotated[str, typer.Argument(help="The found child's id")],
    to: Annotated[str, typer.Option("--to", help="The receiving CCI's registration number")],
    as_user: AsUser,
    state: Annotated[str, typer.Option(help="The receiving CCI's state, when it is not in the CCI register")] = "",
    district: Annotated[str, typer.Option()] = "",
    order_no: Annotated[str, typer.Option(help="The CWC's transfer order")] = "",
) -> None:
    """Ask for a child's transfer to another CCI (the receiving CCI acknowledges; audited, notified)."""
    from search_api.care import flows
    from search_api.care.service import CareRefused
    from search_api.policy import PermissionDenied

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            row = flows.request_transfer(session=session, user=_user(session, as_user), record_id=record_id, to_code=to, to_state=state,
                                         to_district=district, order_no=order_no, source="cli")  # fmt: skip
        except (PermissionDenied, CareRefused) as exc:
            raise fail(str(exc)) from exc
        session.commit()
        out.print(f"transfer {row.pk}: {record_id} from {row.from_code} to {row.to_code} ({row.to_district}, {row.to_state}) asked")


@app.command("answer")
def care_answer(
    transfer_pk: Annotated[int, typer.Argument(help="The transfer's number")],
    answer: Annotated[str, typer.Argument(help="acknowledge or decline")],
    as_user: AsUser,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """The receiving CCI acknowledges a transfer (the child becomes its) or declines it."""
    from search_api.care import flows
    from search_api.care.service import CareRefused, TransferNotFound
    from search_api.policy import PermissionDenied

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            row = flows.answer_transfer(res=res, session=session, user=_user(session, as_user), transfer_pk=transfer_pk, answer=answer,
                                        note=note, source="cli")  # fmt: skip
        except (PermissionDenied, CareRefused, TransferNotFound) as exc:
            raise fail(str(exc)) from exc
        out.print(f"transfer {row.pk}: {row.status}")
