"""A record filed a moment ago, in a real headless Chromium against a live ``trackchild serve``
(issue 11): while its match job waits, the record page says candidates are being computed (in
English and Hindi); once the jobs have run the line is gone and the candidate is marked as queued
for review. The server's match worker is off, so the job waits until the test runs it with
``trackchild match --pending --once``. Screenshots go to the test's tmp dir and test-artifacts/ui/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import found_child, missing_report
from tests.ui.conftest import add_cli_users, api_login, browser_login, serving

pytestmark = pytest.mark.slow
PASSWORD = "match-status-pass-2026"
USERS = {
    "police_patna": ("police", "Bihar", "Patna", "Kotwali PS", "BR-PAT-0042"),
    "cci_patna": ("cci", "Bihar", "Patna", "Apna Ghar", "CCI/BR/PAT/7"),
}
PATNA = {"city": "Patna", "district": "Patna", "state": "Bihar"}
# ui/i18n.py "matching_queued", restated: the page must say exactly this
COMPUTING = {
    "en": "Candidates are being computed: strong matches join the review queue in a moment. Reload to see them marked.",
    "hi": "संभावित मिलान खोजे जा रहे हैं: मज़बूत मिलान कुछ ही क्षणों में समीक्षा सूची में जुड़ जाएँगे। चिह्नित देखने के लिए पेज दोबारा खोलें।",
}
QUEUED_BADGE = {"en": "In the review queue: Waiting for review", "hi": "समीक्षा सूची में: समीक्षा बाकी"}  # "queued": "pair_pending"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("match-status") / "data"
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(data_dir), "TRACKCHILD_NEW_USER_PASSWORD": PASSWORD,
           "TRACKCHILD_NOTIFY_INTERVAL_SECONDS": "0", "TRACKCHILD_MATCH_ON_FILING": "background"}  # fmt: skip
    for name in ("TRACKCHILD_DATABASE_URL", "TRACKCHILD_SEARCH_BACKEND"):
        env.pop(name, None)
    add_cli_users(env, USERS)
    return env


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    with serving(env, Path(env["TRACKCHILD_DATA_DIR"]).parent / "server.log", match_interval=0) as base:  # no match worker
        yield base


def test_the_record_page_says_candidates_are_being_computed_until_the_job_ran(  # type: ignore[no-untyped-def]
    browser, server: str, env: dict[str, str], tmp_path: Path, artifacts_dir: Path
) -> None:
    report = missing_report(id="MP-MS-1", name="Yadavi Rathore", sex="F", age=8, date="2026-01-05", marks="scar on chin", place=PATNA,
                            police_station="Kotwali PS", police_station_code="BR-PAT-0042")  # fmt: skip
    child = found_child(id="FC-MS-1", name="Yadavi Rathore", sex="F", age=8, date="2026-01-20", marks="scar on chin", place=PATNA,
                        cci_name="Apna Ghar", cci_code="CCI/BR/PAT/7")  # fmt: skip
    cci = api_login(server, "cci_patna", PASSWORD)
    for username, record in (("police_patna", report), ("cci_patna", child)):
        answer = httpx.post(f"{server}/records", json=record, headers=api_login(server, username, PASSWORD), timeout=180)
        assert answer.status_code == 201 and answer.json()["matching"] == "queued", answer.text
    status_url = f"{server}/records/found/FC-MS-1/match-status"
    assert httpx.get(status_url, headers=cci, timeout=60).json()["state"] == "pending"
    pages = {lang: browser_login(browser, server, "cci_patna", PASSWORD, lang=lang, timeout_ms=120_000) for lang in ("en", "hi")}
    for lang, (_context, page) in pages.items():
        page.goto(f"{server}/ui/records/found/FC-MS-1")
        line = page.locator("#matching-queued")
        assert line.is_visible() and line.inner_text().strip() == COMPUTING[lang], page.locator("main").inner_text()
        page.screenshot(path=str(tmp_path / f"match-status-pending-{lang}.png"), full_page=True)
    # the jobs run (as the data dir's match worker would): the line is gone, the candidate is queued for review
    ran = subprocess.run([sys.executable, "-m", "search_api.cli", "match", "--pending", "--once"], env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert ran.returncode == 0 and "match jobs: 2 done" in ran.stdout and "0 still pending" in ran.stdout, ran.stdout + ran.stderr
    assert httpx.get(status_url, headers=cci, timeout=60).json()["state"] == "done"
    for lang, (context, page) in pages.items():
        page.reload()
        assert page.locator("#matching-queued").count() == 0 and COMPUTING[lang] not in page.content()
        candidate = page.locator("li.candidate[data-candidate='MP-MS-1']")
        assert candidate.is_visible() and QUEUED_BADGE[lang] in candidate.inner_text(), page.locator("main").inner_text()
        page.screenshot(path=str(tmp_path / f"match-status-done-{lang}.png"), full_page=True)
        context.close()
    for shot in sorted(tmp_path.glob("match-status-*.png")):
        shutil.copy(shot, artifacts_dir / shot.name)
