"""Care pages (issue 15) without a browser: a found child's care plan and history, a CCI's roll
with occupancy, a transfer asked on one page and acknowledged on the other CCI's roll, the
notification preferences page, in English and Hindi."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from search_api import Settings
from search_api.care import service as care
from tests.factories import add_users, found_child
from ui import create_web_app

PASSWORD = "care-pages-pass-2026"
HOWRAH = {"city": "Howrah", "district": "Howrah", "state": "West Bengal"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_web_app(settings)) as test_client:
        res = test_client.app.state.resources
        add_users(res, password=PASSWORD, people=[
            ("home", "cci", "West Bengal", "Howrah", "Bal Ashram", "WB-CCI-17"),
            ("cwc_howrah", "cwc", "West Bengal", "Howrah", ""),
            ("patna_home", "cci", "Bihar", "Patna", "Bal Ashram Patna", "BR-CCI-5"),
            ("police_howrah", "police", "West Bengal", "Howrah", "Howrah PS", "WB-PS-1"),
        ])  # fmt: skip
        children = [found_child(id=f"FC-P-{i}", name=f"Meena Sarkar {i}", date="2026-01-10", place=HOWRAH, cci_name="Bal Ashram",
                                cci_code="WB-CCI-17") for i in range(3)]  # fmt: skip
        assert res.ingestor().ingest_records(children).ok
        with res.session_factory() as session:
            care.set_cci(session=session, code="WB-CCI-17", name="Bal Ashram", state="West Bengal", district="Howrah", capacity=2)
            care.set_cci(session=session, code="BR-CCI-5", name="Bal Ashram Patna", state="Bihar", district="Patna", capacity=10)
            session.commit()
        yield test_client


def _login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/ui/login", data={"username": username, "password": PASSWORD, "login_csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_care_plan_and_roll_pages_with_forms_in_both_languages(client: TestClient) -> None:
    _login(client, "home")
    home = client.get("/ui/")
    assert 'href="/ui/care/ccis/WB-CCI-17/roll"' in home.text  # the CCI's own roll from the home page
    record = client.get("/ui/records/found/FC-P-0")
    assert 'id="care-link"' in record.text and "/ui/care/children/FC-P-0" in record.text
    page = client.get("/ui/care/children/FC-P-0")
    assert page.status_code == 200 and 'id="form-goal"' in page.text and 'id="form-transfer"' in page.text
    csrf = _csrf(page.text)
    goal = {"csrf": csrf, "domain": "education", "goal": "enrol in class 4", "start_date": "2026-02-01", "target_date": "2026-06-30",
            "setting": "institution"}  # fmt: skip
    assert client.post("/ui/care/children/FC-P-0/goals", data=goal, follow_redirects=False).status_code == 303
    bad = client.post("/ui/care/children/FC-P-0/goals", data={**goal, "start_date": "01/02/2026"})
    assert bad.status_code == 422 and "start_date" in bad.text
    assert "enrol in class 4" in bad.text  # the form keeps what was typed
    review = {"csrf": csrf, "kind": "review", "on": "2026-03-01"}
    refused = client.post("/ui/care/children/FC-P-0/events", data=review)
    assert refused.status_code == 403  # reviews are the CWC's
    service = {"csrf": csrf, "kind": "service", "on": "2026-02-15", "what": "counselling session", "reference": "DCPU/C/4"}
    assert client.post("/ui/care/children/FC-P-0/events", data=service, follow_redirects=False).status_code == 303
    page = client.get("/ui/care/children/FC-P-0?saved=event")
    assert "enrol in class 4" in page.text and "counselling session" in page.text and "Service received" in page.text
    # the roll: 3 children against a capacity of 2
    roll = client.get("/ui/care/ccis/WB-CCI-17/roll")
    assert roll.status_code == 200 and 'id="occupancy">150%' in roll.text and 'id="over-capacity"' in roll.text
    assert roll.text.count('data-child="FC-P-') == 3 and "Meena" not in roll.text  # ids on the roll, names on the records
    # Hindi
    client.get("/ui/lang/hi")
    hindi = client.get("/ui/care/children/FC-P-0")
    assert "देखभाल योजना" in hindi.text and "शिक्षा" in hindi.text and "प्राप्त सेवा" in hindi.text
    assert "अभी देखभाल में" in client.get("/ui/care/ccis/WB-CCI-17/roll").text
    client.get("/ui/lang/en")
    # outsiders: the police see neither page
    _login(client, "police_howrah")
    assert client.get("/ui/care/children/FC-P-0").status_code == 403
    assert client.get("/ui/care/ccis/WB-CCI-17/roll").status_code == 403


def test_a_transfer_asked_on_the_care_page_is_acknowledged_on_the_receiving_roll(client: TestClient) -> None:
    _login(client, "cwc_howrah")
    page = client.get("/ui/care/children/FC-P-1")
    asked = client.post("/ui/care/children/FC-P-1/transfers", data={"csrf": _csrf(page.text), "to_code": "BR-CCI-5", "order_no": "CWC/9"},
                        follow_redirects=False)  # fmt: skip
    assert asked.status_code == 303
    _login(client, "patna_home")
    roll = client.get("/ui/care/ccis/BR-CCI-5/roll")
    assert 'data-child="FC-P-1"' not in roll.text and 'id="answer-1"' in roll.text  # not yet the receiver's child
    done = client.post("/ui/care/transfers/1/answer", data={"csrf": _csrf(roll.text), "answer": "acknowledge", "code": "BR-CCI-5"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    roll = client.get(done.headers["location"])
    assert 'data-child="FC-P-1"' in roll.text and 'id="transfer-answered"' in roll.text
    _login(client, "home")
    assert 'data-child="FC-P-1"' not in client.get("/ui/care/ccis/WB-CCI-17/roll").text


def test_notification_preferences_page(client: TestClient) -> None:
    _login(client, "home")
    page = client.get("/ui/notifications/preferences")
    assert page.status_code == 200 and 'id="preferences"' in page.text
    csrf = _csrf(page.text)
    bad = client.post("/ui/notifications/preferences", data={"csrf": csrf, "email": "not an address", "email_enabled": "on"})
    assert bad.status_code == 422 and "name@example.org" in bad.text
    values = {"csrf": csrf, "email": "home@example.org", "phone": "+91 98300 00000", "sms_enabled": "on", "daily_digest": "on"}
    saved = client.post("/ui/notifications/preferences", data=values, follow_redirects=False)
    assert saved.status_code == 303
    shown = client.get("/ui/notifications/preferences?saved=1").text
    assert 'value="home@example.org"' in shown and 'id="preferences-saved"' in shown
    assert re.search(r'name="email_enabled" id="pref-email-enabled"\s*>', shown)  # unticked: emails off
    assert re.search(r'name="daily_digest" id="pref-digest" checked', shown)
    assert client.post("/ui/notifications/preferences", data={"email": "x@y.z"}).status_code == 400  # no form token
    client.get("/ui/lang/hi")
    assert "सूचना की प्राथमिकताएँ" in client.get("/ui/notifications/preferences").text
