"""The district service directory in a real headless Chromium against a live ``trackchild serve``
(issue 16, part 1): the DCPU imports a CSV through the page and sees the refused rows by line
and field, the good rows in the list; a police officer searches it; both languages. Screenshots
go to test-artifacts/ui/directory-*.png."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import add_cli_users, browser_login, serving

pytestmark = pytest.mark.slow
PASSWORD = "directory-pass-2026"
USERS = {
    "dcpu_aur": ("dcpu", "Bihar", "Aurangabad", "", ""),
    "police_aur": ("police", "Bihar", "Aurangabad", "Kotwali", "BR-AUR-001"),
}
CSV = (
    "type,name,code,address,phone,email,hours,lat,lon,state,district,capacity,registration_no\n"
    "police_station,Kotwali,BR-AUR-001,Station Road,06186-222222,,24 hours,24.75,84.37,Bihar,Aurangabad,,\n"
    "cci,Bal Ashram,CCI/BR/17,Ward 4,06186-223344,home@example.org,,24.76,84.38,Bihar,Aurangabad,50,CCI/BR/17\n"
    "temple,Shiv Mandir,,,,,,,,Bihar,Aurangabad,,\n"  # line 4: not a type
    "hospital,Sadar Hospital,,,,,,,,Maharashtra,Aurangabad,,\n"  # line 5: another state's Aurangabad
    "childline,Childline,,,1098,,24 hours,,,Bihar,Aurangabad,,\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("directory") / "data"
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(data_dir), "TRACKCHILD_NEW_USER_PASSWORD": PASSWORD,
           "TRACKCHILD_NOTIFY_INTERVAL_SECONDS": "0"}  # fmt: skip
    env.pop("TRACKCHILD_DATABASE_URL", None)
    env.pop("TRACKCHILD_SEARCH_BACKEND", None)
    add_cli_users(env, USERS)
    with serving(env, data_dir.parent / "server.log") as base:
        yield base


def test_dcpu_imports_and_police_search(browser, server: str, artifacts_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "aurangabad.csv"
    source.write_text(CSV, encoding="utf-8")
    context, page = browser_login(browser, server, "dcpu_aur", PASSWORD, height=800)
    page.click("nav a[href='/ui/directory']")
    page.wait_for_url(re.compile(r"/ui/directory"))
    assert page.input_value("#d-district") == "Aurangabad"  # opens on the own district
    page.set_input_files("#d-file", str(source))
    page.click("#directory-import button[type=submit]")
    page.wait_for_selector("#import-problems")
    problems = page.locator("#import-problems tr.refused").all_inner_texts()
    assert any(p.startswith("4\ttype") for p in problems) and any(p.startswith("5\tdistrict") for p in problems), problems
    assert "3 created" in page.locator("#import-report").inner_text()
    assert page.locator("#entries tbody tr").count() == 3
    page.screenshot(path=str(artifacts_dir / "directory-01-import-en.png"), full_page=True)
    page.goto(f"{server}/ui/lang/hi?next=/ui/directory")
    assert "सेवा निर्देशिका" in page.content() and "बाल देखरेख संस्था" in page.content()
    page.screenshot(path=str(artifacts_dir / "directory-02-list-hi.png"), full_page=True)
    context.close()

    context, page = browser_login(browser, server, "police_aur", PASSWORD, height=800)
    page.goto(f"{server}/ui/directory")
    assert page.locator("#directory-import").count() == 0  # police read; the DCPU keeps it
    page.select_option("#d-type", "cci")
    page.fill("#d-q", "ashram")
    page.click("#directory-search button[type=submit]")
    page.wait_for_url(re.compile(r"type=cci"))
    rows = page.locator("#entries tbody tr")
    assert rows.count() == 1 and "CCI/BR/17" in rows.first.inner_text() and "50" in rows.first.inner_text()
    page.screenshot(path=str(artifacts_dir / "directory-03-police-search-en.png"), full_page=True)
    context.close()
