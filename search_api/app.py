"""The FastAPI application. Resources open in the lifespan, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from search_api import errors
from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.records.views import router as records_router
from search_api.resources import open_resources
from search_api.review.views import router as review_router
from search_api.search.views import router as search_router
from search_api.users.views import router as users_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service, on the given settings (or the environment's).

    Example:
        >>> app = create_app(Settings(data_dir=Path("/srv/trackchild")))  # doctest: +SKIP
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = open_resources(settings)
        create_service_schema(resources.engine)
        app.state.resources = resources
        app.state.matcher = None
        try:
            yield
        finally:
            resources.close()

    app = FastAPI(title="TrackChild matching service", version="0.1.0", lifespan=lifespan)
    errors.install(app)

    @app.get("/health", tags=["health"])
    def health() -> dict:
        return {"status": "ok"}

    for router in (users_router, records_router, search_router, review_router):
        app.include_router(router)
    return app
