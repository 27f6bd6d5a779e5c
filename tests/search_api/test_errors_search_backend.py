"""A search-backend failure is a 503 that says what failed, not a 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from indexer import BackendUnavailable, IndexMappingMismatch
from search_api import errors


def test_search_backend_errors_answer_503_with_the_reason() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/down")
    def down() -> None:
        raise BackendUnavailable("elasticsearch: search on trackchild-records failed: cannot reach http://es:9200")

    @app.get("/stale")
    def stale() -> None:
        raise IndexMappingMismatch("elasticsearch: cannot search trackchild-records: run `trackchild reindex`")

    client = TestClient(app)
    answer = client.get("/down")
    assert answer.status_code == 503
    assert "cannot reach" in answer.json()["detail"]
    answer = client.get("/stale")
    assert answer.status_code == 503
    assert "trackchild reindex" in answer.json()["detail"]
