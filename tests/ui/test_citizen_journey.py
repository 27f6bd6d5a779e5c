"""The citizen corner in a real headless Chromium against a live ``trackchild serve`` (issue 16,
part 4). A member of the public, not logged in, reports a child seen in distress with a photo; the
page's own script solves the proof of work in the browser; the DCPU of the district accepts the
report in the moderation queue and lands on the new record, which shows the missing report as a
candidate. A police officer records a guardian's consent; the public notice shows first name, age,
district and photo only, and disappears the moment the DCPU confirms the match. English and Hindi;
screenshots go to test-artifacts/ui/citizen-*.png."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import found_child, missing_report
from tests.ui.conftest import add_cli_users, api_login, browser_login, serving

pytestmark = pytest.mark.slow
PASSWORD = "citizen-pass-2026"
FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
USERS = {
    "police_patna": ("police", "Bihar", "Patna", "Kotwali PS", "BR-PAT-0042"),
    "cci_patna": ("cci", "Bihar", "Patna", "Apna Ghar", "CCI/BR/PAT/7"),
    "dcpu_patna": ("dcpu", "Bihar", "Patna", "", ""),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("citizen") / "data"
    # the real proof of work (18 bits, the default): the browser solves it
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(data_dir), "TRACKCHILD_NEW_USER_PASSWORD": PASSWORD,
           "TRACKCHILD_NOTIFY_INTERVAL_SECONDS": "0"}  # fmt: skip
    for name in ("TRACKCHILD_DATABASE_URL", "TRACKCHILD_SEARCH_BACKEND", "TRACKCHILD_CITIZEN_POW_BITS"):
        env.pop(name, None)
    add_cli_users(env, USERS)
    with serving(env, data_dir.parent / "server.log") as base:
        yield base


def file_record(base: str, username: str, record: dict, photo: str | None = None) -> None:
    auth = api_login(base, username, PASSWORD)
    assert httpx.post(f"{base}/records", json=record, headers=auth, timeout=180).status_code == 201
    if photo:
        files = {"file": (photo, (FACES / photo).read_bytes(), "image/jpeg")}
        answer = httpx.post(f"{base}/records/{record['kind']}/{record['id']}/photos", files=files, headers=auth, timeout=180)
        assert answer.status_code == 201, answer.text


def staff(browser, base: str, username: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    return browser_login(browser, base, username, PASSWORD, lang=lang, timeout_ms=90_000)


def citizen(browser, base: str, lang: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(90_000)
    page = context.new_page()
    page.goto(f"{base}/ui/lang/{lang}?next=/ui/public/report")
    return context, page


def assert_public(page, answer) -> None:  # type: ignore[no-untyped-def]
    assert answer is not None and answer.headers.get("x-robots-tag") == "noindex, nofollow"
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex, nofollow"


def send_report(page, base: str, shots: Path, lang: str, values: dict[str, str], photo: str | None, shot: str) -> str:  # type: ignore[no-untyped-def]
    answer = page.goto(f"{base}/ui/public/report?kind={values['kind']}")
    assert_public(page, answer)
    page.check(f"#k-{values['kind']}")
    for name, value in values.items():
        if name in ("kind", "sex"):
            continue
        page.fill(f"#c-{name}", value)
    if "sex" in values:
        page.select_option("#c-sex", values["sex"])
    if photo:
        page.set_input_files("#c-photo", str(FACES / photo))
    page.wait_for_selector("#citizen-report[data-solved='1']", timeout=120_000)  # solved by pow.js in this browser
    assert page.locator("input[name=pow_nonce]").input_value() != ""
    page.screenshot(path=str(shots / f"citizen-{shot}-report-{lang}.png"), full_page=True)
    page.click("#citizen-report button[type=submit]")
    page.wait_for_url(re.compile(r"/ui/public/sent"), timeout=180_000)
    reference = page.locator("#sent-reference strong").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{8}", reference) and page.locator("#sent-held").count() == 0  # solved: not held back
    return reference


def test_citizen_report_to_moderation_to_a_candidate(browser, server: str, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    file_record(server, "police_patna", missing_report(id="MP-CZ-1", name="Rahul Kumar", age=9, sex="M", date="2025-06-01",
                                                       place={"city": "Patna", "district": "Patna", "state": "Bihar"},
                                                       police_station="Kotwali PS"), photo="obama_5.jpg")  # fmt: skip
    # 1. a member of the public, not logged in, in English
    context, page = citizen(browser, server, "en")
    values = {"kind": "seen", "state": "Bihar", "district": "Patna", "place": "Patna Junction, platform 3", "seen_on": "12/06/2025",
              "child_name": "Rahul", "age": "about 9", "sex": "M", "description": "boy alone, crying, blue shirt"}  # fmt: skip
    reference = send_report(page, server, artifacts_dir, "en", values, "obama_4.jpg", "01")
    page.screenshot(path=str(artifacts_dir / "citizen-02-sent-en.png"), full_page=True)
    assert not [c for c in context.cookies() if c["name"] == "tc_session"]  # no login cookie for the public
    for lang in ("en", "hi"):  # the privacy notice: what is kept and who sees it
        page.goto(f"{server}/ui/lang/{lang}?next=/ui/public/privacy")
        assert page.locator("#privacy h2").count() == 7
        page.screenshot(path=str(artifacts_dir / f"citizen-13-privacy-{lang}.png"), full_page=True)
    context.close()
    # 2. the DCPU of Patna moderates: the queue, the report with its photo, accept → the record with its candidate
    context, page = staff(browser, server, "dcpu_patna")
    page.click("nav a[href='/ui/citizen']")
    page.wait_for_url(re.compile(r"/ui/citizen"))
    assert reference in page.locator("#citizen-reports").inner_text()
    page.screenshot(path=str(artifacts_dir / "citizen-03-queue-en.png"), full_page=True)
    page.click(f"#citizen-reports a:text('{reference}')")
    page.wait_for_selector("#accept-form")
    page.wait_for_function("() => { const i = document.querySelector('img.report-photo'); return i && i.complete && i.naturalWidth > 0; }")
    page.screenshot(path=str(artifacts_dir / "citizen-04-report-en.png"), full_page=True)
    page.fill("#a-unit_name", "Apna Ghar")
    page.fill("#a-unit_code", "CCI/BR/PAT/7")
    page.click("#accept-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/ui/records/found/CIT-{reference}"), timeout=180_000)
    candidate = page.locator("li.candidate[data-candidate='MP-CZ-1']")
    assert candidate.count() == 1, page.locator("section").all_inner_texts()
    page.screenshot(path=str(artifacts_dir / "citizen-05-record-candidate-en.png"), full_page=True)
    context.close()
    # 3. in Hindi: a missing child reported by the father; the DCPU rejects it with a reason
    context, page = citizen(browser, server, "hi")
    assert "किसी बच्चे के बारे में बताएँ" in page.content()
    values = {"kind": "missing", "state": "Bihar", "district": "Patna", "place": "गांधी मैदान", "child_name": "सोनू", "age": "7",
              "sex": "M", "reporter_name": "रमेश", "reporter_phone": "9800000007", "reporter_relation": "पिता"}  # fmt: skip
    second = send_report(page, server, artifacts_dir, "hi", values, None, "06")
    page.screenshot(path=str(artifacts_dir / "citizen-07-sent-hi.png"), full_page=True)
    context.close()
    context, page = staff(browser, server, "dcpu_patna", "hi")
    page.goto(f"{server}/ui/citizen")
    assert "नागरिक सूचनाएँ" in page.content() and second in page.locator("#citizen-reports").inner_text()
    page.screenshot(path=str(artifacts_dir / "citizen-08-queue-hi.png"), full_page=True)
    page.click(f"#citizen-reports a:text('{second}')")
    page.fill("#r-reason", "पिता से बात हुई: बच्चा घर लौट आया")
    page.click("#reject-form button[type=submit]")
    page.wait_for_url(re.compile(r"/ui/citizen$"))
    assert second not in page.locator("#citizen-reports").inner_text()
    page.goto(f"{server}/ui/citizen?status=rejected")
    assert second in page.locator("#citizen-reports").inner_text()
    context.close()


def test_notice_disappears_when_the_match_is_confirmed(browser, server: str, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    place = {"city": "Patna", "district": "Patna", "state": "Bihar"}
    mother = {"name": "Sunita Devi", "phone": "9811111111", "relation": "mother"}
    home = place | {"address": "House 9, Ward 2"}
    report = missing_report(id="MP-NT-1", name="Pooja Kumari", age=8, sex="F", date="2025-05-01", place=home, mother_name="Sunita Devi",
                            marks="mole on left cheek", police_station="Kotwali PS", reported_by=mother)  # fmt: skip
    file_record(server, "police_patna", report, photo="biden_2.jpg")
    child = found_child(id="FC-NT-1", name="Pooja", age=9, sex="F", date="2025-05-20", marks="mole on left cheek", place=place,
                        cci_name="Apna Ghar")  # fmt: skip
    file_record(server, "cci_patna", child)
    # 1. the police officer records the mother's consent (from the record page's link)
    context, police = staff(browser, server, "police_patna")
    police.goto(f"{server}/ui/records/missing/MP-NT-1")
    police.click("#notice-link")
    assert police.input_value("#n-record_id") == "MP-NT-1"
    police.fill("#n-guardian_name", "Sunita Devi")
    police.fill("#n-guardian_relation", "mother")
    police.fill("#n-consent_how", "signed consent form at Kotwali PS")
    police.screenshot(path=str(artifacts_dir / "citizen-09-consent-en.png"), full_page=True)
    police.click("#consent-form button[type=submit]")
    police.wait_for_url(re.compile(r"/ui/citizen/notices$"))
    assert "police_patna" in police.locator("#official-notices").inner_text()
    # 2. the public sees first name, age, district and the photo; nothing else
    public_context = browser.new_context(viewport={"width": 1100, "height": 800})
    public = public_context.new_page()
    for lang in ("en", "hi"):
        public.goto(f"{server}/ui/lang/{lang}?next=/ui/public/notices")
        answer = public.goto(f"{server}/ui/public/notices")
        assert_public(public, answer)
        card = public.locator("article.notice-card")
        assert card.count() == 1 and "Pooja" in card.inner_text() and "Patna" in card.inner_text()
        public.wait_for_function(
            "() => { const i = document.querySelector('article.notice-card img'); return i && i.complete && i.naturalWidth > 0; }"
        )
        text = public.content()
        for private in ("Kumari", "Sunita", "9811111111", "Ward 2", "mole", "MP-NT-1", "Kotwali", "Bihar"):
            assert private not in text, private
        public.screenshot(path=str(artifacts_dir / f"citizen-10-notice-{lang}.png"), full_page=True)
    # 3. the DCPU confirms the match in the browser
    context_dcpu, dcpu = staff(browser, server, "dcpu_patna")
    dcpu.goto(f"{server}/ui/records/missing/MP-NT-1")
    candidate = dcpu.locator("li.candidate[data-candidate='FC-NT-1']")
    if candidate.locator("a[href^='/ui/review/']").count():
        candidate.locator("a[href^='/ui/review/']").click()
    else:
        candidate.locator("button[type=submit]").click()
    dcpu.wait_for_url(re.compile(r"/ui/review/\d+"))
    dcpu.fill("#f-note", "mother identified her at Apna Ghar")
    dcpu.click("button[value=confirm]")
    dcpu.wait_for_url(re.compile(r"decided=1"))
    # 4. the notice is gone from the public page at once, and the officers see why
    public.goto(f"{server}/ui/lang/en?next=/ui/public/notices")
    public.goto(f"{server}/ui/public/notices")
    assert public.locator("article.notice-card").count() == 0 and public.locator("#no-notices").count() == 1
    public.screenshot(path=str(artifacts_dir / "citizen-11-withdrawn-en.png"), full_page=True)
    police.goto(f"{server}/ui/lang/hi?next=/ui/citizen/notices")
    row = police.locator("#official-notices tr[data-status='withdrawn']")
    assert row.count() == 1 and "traced" in row.inner_text()
    police.screenshot(path=str(artifacts_dir / "citizen-12-notices-staff-hi.png"), full_page=True)
    for ctx in (context, public_context, context_dcpu):
        ctx.close()
