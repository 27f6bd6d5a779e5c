"""Opening and closing what the service works with: store, text index, photos, faces.

The CLI and (later) the API lifespan both use this; nothing opens at import time, and the
face models load only when a photo is first embedded.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from embeddings import FaceIndex, FacePipeline, embedding_dimension, model_id
from indexer import Ingestor, PhotoStore, TextIndex, make_engine, make_session_factory, open_text_index
from search_api.config import Settings
from search_api.limits import StoreWindow


@dataclass
class Resources:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    text_index: TextIndex
    photo_store: PhotoStore
    _face_pipeline: FacePipeline | None = field(default=None, repr=False)
    _face_index: FaceIndex | None = field(default=None, repr=False)
    _limits: dict[str, StoreWindow] = field(default_factory=dict, repr=False)
    _face_index_seen: int | None = field(default=None, repr=False)  # mtime_ns of the manifest we hold
    _writing: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _writer_depth: int = field(default=0, repr=False)

    @property
    def _writer_lock_file(self) -> Path:
        return self.settings.data_dir / "index-writer.lock"

    @contextlib.contextmanager
    def index_writer(self) -> Iterator[None]:
        """Write the text and face indexes as the one writer across every process on this data dir.

        Several workers (``trackchild serve --workers N``) and a console command may each want
        to write: an exclusive file lock lets one at a time; inside, the face index is first
        brought up to what the last writer saved, and on leaving tantivy's writer is released
        so that the next writer (another process) can open one. Re-entrant in one process.
        """
        with self._writing:
            if self._writer_depth:
                self._writer_depth += 1
                try:
                    yield
                finally:
                    self._writer_depth -= 1
                return
            with self._file_lock(fcntl.LOCK_EX):
                self._writer_depth = 1
                try:
                    self._refresh_face_index()
                    yield
                finally:
                    self._writer_depth = 0
                    self._face_index_seen = self._manifest_mtime()
                    release = getattr(self.text_index, "release_writer", None)
                    if release is not None:
                        release()

    @contextlib.contextmanager
    def _file_lock(self, mode: int) -> Iterator[None]:
        self._writer_lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._writer_lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _manifest_mtime(self) -> int | None:
        try:
            return (self.face_index_dir / "manifest.json").stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _refresh_face_index(self) -> None:
        """Drop the face index held in memory if another process saved a newer one."""
        if self._face_index is not None and self._manifest_mtime() != self._face_index_seen:
            self._face_index = None

    def limit(self, name: str) -> StoreWindow:
        """The rate limit called ``name`` (login, photo_search), shared by every worker through the store."""
        if name not in self._limits:
            per_minute = {
                "login": self.settings.login_attempts_per_minute,
                # one office shares one address (NAT): more room per address than per user name
                "login_address": self.settings.login_attempts_per_minute * 5,
                "photo_search": self.settings.photo_searches_per_minute,
            }[name]
            self._limits[name] = StoreWindow(self.engine, name.replace("_", " ") + " attempts", name, per_minute, 60.0)
        return self._limits[name]

    def ingestor(self) -> Ingestor:
        return Ingestor(
            session_factory=self.session_factory,
            index=self.text_index,
            photo_store=self.photo_store,
            batch_size=self.settings.ingest_batch_size,
        )

    @property
    def face_pipeline(self) -> FacePipeline:
        if self._face_pipeline is None:
            self._face_pipeline = FacePipeline(self.settings.face_config())
        return self._face_pipeline

    @property
    def face_index_dir(self) -> Path:
        return self.settings.data_dir / "face_index"

    @property
    def face_index(self) -> FaceIndex:
        """The saved face index, or a new empty one (refuses one built by another model).

        Outside a write, an index another process saved since is loaded again (one stat per use).
        """
        if self._face_index is not None and not self._writer_depth and self._manifest_mtime() != self._face_index_seen:
            self._face_index = None
        if self._face_index is None:
            cfg = self.settings.face_config()
            current, dimension = model_id(cfg), embedding_dimension(cfg)
            with contextlib.ExitStack() as stack:
                if not self._writer_depth:  # a writer swaps the folder: read it whole, not mid-swap
                    stack.enter_context(self._file_lock(fcntl.LOCK_SH))
                self._face_index_seen = self._manifest_mtime()
                if self._face_index_seen is not None:
                    self._face_index = FaceIndex.load(
                        self.face_index_dir, model_id=current, dimension=dimension, flat_max=self.settings.face_flat_max
                    )
                else:
                    self._face_index = FaceIndex(model_id=current, dimension=dimension, flat_max=self.settings.face_flat_max)
        return self._face_index

    def reset_face_index(self) -> FaceIndex:
        cfg = self.settings.face_config()
        self._face_index = FaceIndex(model_id=model_id(cfg), dimension=embedding_dimension(cfg), flat_max=self.settings.face_flat_max)
        self._face_index_seen = self._manifest_mtime()
        return self._face_index

    def close(self) -> None:
        self.text_index.close()
        self.engine.dispose()

    def __enter__(self) -> Resources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_resources(settings: Settings) -> Resources:
    """Create the data dir (and an empty database at the newest schema) if needed, and open every resource.

    Raises:
        SchemaMismatch: the database is at another schema revision than the code; the message
            names the command that fixes it (``trackchild db upgrade``).
    """
    from search_api.db import ensure_schema

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.store_url())
    try:
        ensure_schema(engine)
    except Exception:
        engine.dispose()
        raise
    return Resources(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        text_index=open_text_index(settings.text_index_config()),
        photo_store=PhotoStore(settings.data_dir, max_bytes=settings.max_photo_bytes),
    )
