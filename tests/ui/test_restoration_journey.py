"""After the match, in a real headless Chromium against a live ``trackchild serve`` (issue 15).

A DCPU officer confirms a pair in the browser; the CWC of the child's district records its
order; the DCPU of the family's district (another state) records the home verification; the
CCI records the hand-over (dated 45 days ago, so the 1-month visit is already overdue); the
server's own notification worker escalates it to the district's nodal officer and then to the
state's, by in-app notification and by email to a real SMTP server on loopback (aiosmtpd),
with no child's name in any message; the officer records the visit in Hindi. Screenshots of
each page in both languages go to test-artifacts/ui/restoration-*.png.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import found_child, missing_report
from tests.live import free_port
from tests.ui.conftest import _cli, add_cli_users, api_login, serving, wait_for_pair

pytestmark = pytest.mark.slow
PASSWORD = "restoration-pass-2026"
CHILD = "Yadavi Rathore"
# username: role, state, district, unit, unit code
USERS = {
    "police_patna": ("police", "Bihar", "Patna", "Kotwali PS", "BR-PAT-0042"),
    "cci_howrah": ("cci", "West Bengal", "Howrah", "Children Home Howrah", "WB-CCI-0117"),
    "cwc_howrah": ("cwc", "West Bengal", "Howrah", "", ""),
    "dcpu_patna": ("dcpu", "Bihar", "Patna", "", ""),
    "state_bihar": ("state", "Bihar", "", "", ""),
}


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("restoration") / "data"
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(data_dir), "TRACKCHILD_NEW_USER_PASSWORD": PASSWORD,
           "TRACKCHILD_SMTP_HOST": "127.0.0.1", "TRACKCHILD_SMTP_PORT": str(mailbox.port),  # type: ignore[attr-defined]
           "TRACKCHILD_NOTIFY_INTERVAL_SECONDS": "1"}  # fmt: skip
    env.pop("TRACKCHILD_DATABASE_URL", None)
    env.pop("TRACKCHILD_SEARCH_BACKEND", None)
    add_cli_users(env, USERS)
    _cli(env, "notify", "nodal", "dcpu_patna", "--on")
    _cli(env, "notify", "nodal", "state_bihar", "--on")
    _cli(env, "notify", "contact", "dcpu_patna", "--email", "dcpu.patna@example.org")
    _cli(env, "notify", "contact", "state_bihar", "--email", "state.bihar@example.org")
    with serving(env, data_dir.parent / "server.log") as base:
        yield base


class Person:
    def __init__(self, browser, base: str, shots: Path, username: str) -> None:  # type: ignore[no-untyped-def]
        self.base, self.shots = base, shots
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.context.set_default_timeout(60_000)
        self.page = self.context.new_page()
        self.page.goto(f"{base}/ui/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r"/ui/$"))

    def goto(self, path: str) -> None:
        answer = self.page.goto(self.base + path)
        assert answer is not None and answer.ok, path
        assert CHILD.split()[0].lower() not in self.page.title().lower()

    def shoot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"restoration-{name}.png"), full_page=True)

    def language(self, lang: str) -> None:
        self.page.goto(f"{self.base}/ui/lang/{lang}?next=/ui/")


def wait_for(check, seconds: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_confirm_order_verify_hand_over_escalate_and_follow_up(browser, server: str, mailbox: Mailbox, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    # the two records (filed over the API: the filing journeys have their own browser test)
    report = missing_report(id="MP-RJ-1", name=CHILD, age=8, sex="F", date="2025-05-01", marks="scar on chin", police_station="Kotwali PS")
    assert httpx.post(f"{server}/records", json=report, headers=api_login(server, "police_patna", PASSWORD), timeout=120).status_code == 201
    child = found_child(id="FC-RJ-1", name=CHILD, age=8, sex="F", date="2025-05-20", marks="scar on chin", cci_name="Children Home Howrah")
    assert httpx.post(f"{server}/records", json=child, headers=api_login(server, "cci_howrah", PASSWORD), timeout=120).status_code == 201
    wait_for_pair(server, api_login(server, "dcpu_patna", PASSWORD), "found:FC-RJ-1")  # the server's match worker queues it

    # 1. the DCPU of the family's district confirms the pair in the browser
    dcpu = Person(browser, server, artifacts_dir, "dcpu_patna")
    dcpu.goto("/ui/review")
    dcpu.page.locator("tr[data-href] a").first.click()
    dcpu.page.fill("#f-note", "mother identified her from the photo; FIR matches")
    dcpu.page.click("button[value=confirm]")
    dcpu.page.wait_for_url(re.compile(r"decided=1"))
    dcpu.goto("/ui/restoration")
    dcpu.shoot("01-cases-en")
    case_link = dcpu.page.locator("#cases a").first
    case_path = case_link.get_attribute("href")
    assert case_path and case_path.startswith("/ui/restoration/")

    # 2. the CWC of the child's district orders restoration
    cwc = Person(browser, server, artifacts_dir, "cwc_howrah")
    cwc.goto(case_path)
    assert cwc.page.locator("#form-home_verification").count() == 0  # not the CWC's step
    cwc.page.select_option("#cwc_order-order_type", "restoration")
    cwc.page.fill("#cwc_order-order_no", "CWC/HWH/2025/114")
    cwc.page.fill("#cwc_order-order_date", "2025-06-02")
    cwc.shoot("02-cwc-order-en")
    cwc.page.click("#form-cwc_order button[type=submit]")
    cwc.page.wait_for_url(re.compile(r"recorded=cwc_order"))

    # 3. home verification by the family district's DCPU (another state)
    dcpu.goto(case_path)
    dcpu.page.fill("#home_verification-report_date", "2025-06-10")
    dcpu.page.select_option("#home_verification-outcome", "favourable")
    dcpu.page.click("#form-home_verification button[type=submit]")
    dcpu.page.wait_for_url(re.compile(r"recorded=home_verification"))

    # 4. hand-over by the CCI, 45 days ago: the 1-month visit is overdue at once
    handed = (dt.date.today() - dt.timedelta(days=45)).isoformat()
    cci = Person(browser, server, artifacts_dir, "cci_howrah")
    cci.goto(case_path)
    cci.page.fill("#handover-date", handed)
    cci.page.fill("#handover-escorting_unit", "Children Home Howrah")
    cci.page.fill("#handover-receiving_person", "mother")
    cci.page.fill("#handover-relation", "mother")
    cci.page.fill("#handover-id_document", "Aadhaar seen")
    cci.page.click("#form-handover button[type=submit]")
    cci.page.wait_for_url(re.compile(r"recorded=handover"))
    assert "Restored" in cci.page.locator("#case-status").inner_text()
    cci.shoot("03-handed-over-en")

    # 5. the server's worker escalates: the district's nodal officer, then the state's, by email too
    def emails_to(address: str) -> list[str]:
        return [body for to, body in mailbox.messages if address in to]

    assert wait_for(lambda: [b for b in emails_to("dcpu.patna@example.org") if "Overdue" in b]), mailbox.messages
    assert wait_for(lambda: [b for b in emails_to("state.bihar@example.org") if "Overdue" in b]), mailbox.messages
    for _to, body in mailbox.messages:
        assert "Yadavi" not in body and "Rathore" not in body, body
    dcpu.goto("/ui/restoration")
    assert "1-month" in dcpu.page.locator("#overdue").inner_text() or "1 month" in dcpu.page.locator("#overdue").inner_text()
    assert int(dcpu.page.locator("#bell .count").inner_text()) >= 1
    dcpu.shoot("04-overdue-en")
    dcpu.goto("/ui/notifications")
    assert "Overdue" in dcpu.page.locator(".inbox").inner_text()
    state = Person(browser, server, artifacts_dir, "state_bihar")
    state.goto("/ui/restoration")
    assert "Overdue" not in state.page.locator("#cases").inner_text()  # the state sees what is overdue, not the case
    assert state.page.locator("#overdue .overdue-row").count() >= 1
    assert state.page.goto(f"{server}{case_path}").status == 403

    # 6. the 1-month visit, recorded in Hindi
    dcpu.language("hi")
    dcpu.goto(case_path)
    assert "अनुवर्ती भेंट, 1 माह" in dcpu.page.content()
    dcpu.shoot("05-case-hi")
    dcpu.page.fill("#followup_1m-visit_date", (dt.date.today() - dt.timedelta(days=10)).isoformat())
    dcpu.page.select_option("#followup_1m-outcome", "settled")
    dcpu.page.click("#form-followup_1m button[type=submit]")
    dcpu.page.wait_for_url(re.compile(r"recorded=followup_1m"))
    assert "चरण दर्ज हुआ" in dcpu.page.content()
    assert dcpu.page.locator("tr[data-step=followup_1m]").inner_text().count("dcpu_patna") == 1
    dcpu.goto("/ui/restoration")
    dcpu.shoot("06-cases-hi")
    for person in (dcpu, cwc, cci, state):
        person.context.close()
