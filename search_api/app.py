"""The FastAPI application. Resources open in the lifespan, never at import."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles

from search_api import errors
from search_api.admission import Admission
from search_api.audit.views import router as audit_router
from search_api.body_limit import BodyLimit
from search_api.care.views import router as care_router
from search_api.citizen.views import public_router as citizen_public_router
from search_api.citizen.views import router as citizen_router
from search_api.config import Settings
from search_api.deps import matcher_of
from search_api.directory.views import router as directory_router
from search_api.fusion.model import load_active
from search_api.gc_watch import install as install_gc_watch
from search_api.gc_watch import uninstall as uninstall_gc_watch
from search_api.maps.views import router as maps_router
from search_api.monitoring.views import router as monitoring_router
from search_api.notifications.flows import start_background_worker
from search_api.notifications.views import router as notifications_router
from search_api.records.matching_jobs import start_match_worker
from search_api.records.views import admin_router as records_admin_router
from search_api.records.views import router as records_router
from search_api.resources import open_resources
from search_api.restoration.views import router as restoration_router
from search_api.review.views import router as review_router
from search_api.search.views import router as search_router
from search_api.users.views import router as users_router

STATIC = Path(__file__).parent / "static"
access_log = logging.getLogger("trackchild.access")
# bodies beyond this are refused before they are read: a form with its photos (at most 5)
FORM_OVERHEAD = 1024 * 1024
MAX_PHOTOS_PER_REQUEST = 5
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    # nothing here is for search engines: public notices of children least of all (issue 16)
    "X-Robots-Tag": "noindex, nofollow",
}
ROBOTS_TXT = """# TrackChild: no page of this service is for search engines, the public pages
# (/ui/public/, /public/) least of all: they show missing children, with their guardians' consent.
User-agent: *
Disallow: /ui/public/
Disallow: /public/
Disallow: /
"""
# JSON answers are never rendered; the docs page runs our own files only
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TrackChild API</title>
<link rel="stylesheet" href="/api-static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api-static/swagger/swagger-ui-bundle.js"></script>
<script src="/api-static/swagger/init.js"></script></body></html>"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service, on the given settings (or the environment's).

    Example:
        >>> app = create_app(Settings(data_dir=Path("/srv/trackchild")))  # doctest: +SKIP
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # sync routes and their answers' serialisation share this pool (see Settings.request_threads)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        resources = open_resources(settings)  # refuses a schema older or newer than the code
        gc_watch = install_gc_watch(settings.gc_pause_warn_ms, freeze=settings.gc_freeze_after_slow)
        from search_api.records.flows import index_pending

        index_pending(resources)  # what a crash left between a store commit and its index update
        app.state.resources = resources
        app.state.matcher = None
        stop_worker = start_background_worker(resources)
        # the active fusion model is loaded (and checked) at start, not on the first request
        app.state.fusion_model = load_active(settings.data_dir)
        logging.getLogger("trackchild").info("fusion model: %s", app.state.fusion_model.source)
        # matching after filing: one worker per data dir runs the match jobs filings leave
        match_worker = start_match_worker(resources, lambda: matcher_of(app))
        try:
            yield
        finally:
            for worker in (match_worker, stop_worker):
                if worker is not None:
                    worker.stop()
            resources.close()
            uninstall_gc_watch(gc_watch)

    # /docs is served from local files below: the stock page loads Swagger UI from a CDN
    app = FastAPI(title="TrackChild matching service", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    errors.install(app)
    app.mount("/api-static", StaticFiles(directory=STATIC), name="api-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_HTML, headers={"Content-Security-Policy": DOCS_CSP})

    @app.get("/robots.txt", include_in_schema=False)
    def robots() -> PlainTextResponse:
        return PlainTextResponse(ROBOTS_TXT)

    @app.get("/health", tags=["health"])
    def health() -> dict:
        return {"status": "ok"}

    routers = (users_router, records_router, search_router, review_router, audit_router)
    routers += (restoration_router, notifications_router, care_router)  # after the match (issue 15)
    routers += (directory_router,)  # the district service directory (issue 16)
    routers += (citizen_public_router, citizen_router)  # the citizen corner (issue 16)
    routers += (monitoring_router,)  # monitoring for senior officers (issue 16, part 3)
    routers += (maps_router,)  # vulnerable-location maps (issue 16, part 2)
    routers += (records_admin_router,)  # the match worker's jobs (issue 11)
    for router in routers:
        app.include_router(router)

    # innermost: a request queues for a place only once its body is in (read within BodyLimit's bound)
    app.add_middleware(Admission, limit=settings.requests_at_work)
    # inside the headers middleware below (added later = outside), so its 413 gets the headers too
    app.add_middleware(BodyLimit, max_bytes=settings.max_photo_bytes * MAX_PHOTOS_PER_REQUEST + FORM_OVERHEAD)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # ids only: the path (record numbers), never the query string, which may hold a child's name
        access_log.info("%s %s %s %.0fms", request.method, request.url.path, response.status_code, (time.perf_counter() - started) * 1000)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.headers.get("content-type", "").startswith("application/json"):
            response.headers.setdefault("Content-Security-Policy", API_CSP)
            response.headers.setdefault("Cache-Control", "no-store")  # children's data: no shared caches
        return response

    return app
