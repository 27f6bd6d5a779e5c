"""Files written into the data dir for a transaction go with that transaction.

An upload's file (a photo, a restoration paper) is written before the rows that name it are
committed. When that transaction rolls back instead (a refused step, a failed commit, any later
error in the request), the file would stay behind with nothing naming it: an orphan in a store
of children's photos. ``remove_unless_committed`` ties such a file to the session's current
transaction; session events remove it when that transaction ends without a commit (rollback or
close) and forget it when it commits. A savepoint rolled back removes only its own files.

Only files the store itself wrote are ever tied: a content-addressed file that was already
there (the same photo or paper on another record) is never removed. A file another request
took up meanwhile (its store found it and touched it) is left too: see ``touch_existing``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger("trackchild.store")

_WRITTEN = "trackchild.written_files"  # session.info key: [WrittenFile] of the current root transaction
_COMMITTED = "trackchild.committed"  # session.info key: set by the root transaction's commit


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    mtime_ns: int  # as written: a later touch means someone else holds the file now
    transactions: tuple[SessionTransaction, ...]  # the one it was written in and those enclosing it


def remove_unless_committed(session: Session, path: Path) -> None:
    """``path`` was just written by the store for ``session``'s transaction: remove it again
    unless that transaction commits."""
    if not event.contains(session, "after_transaction_end", _transaction_ended):
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_soft_rollback", _rolled_back)
        event.listen(session, "after_transaction_end", _transaction_ended)
    transaction: SessionTransaction | None = session.get_nested_transaction() or session.get_transaction() or session.begin()
    enclosing = []
    while transaction is not None:
        enclosing.append(transaction)
        transaction = transaction.parent
    session.info.setdefault(_WRITTEN, []).append(WrittenFile(path, _mtime_ns(path), tuple(enclosing)))


def keep_content(target: Path, data: bytes, *, session: Session | None = None) -> None:
    """Keep ``data`` at its content-addressed ``target`` (a photo or a paper named by its sha256):
    written then renamed, so a crash never leaves half a file under that name, and tied to
    ``session``'s transaction when given; a file already there is only touched for ``session``."""
    if target.exists():
        touch_existing(session, target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)
    if session is not None:
        remove_unless_committed(session, target)


def remove_if_written(session: Session, path: Path) -> None:
    """``session``'s transaction will not name ``path`` after all (its form was refused): remove
    it now if this transaction wrote it. A file that was there before stays."""
    written = session.info.get(_WRITTEN, [])
    session.info[_WRITTEN] = [w for w in written if w.path != path]
    _remove([w for w in written if w.path == path])


def touch_existing(session: Session | None, path: Path) -> None:
    """The store found ``path`` already there and ``session`` now names it: touching it tells
    another transaction that wrote it, should that one fail, that the file is not only its own."""
    if session is not None and any(w.path == path for w in session.info.get(_WRITTEN, [])):
        return  # written by this very transaction: it stays or goes with it
    with suppress(OSError):
        os.utime(path)


def _committed(session: Session) -> None:
    if session.get_nested_transaction() is None:  # a released savepoint fires it too: only the root's commit keeps
        session.info[_COMMITTED] = True  # read when the root transaction ends, right after


def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:  # a savepoint: only what was written inside it goes
        written = session.info.get(_WRITTEN, [])
        undone = [w for w in written if previous_transaction in w.transactions]
        session.info[_WRITTEN] = [w for w in written if previous_transaction not in w.transactions]
        _remove(undone)


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint: its files stay with the enclosing transaction
        return
    written = session.info.pop(_WRITTEN, [])
    if not session.info.pop(_COMMITTED, False):  # rolled back, or closed without a commit
        _remove(written)


def _remove(files: list[WrittenFile]) -> None:
    for written in files:
        if _mtime_ns(written.path) != written.mtime_ns:
            log.info("kept %s: another transaction took it up meanwhile", written.path.name)
            continue
        written.path.unlink(missing_ok=True)
        with suppress(OSError):
            written.path.parent.rmdir()  # only when it is empty


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1
