"""Documents on restoration steps and children in care, in a real headless Chromium against a
live ``trackchild serve`` (issue 15): the CWC attaches its order (a real PDF) to the case, the
family district's DCPU attaches a scanned report (a JPEG) in Hindi, a refused PDF says why;
a CCI keeps a child's care plan; the CWC asks for a transfer to a CCI in another state, which
acknowledges it on its roll. Screenshots in both languages go to test-artifacts/ui/care-*.png.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfWriter

from tests.factories import found_child, missing_report
from tests.ui.conftest import _cli, add_cli_users, api_login, serving, wait_for_pair
from tests.ui.test_restoration_journey import Person

pytestmark = pytest.mark.slow
PASSWORD = "restoration-pass-2026"  # Person logs in with the restoration journey's password
CHILD = "Yadavi Rathore"
USERS = {
    "police_patna": ("police", "Bihar", "Patna", "Kotwali PS", "BR-PAT-0042"),
    "cci_howrah": ("cci", "West Bengal", "Howrah", "Children Home Howrah", "WB-CCI-0117"),
    "cwc_howrah": ("cwc", "West Bengal", "Howrah", "", ""),
    "dcpu_patna": ("dcpu", "Bihar", "Patna", "", ""),
    "cci_patna": ("cci", "Bihar", "Patna", "Apna Ghar Patna", "BR-CCI-0005"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("care") / "data"
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(data_dir), "TRACKCHILD_NEW_USER_PASSWORD": PASSWORD,
           "TRACKCHILD_NOTIFY_INTERVAL_SECONDS": "1"}  # fmt: skip
    env.pop("TRACKCHILD_DATABASE_URL", None)
    env.pop("TRACKCHILD_SEARCH_BACKEND", None)
    add_cli_users(env, USERS)
    _cli(env, "care", "cci", "WB-CCI-0117", "--capacity", "2", "--state", "West Bengal", "--district", "Howrah",
         "--name", "Children Home Howrah")  # fmt: skip
    _cli(env, "care", "cci", "BR-CCI-0005", "--capacity", "40", "--state", "Bihar", "--district", "Patna", "--name", "Apna Ghar Patna")
    with serving(env, data_dir.parent / "server.log") as base:
        yield base


def order_pdf(pages: int = 2, *, script: bool = False) -> bytes:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if script:
        action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1);")})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned_report() -> bytes:
    page = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    draw = ImageDraw.Draw(page)
    for y in range(200, 1600, 60):
        draw.line((120, y, 1120, y), fill=(60, 60, 60), width=3)
    out = io.BytesIO()
    page.save(out, "JPEG", quality=80)
    return out.getvalue()


def test_documents_on_steps_care_plan_roll_and_transfer(browser, server: str, artifacts_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def shoot(person: Person, name: str) -> None:
        person.page.screenshot(path=str(artifacts_dir / f"care-{name}.png"), full_page=True)

    # a confirmed pair (over the API: the review journey has its own browser test), and two children in care
    report = missing_report(id="MP-CJ-1", name=CHILD, age=8, sex="F", date="2025-05-01", marks="scar on chin", police_station="Kotwali PS")
    assert httpx.post(f"{server}/records", json=report, headers=api_login(server, "police_patna", PASSWORD), timeout=120).status_code == 201
    cci_api = api_login(server, "cci_howrah", PASSWORD)
    child = found_child(id="FC-CJ-1", name=CHILD, age=8, sex="F", date="2025-05-20", marks="scar on chin", cci_name="Children Home Howrah")
    assert httpx.post(f"{server}/records", json=child, headers=cci_api, timeout=120).status_code == 201
    for i, name in enumerate(("Sunil Oraon", "Meena Kisku", "Ravi Hansda")):
        howrah = {"city": "Howrah", "district": "Howrah", "state": "West Bengal"}
        kept = found_child(id=f"FC-CARE-{i}", name=name, age=10 + i, sex="M" if i != 1 else "F", date=f"2026-0{i + 1}-15", place=howrah,
                           cci_name="Children Home Howrah")  # fmt: skip
        assert httpx.post(f"{server}/records", json=kept, headers=cci_api, timeout=120).status_code == 201
    officer = api_login(server, "dcpu_patna", PASSWORD)
    pair = wait_for_pair(server, officer, "found:FC-CJ-1")  # queued by the server's match worker, after the filing
    decided = httpx.post(f"{server}/review/pairs/{pair['pk']}/decision", json={"decision": "confirm", "note": "mother identified her"},
                         headers=officer, timeout=120)  # fmt: skip
    assert decided.status_code == 200, decided.text
    case = httpx.get(f"{server}/restoration/cases", headers=officer, timeout=30).json()[0]["pk"]
    case_path = f"/ui/restoration/{case}"
    (tmp_path / "cwc-order.pdf").write_bytes(order_pdf(2))
    (tmp_path / "order-with-script.pdf").write_bytes(order_pdf(1, script=True))
    (tmp_path / "home-report.jpg").write_bytes(scanned_report())

    # 1. the CWC attaches its order: a script-carrying PDF is refused with the reason, the real one is kept
    cwc = Person(browser, server, artifacts_dir, "cwc_howrah")
    cwc.goto(case_path)
    cwc.page.select_option("#document-step", "cwc_order")
    cwc.page.set_input_files("#document-file", str(tmp_path / "order-with-script.pdf"))
    cwc.page.click("#form-document button[type=submit]")
    assert "JavaScript" in cwc.page.locator(".alert").inner_text()
    shoot(cwc, "01-document-refused-en")
    cwc.page.select_option("#document-step", "cwc_order")
    cwc.page.fill("#document-label", "CWC order CWC/HWH/2025/114")
    cwc.page.set_input_files("#document-file", str(tmp_path / "cwc-order.pdf"))
    cwc.page.click("#form-document button[type=submit]")
    cwc.page.wait_for_url(re.compile(r"attached=cwc_order"))
    row = cwc.page.locator("tr[data-step=cwc_order]")
    assert "CWC order CWC/HWH/2025/114" in row.inner_text() and "2 page(s)" in row.inner_text()
    with cwc.page.expect_download() as download:
        row.locator("a[data-document]").click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == (tmp_path / "cwc-order.pdf").read_bytes()
    assert "Yadavi" not in download.value.suggested_filename
    shoot(cwc, "02-document-attached-en")

    # 2. the family district's DCPU attaches the scanned home report, in Hindi
    dcpu = Person(browser, server, artifacts_dir, "dcpu_patna")
    dcpu.language("hi")
    dcpu.goto(case_path)
    assert "दस्तावेज़ जोड़ें" in dcpu.page.content()
    assert dcpu.page.locator("#document-step option").all_inner_texts() == ["गृह सत्यापन (सामाजिक जाँच रिपोर्ट)"]  # its own step only
    dcpu.page.fill("#document-label", "सामाजिक जाँच रिपोर्ट")
    dcpu.page.set_input_files("#document-file", str(tmp_path / "home-report.jpg"))
    dcpu.page.click("#form-document button[type=submit]")
    dcpu.page.wait_for_url(re.compile(r"attached=home_verification"))
    assert "दस्तावेज़ जोड़ा गया" in dcpu.page.content()
    assert "सामाजिक जाँच रिपोर्ट" in dcpu.page.locator("tr[data-step=home_verification]").inner_text()
    shoot(dcpu, "03-case-documents-hi")

    # 3. the CCI keeps a child's care plan: from the record page to the plan, a goal and a service
    cci = Person(browser, server, artifacts_dir, "cci_howrah")
    cci.goto("/ui/")
    assert cci.page.locator("#children-in-care a").count() == 1
    cci.goto("/ui/records/found/FC-CARE-0")
    cci.page.click("#care-link")
    cci.page.wait_for_url(re.compile(r"/ui/care/children/FC-CARE-0$"))
    cci.page.select_option("#goal-domain", "education")
    cci.page.fill("#goal-start", "2026-02-01")
    cci.page.fill("#goal-target", "2026-06-30")
    cci.page.fill("#goal-text", "Enrol in class 5 at the government school nearby")
    cci.page.click("#form-goal button[type=submit]")
    cci.page.wait_for_url(re.compile(r"saved=goal"))
    cci.page.select_option("#event-kind", "service")
    cci.page.fill("#event-on", "2026-02-15")
    cci.page.fill("#event-what", "Counselling session with the district's child psychologist")
    cci.page.fill("#event-reference", "DCPU/HWH/C/44")
    cci.page.click("#form-event button[type=submit]")
    cci.page.wait_for_url(re.compile(r"saved=event"))
    assert "Enrol in class 5" in cci.page.locator("#goals").inner_text()
    assert "Counselling session" in cci.page.locator("#events").inner_text()
    shoot(cci, "04-care-plan-en")
    cci.goto("/ui/care/ccis/WB-CCI-0117/roll")
    assert cci.page.locator("#in-care").inner_text() == "3" and cci.page.locator("#occupancy").inner_text() == "150%"
    assert cci.page.locator("#over-capacity").count() == 1
    shoot(cci, "05-roll-en")

    # 4. the CWC asks for a transfer to a CCI in another state; nothing moves until it acknowledges
    cwc.goto("/ui/care/children/FC-CARE-2")
    cwc.page.select_option("#event-kind", "review")
    cwc.page.fill("#event-on", "2026-03-01")
    cwc.page.click("#form-event button[type=submit]")
    cwc.page.wait_for_url(re.compile(r"saved=event"))
    cwc.page.fill("#transfer-code", "BR-CCI-0005")
    cwc.page.fill("#transfer-order", "CWC/HWH/2026/31")
    cwc.page.click("#form-transfer button[type=submit]")
    cwc.page.wait_for_url(re.compile(r"saved=transfer"))
    assert "Waiting for the receiving CCI" in cwc.page.locator("#transfers").inner_text()
    shoot(cwc, "06-transfer-asked-en")
    patna = Person(browser, server, artifacts_dir, "cci_patna")
    patna.language("hi")
    patna.goto("/ui/care/ccis/BR-CCI-0005/roll")
    assert patna.page.locator("tr[data-child]").count() == 0
    shoot(patna, "07-roll-incoming-hi")
    patna.page.click("form[id^=answer-] button[value=acknowledge]")
    patna.page.wait_for_url(re.compile(r"answered=acknowledged"))
    assert patna.page.locator("tr[data-child=FC-CARE-2]").count() == 1
    shoot(patna, "08-roll-acknowledged-hi")
    patna.goto("/ui/care/children/FC-CARE-2")
    assert "स्थानांतरण" in patna.page.locator("#events").inner_text() and "BR-CCI-0005" in patna.page.content()
    shoot(patna, "09-care-plan-hi")
    cci.goto("/ui/care/ccis/WB-CCI-0117/roll")
    assert cci.page.locator("#in-care").inner_text() == "2"

    # 5. notification preferences
    cci.goto("/ui/notifications/preferences")
    cci.page.fill("#pref-email", "home.howrah@example.org")
    cci.page.check("#pref-digest")
    cci.page.click("#preferences button[type=submit]")
    cci.page.wait_for_url(re.compile(r"saved=1"))
    assert cci.page.locator("#pref-digest").is_checked()
    shoot(cci, "10-preferences-en")
    for person in (cwc, dcpu, cci, patna):
        for page in (person.page,):
            assert CHILD.split()[0] not in page.title()
        person.context.close()
