"""Serving the web pages and the API."""

from __future__ import annotations

from typing import Annotated

import typer

from search_api.cli.common import fail, out

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Listen address (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes; they share the store, the rate limits and the indexes")
    ] = 1,
) -> None:
    """Run the web pages (/ui/) and the API (docs at /docs) on embedded defaults.

    With --workers N every worker answers reads; writes to the text and face indexes take a
    file lock in the data dir, so one worker (or console command) writes at a time and the
    others see the result (tantivy allows one writer; the face index is reloaded when saved).
    """
    import uvicorn

    from indexer import make_engine
    from search_api.config import Settings
    from search_api.db import SchemaMismatch, ensure_schema
    from search_api.logs import serve_log_config

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.store_url())
    try:  # refuse before listening: a schema older or newer than the code (names the fixing command)
        ensure_schema(engine)
    except SchemaMismatch as exc:
        raise fail(str(exc)) from exc
    finally:
        engine.dispose()
    out.print(f"TrackChild on http://{host}:{port}/ui/  (API docs: http://{host}:{port}/docs)")
    # The pages sit above the API (ui imports search_api, never the reverse), so the
    # composed app is named here by its import path rather than imported.
    # uvicorn's own access log prints query strings (a search for a child's name); ours prints paths only.
    # Its workers configure logging from this dict alone (search_api/logs.py).
    # uvicorn's supervisor kills a worker that does not answer its ping within 5 s as hung; under
    # load (ranking candidates holds the GIL) a busy worker was killed with its requests in flight
    # (bench load, 100k per side, two workers: 8 requests cut off). A hung worker is rare; a busy one is not.
    uvicorn.run(
        "ui:create_web_app", factory=True, host=host, port=port, workers=workers, log_level="info", proxy_headers=True, access_log=False,
        log_config=serve_log_config(settings.log_level),
        timeout_worker_healthcheck=settings.worker_healthcheck_seconds, timeout_keep_alive=settings.keep_alive_seconds,
    )  # fmt: skip
