"""Restoration cases after a confirmed match: list, show, record a step, what is overdue."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from sqlalchemy import select

from search_api.cli.common import fail, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="Restoration cases: steps after a confirmed match.", no_args_is_help=True)
AsUser = Annotated[str, typer.Option("--as", help="Act as this user: their role and units decide what they see and do")]


def _user(session, username: str):  # type: ignore[no-untyped-def]
    from search_api.users.models import UserRow

    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    if user is None:
        raise fail(f"no active user {username!r}")
    return user


@app.command("list")
def case_list(as_user: AsUser, status: Annotated[Optional[str], typer.Option()] = None) -> None:
    """Cases the user sees (one JSON line each)."""
    from search_api.restoration import flows
    from search_api.restoration.schemas import CaseRead

    with open_resources(Settings()) as res, res.session_factory() as session:
        rows = flows.list_cases(session=session, user=_user(session, as_user), status=status, source="cli")
        for row in rows:
            sys.stdout.write(CaseRead.model_validate(row).model_dump_json() + "\n")
        session.commit()


@app.command("show")
def case_show(case_pk: Annotated[int, typer.Argument()], as_user: AsUser) -> None:
    """A case with its steps, due dates and who recorded what."""
    from search_api.policy import PermissionDenied
    from search_api.restoration import flows
    from search_api.restoration.service import CaseNotFound

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            detail = flows.case_detail(session=session, case_pk=case_pk, user=_user(session, as_user), source="cli")
        except (PermissionDenied, CaseNotFound) as exc:
            raise fail(str(exc)) from exc
        session.commit()
        c = detail.case
        out.print(f"case {c.pk} (pair {c.pair_pk}): {c.status}; {c.missing_key} ~ {c.found_key}; order {c.order_type or '-'}")
        for s in detail.steps:
            done = f"done {s.done_at:%Y-%m-%d} by {s.done_by}" if s.done_at else f"due {s.due_at:%Y-%m-%d}"
            docs = detail.documents.get(s.pk, [])
            papers = f"  [{len(docs)} document(s): {', '.join(str(d.pk) for d in docs)}]" if docs else ""
            out.print(f"  {s.step:<18} {done}  {json.dumps(s.fields, ensure_ascii=False) if s.fields else ''}{papers}")
        if detail.may_record:
            out.print(f"you may record: {', '.join(detail.may_record)}")


@app.command("step")
def case_step(
    case_pk: Annotated[int, typer.Argument()],
    step: Annotated[
        str, typer.Argument(help="cwc_order, home_verification, transfer_sent, transfer_received, handover, followup_1m/3m/6m, closure")
    ],
    as_user: AsUser,
    field: Annotated[
        Optional[list[str]], typer.Option("--field", help="name=value, repeated (e.g. --field order_type=restoration)")
    ] = None,
    note: Annotated[str, typer.Option()] = "",
    document: Annotated[
        Optional[list[Path]], typer.Option("--document", help="A PDF or image of the step's papers (checked like a photo), repeated")
    ] = None,
) -> None:
    """Record a step of a case (audited; the case's parties are told when its status moves)."""
    from search_api.policy import PermissionDenied
    from search_api.restoration import flows
    from search_api.restoration.documents import DocumentRejected
    from search_api.restoration.service import CaseNotFound, StepRefused

    fields = {}
    for item in field or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--field {item!r}: write it as name=value")
        fields[name.strip()] = value.strip()
    with open_resources(Settings()) as res, res.session_factory() as session:
        user = _user(session, as_user)
        # the papers first (a closing step would leave no open file to attach to); when the step
        # is then refused, or the commit fails, the files written for it go with the transaction
        try:
            for path in document or []:
                _attach(session, res.settings, case_pk, step, path, user)
            row = flows.record_case_step(session=session, settings=res.settings, case_pk=case_pk, step=step, fields=fields,
                                         notes=note, user=user, source="cli")  # fmt: skip
        except (PermissionDenied, CaseNotFound, StepRefused, DocumentRejected) as exc:
            raise fail(str(exc)) from exc
        session.commit()
        out.print(f"case {case_pk}: {row.step} recorded" + (f" with {len(document)} document(s)" if document else ""))


def _attach(session, settings: Settings, case_pk: int, step: str, path: Path, user):  # type: ignore[no-untyped-def]
    from search_api.restoration import flows
    from search_api.restoration.documents import DocumentRejected

    if not path.is_file():
        raise fail(f"{path}: no such file")
    if path.stat().st_size > settings.max_document_bytes:
        raise DocumentRejected(f"{path.name}: {path.stat().st_size:,} bytes; the limit is {settings.max_document_bytes:,}")
    try:
        return flows.attach_document(session=session, settings=settings, case_pk=case_pk, step=step, data=path.read_bytes(), user=user,
                                     filename=path.name, label=path.stem[:120], source="cli")  # fmt: skip
    except DocumentRejected as exc:
        raise DocumentRejected(f"{path.name}: {exc}") from exc


@app.command("attach")
def case_attach(
    case_pk: Annotated[int, typer.Argument()],
    step: Annotated[str, typer.Argument(help="The step the papers belong to, e.g. cwc_order")],
    path: Annotated[Path, typer.Argument(help="A PDF or image (JPEG, PNG, WEBP)")],
    as_user: AsUser,
) -> None:
    """Attach a document to a step, recorded or not (checked: size, pages, pixels, no scripts)."""
    from search_api.policy import PermissionDenied
    from search_api.restoration.documents import DocumentRejected
    from search_api.restoration.service import CaseNotFound, StepRefused

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:  # a refused or uncommitted attachment keeps no file (it goes with the transaction)
            doc = _attach(session, res.settings, case_pk, step, path, _user(session, as_user))
        except (PermissionDenied, CaseNotFound, StepRefused, DocumentRejected) as exc:
            raise fail(str(exc)) from exc
        session.commit()
        out.print(f"case {case_pk}: {step}: document {doc.pk} ({doc.media_type}, {doc.pages} page(s), sha256 {doc.sha256[:12]}…)")


@app.command("overdue")
def case_overdue(as_user: AsUser) -> None:
    """Overdue review and restoration steps in the user's area, oldest first."""
    from search_api.restoration import flows

    with open_resources(Settings()) as res, res.session_factory() as session:
        for item in flows.list_overdue_for(session=session, settings=res.settings, user=_user(session, as_user)):
            out.print(f"{item.days_overdue:>4} days  {item.subject:<12} {item.step:<18} {item.district}, {item.state}")
