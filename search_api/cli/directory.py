"""The district service directory: import a CSV (per-row errors), export one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from sqlalchemy import select

from search_api.cli.common import console, fail, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="The district service directory: police stations, CCIs, hospitals, CWC/JJB members, Childline...",
                  no_args_is_help=True)  # fmt: skip
AsUser = Annotated[str, typer.Option("--as", help="Act as this user: the DCPU of a district keeps its own district's entries")]


def _user(session, username: str):  # type: ignore[no-untyped-def]
    from search_api.users.models import UserRow

    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    if user is None:
        raise fail(f"no active user {username!r}")
    return user


@app.command("import")
def directory_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV with a header row (UTF-8)")],
    as_user: AsUser,
) -> None:
    """Load entries: good rows load, each bad row is named by line and field (exit 1 if any was refused)."""
    from search_api.directory import flows
    from search_api.directory.service import DirectoryRefused
    from search_api.policy import PermissionDenied

    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            report = flows.import_csv(session=session, user=_user(session, as_user), data=file.read_bytes(), source="cli")
        except (PermissionDenied, DirectoryRefused) as exc:
            raise fail(f"{file}: {exc}") from exc
        session.commit()
    for problem in report.errors:
        console.print(f"[red]refused[/red] {file}:{problem}")
    for problem in report.warnings:
        console.print(f"[yellow]cleared[/yellow] {file}:{problem}")
    out.print(f"{report.created} created, {report.updated} updated, {len(report.errors)} problems in refused rows, "
              f"{len(report.warnings)} fields cleared")  # fmt: skip
    if report.errors:
        raise typer.Exit(1)


@app.command("export")
def directory_export(
    as_user: AsUser,
    output: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write here (default: standard output)")] = None,
    state: Annotated[str, typer.Option()] = "",
    district: Annotated[str, typer.Option()] = "",
    type_: Annotated[str, typer.Option("--type", help="police_station, cci, hospital, ...")] = "",
) -> None:
    """Write entries as CSV in the import's columns (audited)."""
    from search_api.directory import flows
    from search_api.directory.service import TYPES
    from search_api.policy import PermissionDenied

    if type_ and type_ not in TYPES:
        raise fail(f"--type must be one of {', '.join(TYPES)}")
    with open_resources(Settings()) as res, res.session_factory() as session:
        try:
            body = flows.export_csv(session=session, user=_user(session, as_user), state=state, district=district, type_=type_,
                                    source="cli")  # fmt: skip
        except PermissionDenied as exc:
            raise fail(str(exc)) from exc
        session.commit()
    if output is None:
        typer.echo(body, nl=False)
    else:
        output.write_text(body, encoding="utf-8")
        console.print(f"directory written to {output}")
