"""Page behaviour that needs no browser: CSRF, redirects, labels in both languages, photo access."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search_api import Settings, open_resources
from tests.factories import add_users
from ui import create_web_app
from ui.i18n import LABELS

TEMPLATES = Path(__file__).resolve().parents[2] / "ui" / "templates"
PASSWORD = "pages-test-pass-2026"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    from search_api.db import create_service_schema

    with open_resources(settings) as res:
        create_service_schema(res.engine)
        people = [(name, role, "Bihar", "Patna", "") for name, role in (("police1", "police"), ("cci1", "cci"), ("admin1", "admin"))]
        add_users(res, password=PASSWORD, people=people)
    with TestClient(create_web_app(settings)) as test_client:
        yield test_client


def _login(client: TestClient, username: str) -> None:
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/ui/login", data={"username": username, "password": PASSWORD, "login_csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_every_label_used_in_templates_exists_in_both_languages() -> None:
    used = set()
    for path in TEMPLATES.rglob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_0-9]+)["']\s*\)""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in LABELS)
    assert not missing, f"labels used but not defined: {missing}"
    untranslated = sorted(k for k, (en, hi) in LABELS.items() if not hi.strip() or (hi == en and k != "app_name"))
    assert not untranslated, f"no Hindi for: {untranslated}"


def test_login_needs_the_form_token_and_the_right_password(client: TestClient) -> None:
    assert client.post("/ui/login", data={"username": "police1", "password": PASSWORD}).status_code == 400  # no token
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    wrong = client.post("/ui/login", data={"username": "police1", "password": "nope-nope-nope", "login_csrf": nonce})
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    assert "tc_session" not in client.cookies


def test_forms_without_the_session_token_are_refused_and_nothing_is_stored(client: TestClient) -> None:
    _login(client, "police1")
    answer = client.post("/ui/records/new/missing", data={"csrf": "forged", "id": "FIR-X", "name": "A"})
    assert answer.status_code == 400
    assert client.get("/ui/records/missing/FIR-X").status_code == 404


def test_a_bad_photo_is_named_next_to_the_field_and_no_record_is_made(client: TestClient) -> None:
    _login(client, "police1")
    token = _csrf(client.get("/ui/records/new/missing").text)
    answer = client.post(
        "/ui/records/new/missing",
        data={"csrf": token, "id": "FIR-Y", "name": "Asha", "age": "seven"},
        files={"photos": ("x.jpg", b"this is not an image", "image/jpeg")},
    )
    assert answer.status_code == 422
    assert re.search(r'id="f-photos-error"[^>]*>[^<]*x\.jpg', answer.text), "the photo error is not next to the photo field"
    assert re.search(r'id="f-age-error"[^>]*>must be a number', answer.text)
    assert client.get("/ui/records/missing/FIR-Y").status_code == 404


def test_a_refused_form_keeps_none_of_its_photos(client: TestClient, settings: Settings) -> None:
    """Issue 11: the photos of a form refused (a bad field, another station's number) leave no
    file in the store; one another record already holds stays."""
    faces = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
    with open_resources(settings) as res:
        add_users(res, password=PASSWORD, people=[("police2", "police", "Bihar", "Patna", "PS Kotwali")])
    _login(client, "police2")
    photo, other = (faces / "obama_4.jpg").read_bytes(), (faces / "obama_5.jpg").read_bytes()
    token = _csrf(client.get("/ui/records/new/missing").text)
    kept = client.post(
        "/ui/records/new/missing",
        data={"csrf": token, "id": "FIR-KEPT", "name": "Asha", "sex": "F", "age": "7"},
        files={"photos": ("a.jpg", photo, "image/jpeg")},
        follow_redirects=False,
    )
    assert kept.status_code == 303, kept.text
    held = sorted((settings.data_dir / "photos").rglob("*.jpg"))
    another_station = {"age": "7", "police_station": "Another Station", "police_station_code": "PS-ELSEWHERE"}
    for fields, status in (({"age": "seven"}, 422), (another_station, 403)):
        refused = client.post(
            "/ui/records/new/missing",
            data={"csrf": token, "id": "FIR-REFUSED", "name": "Asha", "sex": "F", **fields},
            files=[("photos", ("b.jpg", other, "image/jpeg")), ("photos", ("c.jpg", photo, "image/jpeg"))],
        )
        assert refused.status_code == status, refused.text
        assert sorted((settings.data_dir / "photos").rglob("*.jpg")) == held, fields
    assert client.get("/ui/records/missing/FIR-REFUSED").status_code == 404


def test_roles_see_only_their_forms(client: TestClient) -> None:
    _login(client, "cci1")
    assert client.get("/ui/records/new/missing").status_code == 403
    assert client.get("/ui/records/new/found").status_code == 200
    assert client.get("/ui/review").status_code == 403


def test_language_switch_never_redirects_off_site(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/ui", "/ui\\@evil"):
        answer = client.get("/ui/lang/hi", params={"next": target}, follow_redirects=False)
        assert answer.headers["location"] == "/ui/"
    _login(client, "police1")
    assert "खोजें" in client.get("/ui/search").text


def test_audit_page_shows_the_trail_and_the_chain_check(client: TestClient) -> None:
    _login(client, "police1")
    assert client.get("/ui/audit").status_code == 403
    client.cookies.clear()
    _login(client, "admin1")
    page = client.get("/ui/audit", params={"action": "login"})
    assert page.status_code == 200 and "The chain is intact" in page.text
    assert "police1 (police)" in page.text and "admin1 (admin)" in page.text


@pytest.mark.slow
def test_a_photo_with_several_faces_is_kept_and_said_at_once_with_what_to_do(client: TestClient, settings: Settings) -> None:
    faces = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
    with open_resources(settings) as res:
        add_users(res, password=PASSWORD, people=[("police2", "police", "Bihar", "Patna", "PS Kotwali")])
    _login(client, "police2")
    token = _csrf(client.get("/ui/records/new/missing").text)
    answer = client.post(
        "/ui/records/new/missing",
        data={"csrf": token, "id": "FIR-PH", "name": "Asha", "sex": "F", "age": "7"},
        files={"photos": ("kit.jpg", (faces / "kit_with_rose.jpg").read_bytes(), "image/jpeg")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("?saved=1&photo=several_faces")
    page = client.get(answer.headers["location"]).text
    assert 'id="photo-several_faces"' in page and "Crop the photo to the child" in page
    assert "&lt;script" not in client.get("/ui/records/missing/FIR-PH?photo=<script>").text  # unknown codes are dropped


def test_record_pages_link_the_district_directory(client: TestClient, settings: Settings) -> None:
    """Issue 16 part 1: a record page links its district's services (police stations for a missing
    report, CWC members for a found child), for users who see the record in full."""
    from tests.factories import missing_report

    with open_resources(settings) as res:
        report = res.ingestor().ingest_records([missing_report(id="MP-DIR-1", name="Kamla Devi")])
        assert report.ok, report.rejected
    _login(client, "admin1")
    page = client.get("/ui/records/missing/MP-DIR-1").text
    links = re.search(r'id="directory-links">(.*?)</p>', page, re.S)
    assert links, page[:2000]
    assert "type=police_station" in links.group(1) and "district=" in links.group(1)


def test_a_record_filed_says_its_candidates_are_being_computed_until_its_match_job_ran(client: TestClient, settings: Settings) -> None:
    """Issue 11: the filing answers before matching; the record page says so (in both languages)
    while the job waits, and no longer once it ran."""
    from tests.factories import run_match_jobs

    _login(client, "cci1")
    token = _csrf(client.get("/ui/records/new/found").text)
    answer = client.post("/ui/records/new/found", data={"csrf": token, "id": "AG-MJ-1", "name": "Ravi", "sex": "M", "age": "10"},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"]).text
    assert 'id="matching-queued"' in page and "Candidates are being computed" in page
    client.cookies.set("tc_lang", "hi")
    assert "संभावित मिलान खोजे जा रहे हैं" in client.get(answer.headers["location"]).text
    client.cookies.set("tc_lang", "en")
    with open_resources(settings) as res:
        assert run_match_jobs(res).done == 1
    assert 'id="matching-queued"' not in client.get("/ui/records/found/AG-MJ-1").text
