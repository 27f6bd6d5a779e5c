"""The three daily journeys and the review, end to end in a real headless Chromium.

A police constable files a missing report with a photo; CCI staff file a new arrival with
another photo of the same person and see the report proposed at once; a DCPU officer
opens the pair from the review queue, confirms it with the keyboard, and both records
change status. Screenshots of every page go to test-artifacts/ui/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.slow
FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
CHILD_NAME = "Ravi Kumar"  # must never appear in a title or a URL


class Journey:
    """One user's browser context, with privacy checks on every page it sees."""

    def __init__(self, browser, base: str, shots: Path, *, width: int = 1280, height: int = 720) -> None:  # type: ignore[no-untyped-def]
        self.base, self.shots = base, shots
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.set_default_timeout(120_000)  # the first photo loads FaceNet in the server
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"
        self.check_privacy()

    def check_privacy(self) -> None:
        title = self.page.title()
        assert CHILD_NAME.split()[0].lower() not in title.lower(), f"a child's name is in the title {title!r}"
        assert "ravi" not in self.page.url.lower(), f"a child's name is in the URL {self.page.url}"

    def shoot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def login(self, username: str) -> None:
        self.goto("/ui/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(re.compile(r"/ui/$"))
        self.check_privacy()

    def close(self) -> None:
        # nothing third-party: every request stayed on our server (the app works offline)
        outside = [u for u in self.requests if not u.startswith(self.base) and not u.startswith(("data:", "blob:"))]
        assert not outside, f"requests left the app: {outside}"
        self.context.close()


def test_missing_report_then_arrival_is_proposed_confirmed_and_statuses_change(browser, live_server: str, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    # --- police: a missing report with a photo -----------------------------------------------
    police = Journey(browser, live_server, artifacts_dir)
    police.goto("/ui/login")
    police.shoot("01-login")
    police.login("police_patna")
    police.shoot("02-home-police")
    police.page.get_by_role("link", name="New missing report").click()
    page = police.page
    # client-side validation: the number is required and the message sits next to the field
    page.get_by_role("button", name="Save").click()
    assert page.locator("#f-id-error").inner_text().strip(), "no message next to the empty FIR field"
    police.shoot("03-missing-form-validation")
    page.get_by_label("FIR / GD number").fill("FIR-2026-0412")
    page.get_by_label("Name", exact=True).fill(CHILD_NAME)
    page.get_by_label("Sex").select_option("M")
    page.get_by_label("Age (years)").fill("9")
    page.get_by_label("Date missing").fill("2026-10-20")
    page.get_by_label("City / village").fill("Patna")
    page.get_by_label("Father's name").fill("Suresh Kumar")
    page.get_by_label("Languages spoken").fill("Hindi, Bhojpuri")
    page.get_by_label("Identifying marks").fill("mole on left cheek")
    page.locator("#f-photos").set_input_files(str(FACES / "obama_4.jpg"))
    police.shoot("04-missing-form-filled")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/ui/records/missing/FIR-2026-0412"))
    police.check_privacy()
    assert "Open" in page.locator("#record-status").inner_text()
    assert page.locator(".photos img").count() == 1
    police.shoot("05-missing-record")
    # server-side validation: the same number again is refused next to the field, nothing is lost
    police.goto("/ui/records/new/missing")
    page.get_by_label("FIR / GD number").fill("FIR-2026-0412")
    page.get_by_label("Age (years)").fill("9")
    page.get_by_role("button", name="Save").click()
    assert "exists already" in page.locator("#f-id-error").inner_text()
    police.shoot("06-missing-form-server-error")
    police.close()

    # --- CCI staff: a new arrival; the missing report is proposed at once ---------------------
    cci = Journey(browser, live_server, artifacts_dir)
    cci.login("cci_patna")
    cci.page.get_by_role("link", name="New arrival").click()
    page = cci.page
    page.get_by_label("Admission number").fill("AG-CCI-2026-031")
    page.get_by_label("Name", exact=True).fill("Ravi")
    page.get_by_label("Sex").select_option("M")
    page.get_by_label("Age (years)").fill("10")
    assert page.get_by_label("Age is an estimate").is_checked()
    page.get_by_label("Date found").fill("2026-11-02")
    page.get_by_label("City / village").fill("Patna")
    page.get_by_label("Languages spoken").fill("Bhojpuri")
    page.locator("#f-photos").set_input_files(str(FACES / "obama_5.jpg"))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/ui/records/found/AG-CCI-2026-031"))
    cci.check_privacy()
    assert "Best candidates for this child now" in page.content()
    first = page.locator(".candidate").first
    assert first.get_attribute("data-candidate") == "FIR-2026-0412"
    # the filing answered before matching: the page says candidates are being computed until the
    # server's match worker has queued the pair; reloading then shows it in the review queue
    for _ in range(60):
        if "In the review queue" in first.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
        first = page.locator(".candidate").first
    assert "In the review queue" in first.inner_text(), first.inner_text()
    assert page.locator("#matching-queued").count() == 0
    cci.shoot("07-arrival-candidates")
    # photo search (investigators): the same face comes back first
    cci.goto("/ui/search/photo")
    page.locator("#f-photo").set_input_files(str(FACES / "obama_4.jpg"))
    page.get_by_role("button", name="Find").click()
    page.wait_for_selector(".results .card")
    assert "FIR-2026-0412" in page.locator(".results .card").first.inner_text()
    cci.shoot("08-photo-search")
    # text search in Devanagari finds the Latin-script report (the query is POSTed, not in the URL)
    cci.goto("/ui/search")
    page.get_by_label("Name, nickname, parent or mark").fill("रवि")
    page.get_by_role("button", name="Find").click()
    page.wait_for_selector(".results")
    assert "FIR-2026-0412" in page.locator(".results").inner_text()
    cci.check_privacy()
    cci.shoot("09-text-search-devanagari")
    cci.close()

    # --- DCPU: review queue, side by side, confirm with the keyboard --------------------------
    dcpu = Journey(browser, live_server, artifacts_dir)
    dcpu.login("dcpu_patna")
    page = dcpu.page
    assert page.locator("#open-pairs").inner_text().strip() == "1"
    dcpu.shoot("10-home-dcpu")
    dcpu.goto("/ui/review")
    dcpu.shoot("11-review-queue")
    page.keyboard.press("Enter")  # the first pair is selected; Enter opens it
    page.wait_for_url(re.compile(r"/ui/review/\d+$"))
    dcpu.check_privacy()
    assert page.locator(".side-by-side img").count() == 2
    assert page.locator("table.explain tbody tr").count() >= 3  # the per-feature explanation
    assert page.locator("tr.agree").count() >= 1
    dcpu.shoot("12-review-pair")
    page.keyboard.press("c")  # confirming without a reason only focuses the note
    assert page.evaluate("document.activeElement.id") == "f-note"
    page.get_by_label("Note (a reason is required to confirm)").fill("Same mole; parents identified the child by video call.")
    page.locator("h1").click()  # leave the note so the shortcut is a command, not text
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r"decided=1"))
    assert "Confirmed" in page.locator("#pair-status").inner_text()
    statuses = page.locator(".rec-status").all_inner_texts()
    assert statuses == ["Traced", "Restored to family"], statuses
    dcpu.shoot("13-review-confirmed")
    dcpu.goto("/ui/records/missing/FIR-2026-0412")
    assert "Traced" in page.locator("#record-status").inner_text()
    dcpu.goto("/ui/records/found/AG-CCI-2026-031")
    assert "Restored to family" in page.locator("#record-status").inner_text()

    # --- Hindi: every label switches; names stay as entered -----------------------------------
    page.get_by_role("link", name="हिन्दी").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "hi"
    assert "परिवार को सौंपा गया" in page.locator("#record-status").inner_text()
    dcpu.goto("/ui/review?status=confirmed")
    assert "समीक्षा सूची" in page.locator("h1").inner_text()
    assert "Ravi" in page.content()  # data is shown as entered
    dcpu.shoot("14-review-queue-hindi")
    dcpu.goto("/ui/")
    dcpu.shoot("15-home-hindi")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    dcpu.close()


def test_pages_fit_a_phone_and_label_every_control(browser, live_server: str, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    phone = Journey(browser, live_server, artifacts_dir, width=390, height=844)
    phone.login("police_patna")
    for path, shot in (("/ui/", "20-phone-home"), ("/ui/records/new/missing", "21-phone-missing-form"), ("/ui/search", "22-phone-search")):
        phone.goto(path)
        overflow = phone.page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 390 + 1, f"{path} scrolls sideways on a phone ({overflow}px)"
        unlabelled = phone.page.evaluate(
            """Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
                .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name)"""
        )
        assert unlabelled == [], f"{path}: controls without a label: {unlabelled}"
        phone.shoot(shot)
    phone.close()


def test_logged_out_pages_redirect_and_headers_protect(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(live_server + "/ui/review")
    assert page.url.endswith("/ui/login")
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"
    # a photo is never reachable without a session
    photo = page.request.get(live_server + "/ui/photos/missing/FIR-2026-0412/0", max_redirects=0)
    assert photo.status == 303
    context.close()


def test_server_log_carries_ids_never_names(live_server: str, server_log: Path) -> None:
    """Runs after the journeys: searches for a child's name were made, none reached the log."""
    log = server_log.read_text()
    assert "/ui/records/missing/FIR-2026-0412" in log  # ids are logged
    assert "ravi" not in log.lower() and "रवि" not in log
