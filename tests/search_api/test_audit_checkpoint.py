"""Signed checkpoints anchor the audit chain: a rewritten, internally consistent chain is caught."""

from __future__ import annotations

import json
import stat

from sqlalchemy import select
from typer.testing import CliRunner

from search_api.audit.models import AuditEntryRow, AuditHeadRow
from search_api.audit.service import HEAD_PK, Actor, append, entry_digest, verify
from search_api.cli import app
from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.resources import open_resources

runner = CliRunner()


def _acts(settings: Settings, n: int) -> None:
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            for i in range(n):
                append(session=session, actor=Actor("officer", "dcpu", "10.0.0.1"), action="record_view", targets=[f"missing:MP-{i}"])
            session.commit()


def _rewrite_from(settings: Settings, seq: int) -> None:
    """What someone with write access to the database can do: edit an entry, then recompute
    every later hash and the head, so the chain is consistent again."""
    with open_resources(settings) as res, res.session_factory() as session:
        rows = list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.seq >= seq).order_by(AuditEntryRow.seq)))
        prev = rows[0].prev_hash
        rows[0].targets = ["missing:SOMEONE-ELSE"]
        for row in rows:
            row.prev_hash = prev
            row.entry_hash = entry_digest(seq=row.seq, at=row.at, username=row.username, role=row.role, actor_state=row.actor_state,
                                          action=row.action, outcome=row.outcome, targets=row.targets, detail=row.detail,
                                          source=row.source, prev_hash=prev)  # fmt: skip
            prev = row.entry_hash
        head = session.get(AuditHeadRow, HEAD_PK)
        head.entry_hash = prev  # type: ignore[union-attr]
        session.commit()
        assert verify(session=session).ok, "the rewrite should fool the hash chain alone"


def test_a_rewritten_chain_disagrees_with_a_signed_checkpoint(settings: Settings) -> None:
    _acts(settings, 5)
    done = runner.invoke(app, ["audit", "checkpoint"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    key = settings.data_dir / "audit_signing_key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and (settings.data_dir / "audit_signing_key.pem.pub").exists()
    lines = (settings.data_dir / "audit_checkpoints.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["seq"] == 5
    _acts(settings, 3)  # the chain grows after the checkpoint: still fine
    ok = runner.invoke(app, ["audit", "verify"], catch_exceptions=False)
    assert ok.exit_code == 0 and "agrees with 1 signed checkpoints" in ok.output, ok.output

    _rewrite_from(settings, 2)
    caught = runner.invoke(app, ["audit", "verify"], catch_exceptions=False)
    assert caught.exit_code == 1 and "entry 5 disagrees with the checkpoint" in caught.output, caught.output


def test_forged_checkpoints_and_removed_entries_are_reported(settings: Settings) -> None:
    _acts(settings, 4)
    printed = runner.invoke(app, ["audit", "checkpoint", "--print"], catch_exceptions=False)
    checkpoint = json.loads(printed.stdout)
    assert checkpoint["seq"] == 4 and checkpoint["signature"]
    assert not (settings.data_dir / "audit_checkpoints.jsonl").exists()  # printed for an external log only
    external = settings.data_dir.parent / "external-log.jsonl"
    forged = {**checkpoint, "entry_hash": "0" * 64}
    external.write_text(json.dumps(checkpoint) + "\n" + json.dumps(forged) + "\n")
    done = runner.invoke(app, ["audit", "verify", "--checkpoints", str(external)], catch_exceptions=False)
    assert done.exit_code == 1 and "checkpoint 2" in done.output and "not signed by this key" in done.output, done.output
    external.write_text(json.dumps(checkpoint) + "\n")
    assert runner.invoke(app, ["audit", "verify", "--checkpoints", str(external)], catch_exceptions=False).exit_code == 0
    # the newest entries removed and the head moved back to match: only the checkpoint knows
    with open_resources(settings) as res, res.session_factory() as session:
        for row in session.scalars(select(AuditEntryRow).where(AuditEntryRow.seq > 2)):
            session.delete(row)
        head = session.get(AuditHeadRow, HEAD_PK)
        last = session.get(AuditEntryRow, 2)
        head.seq, head.entry_hash = 2, last.entry_hash  # type: ignore[union-attr]
        session.commit()
        assert verify(session=session).ok
    done = runner.invoke(app, ["audit", "verify", "--checkpoints", str(external)], catch_exceptions=False)
    assert done.exit_code == 1 and "entries were removed" in done.output, done.output


def test_keygen_never_overwrites(settings: Settings) -> None:
    assert runner.invoke(app, ["audit", "keygen"], catch_exceptions=False).exit_code == 0
    again = runner.invoke(app, ["audit", "keygen"], catch_exceptions=False)
    assert again.exit_code != 0 and "exists already" in again.output
