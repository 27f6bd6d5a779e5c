"""The web app: the API plus the pages, one process, one store (``trackchild serve`` runs this)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from indexer import RecordNotFound
from search_api import MapRefused, PairNotFound, PermissionDenied, Settings, create_app
from ui.pages import audit, auth, care, citizen, directory, home, maps, monitor, records, restoration, review, search
from ui.web import HERE, PAGE_CSP, SECURITY_HEADERS, CsrfFailed, LoginRequired, load_or_create_secret, redirect, render


def _is_page(request: Request) -> bool:
    return request.url.path.startswith("/ui")


def _install_page_errors(app: FastAPI) -> None:
    """Pages answer errors with pages; the API keeps its JSON answers."""

    def page_or_json(status: int, message_key: str) -> Callable[[Request, Exception], Response]:
        def handler(request: Request, exc: Exception) -> Response:
            if _is_page(request):
                return render(request, "error.html", status_code=status, message_key=message_key, detail=str(exc))
            return JSONResponse(status_code=status, content={"detail": str(exc)})

        return handler

    app.add_exception_handler(LoginRequired, lambda request, _exc: redirect("/ui/login"))
    app.add_exception_handler(CsrfFailed, page_or_json(400, "form_expired"))
    app.add_exception_handler(PermissionDenied, page_or_json(403, "forbidden"))
    app.add_exception_handler(RecordNotFound, page_or_json(404, "not_found"))
    app.add_exception_handler(PairNotFound, page_or_json(404, "not_found"))
    app.add_exception_handler(MapRefused, page_or_json(422, "map_refused"))


def create_web_app(settings: Settings | None = None) -> FastAPI:
    """The API of ``search_api.create_app`` with the web pages mounted under /ui."""
    settings = settings or Settings()
    app = create_app(settings)
    app.state.ui_secret = load_or_create_secret(settings.data_dir / "ui_secret")
    _install_page_errors(app)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
    for module in (home, auth, records, search, review, audit, restoration, care, directory, citizen, monitor, maps):
        app.include_router(module.router, include_in_schema=False)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if _is_page(request):
            response.headers["Content-Security-Policy"] = PAGE_CSP
            response.headers.setdefault("Cache-Control", "no-store")  # shared office computers
        return response

    return app
