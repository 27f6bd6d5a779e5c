"""A live ``trackchild serve`` on a temporary data dir, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import serving

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TRACKCHILD_TEST_CHROMIUM", "/usr/bin/chromium")
# Chromium on a machine with no internet: no background calls home, no first-run UI.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-test-pass-2026"
USERS = {
    "police_patna": ("police", "Bihar", "Patna", "Kotwali PS", "10101001"),
    "cci_patna": ("cci", "Bihar", "Patna", "Apna Ghar CCI", "CCI/BR/PAT/7"),
    "dcpu_patna": ("dcpu", "Bihar", "Patna", "", ""),
}


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "search_api.cli", *args], env=env, check=True, capture_output=True, timeout=120)


def add_cli_users(env: dict[str, str], users: dict[str, tuple[str, str, str, str, str]]) -> None:
    """``trackchild user add`` for each username → (role, state, district, unit, unit code or "")."""
    for username, (role, state, district, unit, code) in users.items():
        extra = ["--unit-code", code] if code else []
        _cli(env, "user", "add", username, "--role", role, "--state", state, "--district", district, "--unit", unit, *extra)


def api_login(base: str, username: str, password: str = PASSWORD) -> dict[str, str]:
    """A bearer header for ``username`` on the live server at ``base``."""
    import httpx

    answer = httpx.post(f"{base}/auth/token", data={"username": username, "password": password}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def browser_login(  # type: ignore[no-untyped-def]
    browser, base: str, username: str, password: str = PASSWORD, *, height: int = 900, lang: str = "", timeout_ms: int = 60_000
):
    """A new browser context logged in through the login page (downloads allowed), in ``lang``
    when given; (context, page)."""
    context = browser.new_context(viewport={"width": 1280, "height": height}, accept_downloads=True)
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page.goto(f"{base}/ui/lang/{lang}?next=/ui/login" if lang else f"{base}/ui/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/ui/$"))
    return context, page


def wait_for_pair(base: str, headers: dict[str, str], found_key: str, timeout_s: float = 60) -> dict:
    """The review queue's pair of ``found_key``, once the server's match worker has queued it
    (a filing answers before matching)."""
    import time

    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        queue = httpx.get(f"{base}/review/queue", headers=headers, timeout=60).json()
        pair = next((p for p in queue if p["found_key"] == found_key), None)
        if pair is not None:
            return pair
        assert time.monotonic() < deadline, f"no pair of {found_key} in the review queue after {timeout_s:.0f}s: {queue}"
        time.sleep(0.3)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("TRACKCHILD_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "ui"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live-log") / "server.log"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, server_log: Path) -> Iterator[str]:
    """The real server process (uvicorn, SQLite, tantivy, FaceNet) the README's command starts."""
    data_dir = tmp_path_factory.mktemp("live") / "data"
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(data_dir), "TRACKCHILD_NEW_USER_PASSWORD": PASSWORD}
    env.pop("TRACKCHILD_DATABASE_URL", None)
    env.pop("TRACKCHILD_SEARCH_BACKEND", None)
    for username, (role, state, district, unit, code) in USERS.items():
        _cli(env, "user", "add", username, "--role", role, "--state", state, "--district", district, "--unit", unit, "--unit-code", code)
    with serving(env, server_log) as base:
        yield base


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"no chromium at {CHROMIUM}: `make test` installs Debian's chromium (scripts/install-browser.sh)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
