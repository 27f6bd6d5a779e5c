"""The server's log: uvicorn's own lines plus ours (``trackchild.*``), in every worker.

``serve --workers N`` starts each worker as a fresh process that configures logging from
uvicorn's config alone, so a ``logging.basicConfig`` in the command never reached the workers:
the per-request access lines and the match worker's INFO lines were lost, and only warnings
came out (through logging's last-resort handler). The config below is handed to uvicorn, which
applies it in each worker. Lines carry the worker's pid: with several workers a stall shows in
one of them or in all."""

from __future__ import annotations

import copy
from typing import Any

FORMAT = "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"


def serve_log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging config with ``trackchild`` (and our modules' ``search_api``) loggers added."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["trackchild"] = {"format": FORMAT}
    config["handlers"]["trackchild"] = {"class": "logging.StreamHandler", "formatter": "trackchild", "stream": "ext://sys.stderr"}
    for name in ("trackchild", "search_api"):
        config["loggers"][name] = {"handlers": ["trackchild"], "level": level, "propagate": False}
    return config
