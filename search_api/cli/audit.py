"""The hash-chained audit trail."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from search_api.cli.common import console, fail, operator_audit, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


@app.command("verify")
def audit_verify(
    checkpoints: Annotated[
        Optional[Path],
        typer.Option(help="Signed checkpoints (JSON lines; default TRACKCHILD_AUDIT_CHECKPOINTS), e.g. copied back from the external log"),
    ] = None,
    public_key: Annotated[
        Optional[Path], typer.Option("--public-key", help="Verifying key (.pub PEM); default: the signing key's .pub")
    ] = None,
) -> None:
    """Check the audit trail's hash chain from the first entry to the head, and against every
    signed checkpoint (a rewritten chain disagrees with them); exit 1 if anything is wrong."""
    from search_api.audit.checkpoint import CheckpointError, load_public_key, read_checkpoints, verify_checkpoints
    from search_api.audit.service import verify
    from search_api.db import create_service_schema

    settings = Settings()
    file = checkpoints or settings.audit_checkpoints_path()
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            report = verify(session=session)
            anchored = None
            if file.exists():
                try:
                    public = load_public_key(public_key or settings.audit_key_path())
                    anchored = verify_checkpoints(session=session, checkpoints=read_checkpoints(file), public=public)
                except CheckpointError as exc:
                    raise fail(str(exc), code=1) from exc
            elif checkpoints is not None:
                raise fail(f"no checkpoint file at {file}", code=1)
    problems = report.problems + (anchored.problems or [] if anchored else [])
    if not problems:
        against = (
            f"; agrees with {anchored.checked} signed checkpoints"
            if anchored
            else "; no signed checkpoints yet ('trackchild audit checkpoint')"
        )
        out.print(f"audit chain intact: {report.entries} entries{against}")
        return
    for problem in problems[:50]:
        console.print(f"[red]{problem}[/red]")
    raise typer.Exit(1)


@app.command("keygen")
def audit_keygen() -> None:
    """Make the Ed25519 key that signs checkpoints (TRACKCHILD_AUDIT_SIGNING_KEY, mode 0600; never overwritten).

    Keep it off the database server's backups of the database, and give the .pub file to
    whoever keeps the external log: they can verify without being able to sign.
    """
    from search_api.audit.checkpoint import CheckpointError, keygen

    path = Settings().audit_key_path()
    try:
        keygen(path)
    except CheckpointError as exc:
        raise fail(str(exc)) from exc
    out.print(f"signing key written to {path} (0600); public key {path}.pub")


@app.command("checkpoint")
def audit_checkpoint(
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the signed checkpoint (for an external log) instead of appending it")
    ] = False,
) -> None:
    """Sign the chain's head (seq, hash, time) and append it to the checkpoint file (JSON lines).

    Schedule it (cron: '*/15 * * * * trackchild audit checkpoint', or a systemd timer) and
    ship the file, or the --print output, somewhere the database's writers cannot reach.
    The key is made on the first run if there is none.
    """
    from search_api.audit.checkpoint import CheckpointError, append_checkpoint, load_key, sign_head
    from search_api.db import create_service_schema

    settings = Settings()
    try:
        key = load_key(settings.audit_key_path(), create=True)
    except CheckpointError as exc:
        raise fail(str(exc)) from exc
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            checkpoint = sign_head(session=session, key=key)
    if print_only:
        sys.stdout.write(json.dumps(checkpoint, sort_keys=True) + "\n")
        return
    append_checkpoint(settings.audit_checkpoints_path(), checkpoint)
    out.print(f"checkpoint of entry {checkpoint['seq']} appended to {settings.audit_checkpoints_path()}")


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
