"""Choosing a text engine from configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from indexer.errors import BackendUnavailable
from indexer.search.base import TextIndex


class TextIndexConfig(BaseModel):
    """The indexer's own configuration section; the service builds it from its settings."""

    backend: Literal["tantivy", "elasticsearch"] = "tantivy"
    tantivy_path: Path = Path("data/text_index")
    es_url: str | None = None
    es_index: str = "trackchild-records"
    es_username: str | None = None
    es_password: str | None = None
    es_api_key: str | None = None
    es_ca_certs: str | None = None
    es_verify_certs: bool = True


def open_text_index(cfg: TextIndexConfig) -> TextIndex:
    """Open the configured engine.

    Raises:
        BackendUnavailable: the engine's package is missing or its server is unreachable.
    """
    match cfg.backend:
        case "tantivy":
            from indexer.search.tantivy_index import TantivyTextIndex

            return TantivyTextIndex(cfg.tantivy_path)
        case "elasticsearch":
            if not cfg.es_url:
                raise BackendUnavailable("the elasticsearch backend needs TRACKCHILD_ES_URL")
            from indexer.search.elastic_index import ElasticTextIndex

            return ElasticTextIndex(
                cfg.es_url,
                index=cfg.es_index,
                username=cfg.es_username,
                password=cfg.es_password,
                api_key=cfg.es_api_key,
                ca_certs=cfg.es_ca_certs,
                verify_certs=cfg.es_verify_certs,
            )
    raise BackendUnavailable(f"unknown search backend {cfg.backend!r}")  # pragma: no cover
