"""Rate limits live in the store: every worker process counts against the same limit."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from indexer import make_engine
from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.limits import RateLimited, StoreWindow
from search_api.resources import open_resources
from tests.factories import add_users
from tests.live import uvicorn_workers

ROOT = Path(__file__).resolve().parents[2]


def test_the_limit_holds_across_engines_and_threads(store_url: str) -> None:
    """Two engines stand for two processes; 40 hits race for a limit of 10: exactly 10 pass."""
    engines = [make_engine(store_url) for _ in range(2)]
    create_service_schema(engines[0])
    windows = [StoreWindow(engine, "login attempts", "login", 10, 60.0) for engine in engines]

    def one(i: int) -> bool:
        try:
            windows[i % 2].hit("someone")
            return True
        except RateLimited:
            return False

    with ThreadPoolExecutor(8) as pool:
        passed = list(pool.map(one, range(40)))
    assert sum(passed) == 10
    windows[0].hit("someone-else")  # other keys are counted apart
    with pytest.raises(RateLimited) as refused:
        windows[1].hit("someone")
    assert 1 <= refused.value.retry_after <= 61
    for engine in engines:
        engine.dispose()


@pytest.mark.slow
def test_two_worker_processes_share_the_login_limit(settings: Settings) -> None:
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        add_users(res, password="a long enough password", people=[("officer", "dcpu", "Bihar", "Patna", "")])
    env = {
        **os.environ,
        "TRACKCHILD_DATA_DIR": str(settings.data_dir),
        "TRACKCHILD_LOGIN_ATTEMPTS_PER_MINUTE": "6",
        "TRACKCHILD_LOCKOUT_FAILURES": "100",
        "PYTHONPATH": str(ROOT),
    }
    with uvicorn_workers(env, 2) as urls:
        codes = []
        for attempt in range(8):  # alternate between the two processes
            url = urls[attempt % 2]
            answer = httpx.post(f"{url}/auth/token", data={"username": "officer", "password": "wrong"}, timeout=30)
            codes.append(answer.status_code)
        assert codes[:6] == [401] * 6 and codes[6:] == [429, 429], codes
