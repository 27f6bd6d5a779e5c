"""Anchoring the audit chain: signed checkpoints of its head, kept outside the database.

The hash chain shows any edit that leaves later hashes unchanged, but someone who can write
the database can also rewrite every hash after an edit and the head with it: the chain is
then consistent again. A checkpoint closes that gap. It is the head (seq, hash) and the time,
signed with an Ed25519 key that lives in a file outside the database, appended to a file
(JSON lines) or printed for an external log (syslog, a ticket, an e-mail to the state). A
rewritten chain disagrees with the hash a checkpoint signed for that seq, and ``trackchild
audit verify`` says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from search_api.audit.models import AuditEntryRow, AuditHeadRow
from search_api.audit.service import GENESIS, HEAD_PK


class CheckpointError(Exception):
    """A key that cannot be read or made, or a checkpoint file that cannot be parsed."""


def keygen(path: Path) -> Ed25519PrivateKey:
    """A new signing key at ``path`` (mode 0600) and its public half at ``path``.pub; never overwrites."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CheckpointError(f"a signing key exists already at {path}; move it away first to make a new one") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _public_path(path).write_bytes(public)
    return key


def _public_path(path: Path) -> Path:
    return path.with_name(path.name + ".pub")


def load_key(path: Path, *, create: bool = False) -> Ed25519PrivateKey:
    if not path.exists():
        if create:
            return keygen(path)
        raise CheckpointError(f"no signing key at {path}: run 'trackchild audit keygen'")
    if path.stat().st_mode & 0o077:
        raise CheckpointError(f"the signing key {path} is readable by others: chmod 600 it")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The verifying key: a .pub file (PEM), or the private key file it belongs to."""
    public_file = path if path.name.endswith(".pub") else _public_path(path)
    if public_file.exists():
        key = serialization.load_pem_public_key(public_file.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise CheckpointError(f"{public_file} is not an Ed25519 public key")
        return key
    return load_key(path).public_key()


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()[:16]


def _payload(seq: int, entry_hash: str, signed_at: str, key_id: str) -> bytes:
    return json.dumps({"seq": seq, "entry_hash": entry_hash, "signed_at": signed_at, "key_id": key_id}, sort_keys=True).encode()


def sign_head(*, session: Session, key: Ed25519PrivateKey) -> dict:
    """The head of the chain, signed: {seq, entry_hash, signed_at, key_id, signature}."""
    head = session.get(AuditHeadRow, HEAD_PK)
    seq, entry_hash = (head.seq, head.entry_hash) if head is not None else (0, GENESIS)
    signed_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    key_id = _key_id(key.public_key())
    signature = key.sign(_payload(seq, entry_hash, signed_at, key_id))
    return {
        "seq": seq,
        "entry_hash": entry_hash,
        "signed_at": signed_at,
        "key_id": key_id,
        "signature": base64.b64encode(signature).decode(),
    }


def append_checkpoint(path: Path, checkpoint: dict) -> None:
    """One JSON line, flushed to disk before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(checkpoint, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_checkpoints(path: Path) -> list[dict]:
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise CheckpointError(f"{path} line {number} is not JSON") from exc
    return out


@dataclass
class CheckpointReport:
    checked: int = 0
    problems: list[str] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_checkpoints(*, session: Session, checkpoints: list[dict], public: Ed25519PublicKey) -> CheckpointReport:
    """Every checkpoint's signature holds, and the chain still has, at that seq, the hash it signed."""
    report = CheckpointReport(problems=[])
    key_id = _key_id(public)
    last = session.scalar(select(AuditEntryRow.seq).order_by(AuditEntryRow.seq.desc()).limit(1)) or 0
    for number, cp in enumerate(checkpoints, start=1):
        report.checked += 1
        try:
            seq, entry_hash, signed_at = int(cp["seq"]), str(cp["entry_hash"]), str(cp["signed_at"])
            public.verify(base64.b64decode(cp["signature"]), _payload(seq, entry_hash, signed_at, str(cp.get("key_id", ""))))
        except (KeyError, ValueError, TypeError, InvalidSignature):
            report.problems.append(f"checkpoint {number} ({cp.get('signed_at', '?')}) is not signed by this key (key {key_id})")  # type: ignore[union-attr]
            continue
        if seq == 0:
            continue
        if seq > last:
            report.problems.append(
                f"checkpoint {number} ({signed_at}) signed entry {seq}, but the chain ends at {last}: entries were removed"
            )  # type: ignore[union-attr]
            continue
        row = session.get(AuditEntryRow, seq)
        if row is None or row.entry_hash != entry_hash:
            report.problems.append(  # type: ignore[union-attr]
                f"entry {seq} disagrees with the checkpoint signed {signed_at}: the chain was rewritten since"
            )
    return report
