"""The hotspot map in a real headless Chromium against a live ``trackchild serve`` (issue 16,
part 2): a state user opens the map of the state (the last 90 days), reads the districts, the
hotspots, the routes and the names no boundary matches, switches to Hindi, and downloads the
CSV and the PNG in both languages; a DCPU of another state sees the same map with small
figures hidden. Screenshots and the downloaded PNGs go to test-artifacts/ui/maps-*.png."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from search_api.config import Settings
from search_api.resources import open_resources
from search_api.review import service as review
from tests.ui.conftest import _cli, browser_login, serving

pytestmark = pytest.mark.slow
PASSWORD = "maps-journey-pass-2026"
USERS = {"state_bihar": ("state", "Bihar", ""), "dcpu_howrah": ("dcpu", "West Bengal", "Howrah")}
TODAY = dt.date.today()
NOW = (TODAY - dt.timedelta(days=20)).isoformat()  # inside the default window (the last 90 days)
BEFORE = (TODAY - dt.timedelta(days=120)).isoformat()  # the 90 days before it
# district (as registers write it), count now, count before, address, coordinates
MISSING = [
    ("Patna", 8, 4, "Patna Junction, platform 3", (25.6036, 85.1370)),
    ("Patna", 3, 2, "Mithapur bus stand", (25.5930, 85.1440)),
    ("Patna", 1, 0, "Hathwa market", None),
    ("Gaya", 6, 8, "Gaya railway station", (24.8030, 85.0000)),
    ("Muzaffarpur", 5, 2, "Muzaffarpur bus stand", (26.1210, 85.3900)),
    ("Bhagalpur", 4, 4, "Bhagalpur Jn.", None),
    ("Darbhanga", 3, 1, "", None),
    ("Purnea", 2, 0, "", None),  # old spelling of Purnia
    ("Monghyr", 3, 1, "Monghyr ghat", None),  # old name of Munger
    ("Nalanda", 1, 0, "", None),
    ("Patliputra", 2, 0, "", None),  # no such district: listed in the footer, not on the map
]
FOUND = [("Patna", "Bihar", 5, "Patna Junction", (25.6040, 85.1380)), ("Howrah", "West Bengal", 2, "Howrah station", None)]
# confirmed pairs: (missing district, found district, how many)
ROUTES = [("Gaya", "Patna", 3), ("Muzaffarpur", "Patna", 2), ("Patna", "Howrah", 2)]


def _records() -> tuple[list[dict], dict[str, list[str]], dict[str, list[str]]]:
    rows, missing_ids, found_ids = [], {}, {}
    n = 0
    for district, now, before, address, coords in MISSING:
        for date, count in ((NOW, now), (BEFORE, before)):
            for _ in range(count):
                n += 1
                place = {"district": district, "state": "Bihar", "address": address}
                if coords:
                    place |= {"lat": coords[0] + (n % 5) * 0.002, "lon": coords[1] - (n % 3) * 0.002}
                rows.append({"kind": "missing", "id": f"MP-MAP-{n}", "name": f"Child {n}", "sex": "F", "age": 10, "date": date,
                             "place": place, "police_station": "Kotwali"})  # fmt: skip
                if date == NOW:
                    missing_ids.setdefault(district, []).append(f"MP-MAP-{n}")
    for district, state, count, address, coords in FOUND:
        for _ in range(count):
            n += 1
            place = {"district": district, "state": state, "address": address}
            if coords:
                place |= {"lat": coords[0], "lon": coords[1]}
            rows.append({"kind": "found", "id": f"FC-MAP-{n}", "name": f"Child {n}", "sex": "F", "age": 10, "date": NOW, "place": place,
                         "cci_name": "Children Home"})  # fmt: skip
            found_ids.setdefault(district, []).append(f"FC-MAP-{n}")
    return rows, missing_ids, found_ids


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("maps")
    data_dir = root / "data"
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(data_dir), "TRACKCHILD_NEW_USER_PASSWORD": PASSWORD,
           "TRACKCHILD_NOTIFY_INTERVAL_SECONDS": "0"}  # fmt: skip
    env.pop("TRACKCHILD_DATABASE_URL", None)
    env.pop("TRACKCHILD_SEARCH_BACKEND", None)
    for username, (role, state, district) in USERS.items():
        _cli(env, "user", "add", username, "--role", role, "--state", state, "--district", district)
    rows, missing_ids, found_ids = _records()
    register = root / "register.jsonl"
    register.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    _cli(env, "ingest", str(register))
    # confirmed matches (the review decision has its own browser journey): written through the review service
    with open_resources(Settings.isolated(data_dir=data_dir)) as res, res.session_factory() as session:
        for m_district, f_district, count in ROUTES:
            f_state = "West Bengal" if f_district == "Howrah" else "Bihar"
            for missing_id, found_id in list(zip(missing_ids[m_district], found_ids[f_district], strict=False))[:count]:
                pair = review.enqueue(session=session, missing_key=f"missing:{missing_id}", found_key=f"found:{found_id}", score=0.9,
                                      explanation={"features": {}}, evidence=missing_id, missing_district=m_district,
                                      found_district=f_district, missing_state="Bihar", found_state=f_state)  # fmt: skip
                if pair is not None:
                    pair.status = "confirmed"
            # one found child per route end is enough to draw it; reuse is fine for a map
        session.commit()
    with serving(env, root / "server.log") as base:
        yield base


def _download(page, selector: str, target: Path) -> Path:  # type: ignore[no-untyped-def]
    with page.expect_download() as info:
        page.click(selector)
    info.value.save_as(str(target))
    return target


def _row(page, region: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(f"#map-regions tr[data-region='{region}'] td").all_inner_texts()


def test_state_user_reads_and_exports_the_hotspot_map(browser, server: str, artifacts_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context, page = browser_login(browser, server, "state_bihar", PASSWORD)
    page.click("nav a[href='/ui/maps']")
    page.wait_for_url(re.compile(r"/ui/maps"))
    assert page.input_value("#m-state") == "Bihar"  # the own state first, the last 90 days
    assert page.locator("#hotspot-map svg path[data-region]").count() == 38
    patna = _row(page, "Patna")
    assert patna[1:4] == ["12", "6", "+100%"], patna  # 12 now, 6 the period before
    assert patna[4] == "8" and patna[5] == "3", patna  # railway station, bus stand
    assert _row(page, "Gaya")[1:4] == ["6", "8", "-25%"]
    assert _row(page, "Purnia")[1] == "2" and _row(page, "Munger")[1] == "3"  # old names on their districts; exact inside the state
    assert page.locator("#hotspot-map circle.hotspot").count() >= 3
    routes = page.locator("#map-routes tbody tr").all_inner_texts()
    assert any(r.startswith("Gaya\tPatna\t3") for r in routes) and any("Howrah, West Bengal\t2" in r for r in routes), routes
    assert "Patliputra" in page.locator("#map-unmatched").inner_text()
    page.screenshot(path=str(artifacts_dir / "maps-01-state-en.png"), full_page=True)

    exported = _download(page, "#map-export-csv", tmp_path / "bihar.csv")
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8"))))
    assert any(r["section"] == "region" and r["district"] == "Patna" and r["kind"] == "missing" and r["count"] == "12" for r in rows)
    assert any(r["section"] == "unmatched" and r["district"] == "Patliputra" for r in rows)
    assert not any("Child " in v for r in rows for v in r.values() if v)  # aggregates only
    png = _download(page, "#map-export-png", artifacts_dir / "maps-03-export-en.png")
    assert Image.open(png).format == "PNG" and Image.open(png).size[0] == 1350

    page.goto(f"{server}/ui/lang/hi?next=/ui/maps")
    page.wait_for_url(re.compile(r"/ui/maps"))
    assert "हॉटस्पॉट नक्शा" in page.content() and "लापता हुए बच्चे" in page.content()
    assert page.locator("#hotspot-map svg path[data-region]").count() == 38
    page.screenshot(path=str(artifacts_dir / "maps-02-state-hi.png"), full_page=True)
    assert _download(page, "#map-export-csv", tmp_path / "bihar-hi.csv").read_text(encoding="utf-8").startswith("section,")
    png = _download(page, "#map-export-png", artifacts_dir / "maps-04-export-hi.png")
    assert Image.open(png).format == "PNG"
    page.select_option("#m-kind", "found")
    page.click("#map-form button[type=submit]")
    page.wait_for_url(re.compile(r"kind=found"))
    assert _row(page, "Patna")[1] == "5"
    page.screenshot(path=str(artifacts_dir / "maps-05-found-hi.png"), full_page=True)
    context.close()

    # a DCPU of another state: the same map, small figures hidden, no hotspot
    context, page = browser_login(browser, server, "dcpu_howrah", PASSWORD)
    page.goto(f"{server}/ui/maps?state=Bihar")
    assert _row(page, "Patna")[1] == "12" and _row(page, "Purnia")[1] == "<3"
    assert page.locator("#hotspot-map circle.hotspot").count() == 0
    assert page.locator("#hotspot-map svg path[fill='url(#suppressed)']").count() >= 2
    page.screenshot(path=str(artifacts_dir / "maps-06-outsider-en.png"), full_page=True)
    context.close()
