"""The citizen corner at the console: the district's queue of public reports, moderation, notices."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy import select

from search_api.cli.common import console, fail, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="Citizen reports (moderated by the district's DCPU) and public notices of missing children", no_args_is_help=True)
AsUser = Annotated[str, typer.Option("--as", help="Act as this user (the DCPU moderates its district's reports)")]


def _refusals() -> tuple[type[Exception], ...]:
    from search_api.citizen.service import CitizenRefused, NoticeNotFound, ReportNotFound
    from search_api.policy import PermissionDenied

    return (PermissionDenied, CitizenRefused, ReportNotFound, NoticeNotFound)


def _user(session, username: str):  # type: ignore[no-untyped-def]
    from search_api.users.models import UserRow

    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    if user is None:
        raise fail(f"no active user {username!r}")
    return user


@app.command("reports")
def reports(as_user: AsUser, status: Annotated[str, typer.Option(help="pending, accepted or rejected")] = "pending",
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:  # fmt: skip
    """The district's reports, oldest first (held reports show once their delay is over)."""
    from search_api.citizen import flows
    from search_api.citizen.schemas import ReportRead

    if status not in ("pending", "accepted", "rejected"):
        raise fail("--status must be pending, accepted or rejected")
    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            rows = flows.list_queue(session=session, user=_user(session, as_user), status=status, source="cli")
        except _refusals() as exc:
            raise fail(str(exc)) from exc
        session.commit()
        if as_json:
            out.print_json(json.dumps([ReportRead.of(r).model_dump(mode="json") for r in rows], ensure_ascii=False))
            return
        for r in rows:
            out.print(f"{r.pk}\t{r.reference}\t{r.kind}\t{r.district}, {r.state}\t{r.created_at:%Y-%m-%d %H:%M}\t"
                      f"{'photo' if r.photo else '-'}\t{r.status}")  # fmt: skip
        console.print(f"{len(rows)} {status} reports")


@app.command("accept")
def accept(report_pk: int, as_user: AsUser, unit_name: Annotated[str, typer.Option(help="police station or CCI that takes it on")] = "",
           unit_code: Annotated[str, typer.Option(help="its CCTNS code or CCI registration number")] = "") -> None:  # fmt: skip
    """Accept a report: it becomes a record (through the ingest's checks), is indexed, and its matching is queued."""
    from search_api.citizen import flows
    from search_api.fusion.model import load_active
    from search_api.fusion.service import Matcher

    settings = Settings()
    with open_resources(settings) as res, res.session_factory() as session:
        matcher = Matcher(res, load_active(settings.data_dir))
        try:
            done = flows.accept_report(res=res, matcher=matcher, session=session, report_pk=report_pk, user=_user(session, as_user),
                                       unit_name=unit_name, unit_code=unit_code, source="cli")  # fmt: skip
        except _refusals() as exc:
            raise fail(str(exc)) from exc
        session.commit()
        if done.matching == "queued":
            out.print(f"report {done.report.reference} → {done.stored.key}; matching queued (job {done.match_job}: "
                      "'trackchild match --pending --once' or a running server matches it)")  # fmt: skip
        else:
            out.print(f"report {done.report.reference} → {done.stored.key}; {len(done.candidates)} candidates, "
                      f"{done.queued} queued for review")  # fmt: skip
        for w in done.warnings:
            console.print(f"[yellow]cleared[/yellow] {w['field']}: {w['message']}")
        for c in done.candidates[:5]:
            out.print(f"  {c.key}\t{c.score:.3f}")


@app.command("reject")
def reject(report_pk: int, as_user: AsUser, reason: Annotated[str, typer.Option(help="kept with the report")]) -> None:
    """Reject a report with a reason (the report is kept)."""
    from search_api.citizen import flows

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            row = flows.reject_report(session=session, report_pk=report_pk, user=_user(session, as_user), reason=reason, source="cli")
        except _refusals() as exc:
            raise fail(str(exc)) from exc
        session.commit()
        out.print(f"report {row.reference} rejected")


@app.command("notices")
def notices(as_user: AsUser) -> None:
    """Notices of the missing children you may consent for, with who consented and when."""
    from search_api.citizen import flows

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            listed = flows.list_notices_for(session=session, user=_user(session, as_user), source="cli")
        except _refusals() as exc:
            raise fail(str(exc)) from exc
        session.commit()
        for n in listed:
            row = n.notice
            state = ("public" if n.live else "hidden") if row.status == "published" else f"withdrawn ({row.withdrawn_reason})"
            out.print(f"{row.pk}\t{n.record_id}\t{row.guardian_name} ({row.guardian_relation})\t{row.consent_by} "
                      f"{row.consent_at:%Y-%m-%d %H:%M}\t{state}")  # fmt: skip


@app.command("publish")
def publish(record_id: str, as_user: AsUser, guardian_name: Annotated[str, typer.Option()],
            relation: Annotated[str, typer.Option(help="the guardian's relation to the child")],
            how: Annotated[str, typer.Option(help="how consent was given, e.g. 'signed form at Kotwali PS'")],
            photo: Annotated[int, typer.Option(help="which of the record's photos (0 = the first)")] = 0) -> None:  # fmt: skip
    """Record a guardian's consent and publish a notice of a missing child (first name, age, district, one photo)."""
    from search_api.citizen import flows

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            row = flows.publish_notice(session=session, user=_user(session, as_user), record_id=record_id, guardian_name=guardian_name,
                                       guardian_relation=relation, consent_how=how, photo_position=photo, source="cli")  # fmt: skip
        except _refusals() as exc:
            raise fail(str(exc)) from exc
        session.commit()
        out.print(f"notice {row.pk} published: /ui/public/notices ({row.public_id})")


@app.command("withdraw")
def withdraw(notice_pk: int, as_user: AsUser, reason: Annotated[str, typer.Option()] = "consent withdrawn") -> None:
    """Withdraw a notice (a new consent makes a new one)."""
    from search_api.citizen import flows

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            flows.withdraw_notice(session=session, user=_user(session, as_user), notice_pk=notice_pk, reason=reason, source="cli")
        except _refusals() as exc:
            raise fail(str(exc)) from exc
        session.commit()
        out.print(f"notice {notice_pk} withdrawn")
