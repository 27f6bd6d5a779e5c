"""``trackchild pfif``: PFIF 1.4 export as a user (role-limited, audited) and the operator's import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from search_api.cli.common import Kind, fail, operator_audit, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="PFIF 1.4 (People Finder Interchange Format): person and note records.", no_args_is_help=True)


@app.command("export")
def export(
    as_user: Annotated[str, typer.Option("--as", help="Export as this user: their role and jurisdiction decide what")],
    out_file: Annotated[Path, typer.Option("--out", help="PFIF 1.4 XML file to write")],
    kind: Annotated[Optional[Kind], typer.Option()] = None,
    domain: Annotated[str, typer.Option(help="The domain in record ids (<domain>/missing.MP-1)")] = "trackchild.in",
    extensions: Annotated[bool, typer.Option(help="Add TrackChild's other fields (tc:field) so nothing is lost")] = True,
) -> None:
    """Every record in a user's jurisdiction as PFIF 1.4, statuses and confirmed matches as notes; audited."""
    from sqlalchemy import select

    from search_api.db import create_service_schema
    from search_api.interchange import export_pfif
    from search_api.policy import PermissionDenied
    from search_api.users.models import UserRow

    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            user = session.scalar(select(UserRow).where(UserRow.username == as_user, UserRow.active.is_(True)))
            if user is None:
                raise fail(f"no active user {as_user!r}")
            try:
                body = export_pfif(session=session, user=user, kind=kind.value if kind else None, source="cli", domain=domain,
                                   extensions=extensions)  # fmt: skip
            except PermissionDenied as exc:
                raise fail(str(exc)) from exc
            out_file.write_bytes(body)
            session.commit()
    out.print(f"exported {body.count(b'<pfif:person>')} person records to {out_file} (audited)")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A PFIF 1.4 XML file")],
    strict: Annotated[bool, typer.Option(help="Refuse the file if it breaks the PFIF 1.4 schema, and rows with any bad field")] = False,
    default_kind: Annotated[Kind, typer.Option("--kind", help="What a person from another repository is here")] = Kind.missing,
    domain: Annotated[str, typer.Option(help="Ids under this domain are ours and map back exactly")] = "trackchild.in",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Load a PFIF 1.4 file through the normal ingest (operator; audited).

    The XML is untrusted: a DTD, entity declarations and external entities are refused. Each
    problem names the person (n-th in the file, and its id) and our field. Exit codes as
    ``trackchild ingest``: 0 loaded, 1 some persons were rejected, 2 the run failed.
    """
    from rich.markup import escape

    from search_api.interchange import PfifError, PfifRefused, import_pfif

    try:
        data = file.read_bytes()
        with open_resources(Settings()) as res:
            with res.index_writer():
                result = import_pfif(ingestor=res.ingestor(), data=data, source=str(file), domain=domain,
                                     default_kind=default_kind.value, strict=strict)  # fmt: skip
            report = result.report
            detail = {"format": "pfif", "persons": result.persons, "notes": result.notes, "created": report.created,
                      "updated": report.updated, "rejected_rows": report.rejected_rows,
                      "schema_errors": len(result.schema_errors)}  # fmt: skip
            operator_audit(res, "ingest", report.changed[:10_000], detail)
    except (PfifError, PfifRefused) as exc:
        raise fail(f"{file.name}: {exc}") from exc
    if as_json:
        out.print_json(data=result.to_json())
    else:
        out.print(f"{result.persons} persons, {result.notes} notes: {report.created} created, {report.updated} updated, "
                  f"{report.unchanged} unchanged, {report.rejected_rows} rejected; {len(report.warnings)} warnings")  # fmt: skip
        for problem in result.schema_errors[:20]:
            out.print(f"[yellow]schema[/yellow] {escape(problem)}", highlight=False)
        for line in result.mapping_warnings[:20]:
            out.print(f"[yellow]mapping[/yellow] {escape(line)}", highlight=False)
        for label, problems in (("[yellow]warning[/yellow]", report.warnings[:20]), ("[red]rejected[/red]", report.rejected[:50])):
            for problem in problems:  # "person N" is the n-th person in the file
                out.print(f"{label} {escape(str(problem).replace('line ', 'person ', 1))}", highlight=False)
        if report.changed:
            out.print(f"{len(report.changed)} records changed: run 'trackchild match --all' to match them")
    if not report.ok:
        raise typer.Exit(1)
