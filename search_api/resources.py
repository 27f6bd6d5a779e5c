"""Opening and closing what the service works with: store, text index, photo store.

The CLI and (later) the API lifespan both use this; nothing opens at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from indexer import Ingestor, PhotoStore, TextIndex, create_schema, make_engine, make_session_factory, open_text_index
from search_api.config import Settings


@dataclass
class Resources:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    text_index: TextIndex
    photo_store: PhotoStore

    def ingestor(self) -> Ingestor:
        return Ingestor(
            session_factory=self.session_factory,
            index=self.text_index,
            photo_store=self.photo_store,
            batch_size=self.settings.ingest_batch_size,
        )

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
