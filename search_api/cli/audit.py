"""The hash-chained audit trail."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from search_api.cli.common import console, operator_audit, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


@app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain from the first entry to the head; exit 1 if broken."""
    from search_api.audit.service import verify
    from search_api.db import create_service_schema

    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            report = verify(session=session)
    if report.ok:
        out.print(f"audit chain intact: {report.entries} entries")
        return
    for problem in report.problems[:50]:
        console.print(f"[red]{problem}[/red]")
    raise typer.Exit(1)


@app.command("list")
def audit_list(
    username: Annotated[Optional[str], typer.Option()] = None,
    action: Annotated[Optional[str], typer.Option()] = None,
    target: Annotated[Optional[str], typer.Option(help="A record key (missing:ID, found:ID) or pair:N")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """The newest audit entries, one JSON object per line."""
    from search_api.audit.service import list_entries
    from search_api.db import create_service_schema

    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            rows = list_entries(session=session, username=username, action=action, target=target, limit=limit)
            for r in rows:
                entry = {"seq": r.seq, "at": r.at.isoformat(), "username": r.username, "role": r.role, "action": r.action,
                         "outcome": r.outcome, "targets": r.targets, "detail": r.detail, "source": r.source}  # fmt: skip
                sys.stdout.write(json.dumps(entry, ensure_ascii=False) + "\n")
        operator_audit(res, "audit_read", [], {"results": len(rows)})
