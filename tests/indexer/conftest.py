"""Indexer fixtures: the Elasticsearch-API server (the noida-db emulator unless TRACKCHILD_ES_URL is set)."""

from tests.es_server import es_server

__all__ = ["es_server"]
