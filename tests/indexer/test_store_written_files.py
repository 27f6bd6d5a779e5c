"""A photo written for a transaction goes with it (issue 11): kept on commit, removed on a
rollback, a close without commit or a rolled-back savepoint; a file another record already
holds, or that another transaction took up meanwhile, is never removed. SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import text

from indexer import PhotoStore


def photo(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (shade, 100, 50)).save(out, "PNG")
    return out.getvalue()


def stored_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "photos").rglob("*") if p.is_file()) if (data_dir / "photos").exists() else []


def test_a_photo_stays_only_when_its_transaction_commits(session_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = PhotoStore(tmp_path, max_bytes=1_000_000)
    with session_factory() as session:
        kept = store.put_bytes(photo(1), suffix=".png", session=session)
        session.execute(text("select 1"))
        session.commit()
    with session_factory() as session:
        undone = store.put_bytes(photo(2), suffix=".png", session=session)
        session.execute(text("select 1"))
        session.rollback()
    with session_factory() as session:  # written before any SQL, then the session closes uncommitted
        closed = store.put_bytes(photo(3), suffix=".png", session=session)
    assert stored_files(tmp_path) == [tmp_path / kept.relpath]
    assert not (tmp_path / undone.relpath).parent.exists() and not (tmp_path / closed.relpath).parent.exists()  # no empty folders


def test_a_file_another_record_holds_is_never_removed(session_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = PhotoStore(tmp_path, max_bytes=1_000_000)
    with session_factory() as session:
        held = store.put_bytes(photo(4), suffix=".png", session=session)
        session.commit()
    with session_factory() as session:  # the same photo on another record, whose transaction fails
        assert store.put_bytes(photo(4), suffix=".png", session=session) == held
        session.rollback()
    # one transaction writes a new photo; another finds it there and commits first; the first fails
    first, second = session_factory(), session_factory()
    shared = store.put_bytes(photo(5), suffix=".png", session=first)
    store.put_bytes(photo(5), suffix=".png", session=second)
    second.commit()
    first.rollback()
    first.close()
    second.close()
    assert stored_files(tmp_path) == sorted([tmp_path / held.relpath, tmp_path / shared.relpath])


def test_a_rolled_back_savepoint_removes_only_its_own_files(session_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = PhotoStore(tmp_path, max_bytes=1_000_000)
    with session_factory() as session:
        outer = store.put_bytes(photo(6), suffix=".png", session=session)
        savepoint = session.begin_nested()
        inner = store.put_bytes(photo(7), suffix=".png", session=session)
        savepoint.rollback()
        with session.begin_nested():  # released: its file goes with the outer transaction
            released = store.put_bytes(photo(8), suffix=".png", session=session)
        assert stored_files(tmp_path) == sorted([tmp_path / outer.relpath, tmp_path / released.relpath])
        assert not (tmp_path / inner.relpath).exists()
        session.commit()
    assert stored_files(tmp_path) == sorted([tmp_path / outer.relpath, tmp_path / released.relpath])
    with session_factory() as session:  # a released savepoint's file still goes when the outer transaction fails
        with session.begin_nested():
            gone = store.put_bytes(photo(9), suffix=".png", session=session)
        session.rollback()
    assert not (tmp_path / gone.relpath).exists()
