"""Opening and closing what the service works with: store, text index, photos, faces.

The CLI and (later) the API lifespan both use this; nothing opens at import time, and the
face models load only when a photo is first embedded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from embeddings import FaceIndex, FacePipeline, embedding_dimension, model_id
from indexer import Ingestor, PhotoStore, TextIndex, create_schema, make_engine, make_session_factory, open_text_index
from search_api.config import Settings
from search_api.limits import SlidingWindow


@dataclass
class Resources:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    text_index: TextIndex
    photo_store: PhotoStore
    _face_pipeline: FacePipeline | None = field(default=None, repr=False)
    _face_index: FaceIndex | None = field(default=None, repr=False)
    _limits: dict[str, SlidingWindow] = field(default_factory=dict, repr=False)

    def limit(self, name: str) -> SlidingWindow:
        """The process-wide rate limit called ``name`` (login, photo_search)."""
        if name not in self._limits:
            per_minute = {
                "login": self.settings.login_attempts_per_minute,
                # one office shares one address (NAT): more room per address than per user name
                "login_address": self.settings.login_attempts_per_minute * 5,
                "photo_search": self.settings.photo_searches_per_minute,
            }[name]
            self._limits[name] = SlidingWindow(name.replace("_", " ") + " attempts", per_minute, 60.0)
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
        """The saved face index, or a new empty one (refuses one built by another model)."""
        if self._face_index is None:
            cfg = self.settings.face_config()
            current, dimension = model_id(cfg), embedding_dimension(cfg)
            if (self.face_index_dir / "manifest.json").exists():
                self._face_index = FaceIndex.load(
                    self.face_index_dir, model_id=current, dimension=dimension, flat_max=self.settings.face_flat_max
                )
            else:
                self._face_index = FaceIndex(model_id=current, dimension=dimension, flat_max=self.settings.face_flat_max)
        return self._face_index

    def reset_face_index(self) -> FaceIndex:
        cfg = self.settings.face_config()
        self._face_index = FaceIndex(model_id=model_id(cfg), dimension=embedding_dimension(cfg), flat_max=self.settings.face_flat_max)
        return self._face_index

    def close(self) -> None:
        self.text_index.close()
        self.engine.dispose()

    def __enter__(self) -> Resources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_resources(settings: Settings) -> Resources:
    """Create the data dir and schema if needed, and open every resource."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.store_url())
    create_schema(engine)
    return Resources(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        text_index=open_text_index(settings.text_index_config()),
        photo_store=PhotoStore(settings.data_dir, max_bytes=settings.max_photo_bytes),
    )
