"""The ``trackchild`` command: a thin caller of the same services the API uses.

Each command group lives in its own module; this root only assembles them.
"""

from __future__ import annotations

import typer

from search_api.cli import (
    audit,
    bench,
    care,
    citizen,
    db,
    directory,
    faces,
    maps,
    match,
    model,
    monitor,
    notify,
    pfif,
    records,
    restoration,
    serve,
    users,
)

app = typer.Typer(
    help="TrackChild: match missing reports with found children.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
# top-level commands (trackchild ingest, match, serve, ...) come from their group's module
for group in (records, match, serve):
    app.registered_commands.extend(group.app.registered_commands)
app.add_typer(bench.app, name="bench")
app.add_typer(faces.app, name="faces")
app.add_typer(model.app, name="model")
app.add_typer(users.app, name="user")
app.add_typer(audit.app, name="audit")
app.add_typer(db.app, name="db")
app.add_typer(records.retention_app, name="retention")
app.add_typer(restoration.app, name="case")
app.add_typer(notify.app, name="notify")
app.add_typer(care.app, name="care")
app.add_typer(pfif.app, name="pfif")
app.add_typer(directory.app, name="directory")
app.add_typer(citizen.app, name="citizen")
app.add_typer(monitor.app, name="monitor")
app.add_typer(maps.app, name="maps")


def main() -> None:  # pragma: no cover - console entry point
    from search_api.db import SchemaMismatch

    try:
        app()
    except SchemaMismatch as exc:  # the store is at another schema revision than the code
        from search_api.cli.common import console

        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from None
