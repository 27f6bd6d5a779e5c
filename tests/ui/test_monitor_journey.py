"""Monitoring (issue 16, part 3) in a real headless Chromium against a live ``trackchild serve``:
a state user opens the dashboard, clicks a bar and a point of its charts and lands on their
lists (the counts match); downloads the weekly digest PDF; a police officer logs actions on a
report of their station, which leaves the "no action" list; in English and Hindi. Screenshots go
to test-artifacts/ui/monitor-*.png (and the digest's first page as monitor-07-digest-pdf.png)."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import add_cli_users, browser_login, serving

pytestmark = pytest.mark.slow
PASSWORD = "monitor-pass-2026"
USERS = {
    "state_bihar": ("state", "Bihar", "", "", ""),
    "police_patna": ("police", "Bihar", "Patna", "Kotwali", "BR-PAT-001"),
}
STATIONS = {"Patna": "BR-PAT-001", "Gaya": "BR-GAY-001", "Muzaffarpur": "BR-MUZ-001", "Bhagalpur": "BR-BGP-001"}
TODAY = dt.datetime.now(dt.UTC).date()
IDLE = "MP-PAT-IDLE"  # open for 100 days with nothing logged: the officer logs an action on it


def _seed(data_dir: Path) -> None:
    """Forty-odd reports across four districts of Bihar (and one in West Bengal), dated over the
    last year, some traced through confirmed matches (a few restored), pairs waiting for review,
    a duplicate flag, and backdated action log entries."""
    from indexer import get_records_by_keys
    from search_api.config import Settings
    from search_api.monitoring.models import PoliceActionRow
    from search_api.resources import open_resources
    from search_api.restoration import service as restoration
    from search_api.restoration.models import RestorationStepRow
    from search_api.review import service as review
    from search_api.review.models import DuplicateFlagRow

    rng = random.Random(16)
    records, traced = [], []
    for n in range(44):
        district = list(STATIONS)[n % 4]
        age_days = rng.randint(1, 360)
        status = "traced" if age_days > 20 and rng.random() < 0.45 else "open"
        rid = f"MP-{district[:3].upper()}-{n:03d}"
        records.append(
            {
                "kind": "missing",
                "id": rid,
                "name": f"Child {n}",
                "sex": "F" if n % 2 else "M",
                "age": 6 + n % 9,
                "date": (TODAY - dt.timedelta(days=age_days)).isoformat(),
                "status": status,
                "place": {"district": district, "state": "Bihar"},
                "police_station": "Kotwali",
                "police_station_code": STATIONS[district],
            }
        )
        if status == "traced":
            traced.append((rid, district, age_days))
    records.append(
        {
            "kind": "missing",
            "id": IDLE,
            "name": "Sunita",
            "sex": "F",
            "age": 11,
            "date": (TODAY - dt.timedelta(days=100)).isoformat(),
            "place": {"district": "Patna", "state": "Bihar"},
            "police_station": "Kotwali",
            "police_station_code": "BR-PAT-001",
        }
    )
    records.append(
        {
            "kind": "missing",
            "id": "MP-HWH-1",
            "name": "Rina",
            "sex": "F",
            "age": 8,
            "date": "2026-01-05",
            "place": {"district": "Howrah", "state": "West Bengal"},
            "police_station_code": "WB-HWH-001",
        }
    )
    for n, (_rid, district, _days) in enumerate(traced):
        records.append(
            {
                "kind": "found",
                "id": f"FC-{n:03d}",
                "name": f"Child {n}",
                "sex": "F",
                "age": 9,
                "place": {"district": district, "state": "Bihar"},
                "cci_name": "Bal Ashram",
                "cci_code": f"CCI/BR/{n}",
            }
        )
    records += [
        {
            "kind": "found",
            "id": f"FC-Q{n}",
            "name": "Unknown",
            "sex": "M",
            "age": 10,
            "place": {"district": "Gaya", "state": "Bihar"},
            "cci_name": "Apna Ghar",
            "cci_code": "CCI/BR/GAY",
        }
        for n in range(3)
    ]
    with open_resources(Settings.isolated(data_dir=data_dir)) as res:
        assert res.ingestor().ingest_records(records).ok
        with res.session_factory() as session:
            for n, (rid, district, age_days) in enumerate(traced):
                pair = review.enqueue(
                    session=session,
                    missing_key=f"missing:{rid}",
                    found_key=f"found:FC-{n:03d}",
                    score=0.93,
                    explanation={},
                    evidence=rid,
                    missing_district=district,
                    found_district=district,
                    missing_state="Bihar",
                    found_state="Bihar",
                )
                pair.status = "confirmed"
                stored = get_records_by_keys(session=session, keys=[pair.missing_key, pair.found_key])
                case = restoration.open_case(
                    session=session, pair=pair, missing=stored[pair.missing_key].record, found=stored[pair.found_key].record
                )
                matched = dt.datetime.combine(TODAY - dt.timedelta(days=age_days - rng.randint(3, 20)), dt.time(11), tzinfo=dt.UTC)
                case.created_at = matched
                if n % 3 == 0:
                    handed = matched + dt.timedelta(days=rng.randint(5, 30))
                    session.add(
                        RestorationStepRow(
                            case_pk=case.pk,
                            step="handover",
                            due_at=handed,
                            done_at=handed,
                            done_by="cci",
                            role="cci",
                            fields={},
                            documents=[],
                        )
                    )
            open_ids = [r["id"] for r in records if r["kind"] == "missing" and r.get("status", "open") == "open" and r["id"] != IDLE]
            for n, rid in enumerate(open_ids[:5]):
                district = next(r["place"]["district"] for r in records if r["id"] == rid)
                review.enqueue(
                    session=session,
                    missing_key=f"missing:{rid}",
                    found_key=f"found:FC-Q{n % 3}",
                    score=0.7,
                    explanation={},
                    evidence=rid,
                    missing_district=district,
                    found_district="Gaya",
                    missing_state="Bihar",
                    found_state="Bihar",
                )
            session.add(
                DuplicateFlagRow(
                    kind="missing",
                    key_a=f"missing:{open_ids[0]}",
                    key_b=f"missing:{open_ids[4]}",
                    score=0.98,
                    status="pending",
                    evidence_hash="dup",
                    district_a="Patna",
                    district_b="Patna",
                    state_a="Bihar",
                    state_b="Bihar",
                    explanation={},
                )
            )
            for rid in open_ids[::3]:  # some stations have logged something, some long ago
                ago = rng.randint(0, 40)
                session.add(
                    PoliceActionRow(
                        record_key=f"missing:{rid}",
                        action="cctns_checked",
                        username="seed",
                        role="police",
                        unit_code="",
                        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=ago),
                    )
                )
            session.commit()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("monitor") / "data"
    env = {
        **os.environ,
        "TRACKCHILD_DATA_DIR": str(data_dir),
        "TRACKCHILD_NEW_USER_PASSWORD": PASSWORD,
        "TRACKCHILD_NOTIFY_INTERVAL_SECONDS": "0",
    }
    env.pop("TRACKCHILD_DATABASE_URL", None)
    env.pop("TRACKCHILD_SEARCH_BACKEND", None)
    _seed(data_dir)
    add_cli_users(env, USERS)
    with serving(env, data_dir.parent / "server.log") as base:
        yield base


def _count(label: str) -> int:
    """The count a chart's link speaks: "Patna: 5"."""
    return int(label.rsplit(":", 1)[1].strip())


def test_state_user_drills_down_and_police_log_an_action(browser, server: str, artifacts_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context, page = browser_login(browser, server, "state_bihar", PASSWORD)
    page.click("nav a[href='/ui/monitor']")
    page.wait_for_url(re.compile(r"/ui/monitor$"))
    for chart in ("chart-open", "chart-no-action", "chart-backlog", "chart-duplicates", "chart-times", "chart-traced"):
        assert page.locator(f"svg#{chart} title").count() == 1, chart  # every chart carries its accessible title
    assert page.locator("#traced-by-group figure").count() == 4  # small multiples: one per district
    page.screenshot(path=str(artifacts_dir / "monitor-01-dashboard-en.png"), full_page=True)
    # the idle bar of Patna opens the idle reports of Patna: as many as the bar says
    bar = page.locator("#chart-no-action a[aria-label^='Patna:']")
    expected = _count(bar.get_attribute("aria-label") or "")
    bar.click()
    page.wait_for_url(re.compile(r"/ui/monitor/list/no_action\?"))
    assert int(page.inner_text("#list-total")) == expected
    rows = page.locator("#monitor-list tbody tr")
    assert rows.count() == expected and IDLE in page.inner_text("#monitor-list")
    assert all("Patna" in text for text in rows.all_inner_texts())
    page.screenshot(path=str(artifacts_dir / "monitor-02-list-en.png"), full_page=True)

    page.goto(f"{server}/ui/lang/hi?next=/ui/monitor")
    page.wait_for_url(re.compile(r"/ui/monitor$"))
    assert "निगरानी" in page.inner_text("h1") and "कितने दिनों से खुली रिपोर्ट" in page.content()
    page.screenshot(path=str(artifacts_dir / "monitor-03-dashboard-hi.png"), full_page=True)
    # a point of the traced-share line opens that month's reports
    point = page.locator("#chart-traced a").last
    label = point.get_attribute("aria-label") or ""
    reports = int(re.search(r"/ (\d+)", label).group(1))  # type: ignore[union-attr]
    point.click()
    page.wait_for_url(re.compile(r"/ui/monitor/list/cohort\?"))
    assert int(page.inner_text("#list-total")) == reports == page.locator("#monitor-list tbody tr").count()
    page.screenshot(path=str(artifacts_dir / "monitor-04-list-hi.png"), full_page=True)
    # another state: aggregate counts only, no list opens
    page.goto(f"{server}/ui/lang/en?next=/ui/monitor")
    page.fill("#m-state", "West Bengal")
    page.click("#monitor-area button[type=submit]")
    page.wait_for_selector("#aggregate-only")
    assert page.locator("svg a").count() == 0 and page.locator("#chart-open g[aria-label^='366+']").count() == 1
    page.screenshot(path=str(artifacts_dir / "monitor-08-aggregate-en.png"), full_page=True)
    # the state's weekly digest, downloaded through the page
    page.goto(f"{server}/ui/monitor")
    with page.expect_download() as download_info:
        page.click("#digest-pdf")
    pdf = tmp_path / "digest.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(artifacts_dir / "monitor-07-digest-pdf")],
            check=True,
        )
    context.close()

    context, page = browser_login(browser, server, "police_patna", PASSWORD)
    page.goto(f"{server}/ui/records/missing/{IDLE}")
    assert page.locator("#no-actions").count() == 1
    page.select_option("#pa-action", "fir_registered")
    page.fill("#pa-fir-number", "PAT/417/2026")
    page.fill("#pa-fir-date", (TODAY - dt.timedelta(days=99)).isoformat())
    page.click("#action-form button[type=submit]")
    page.wait_for_selector("#action-saved")
    assert page.locator("#action-log tbody tr").count() == 1 and "PAT/417/2026" in page.inner_text("#action-log")
    page.locator("#police-actions").screenshot(path=str(artifacts_dir / "monitor-05-action-en.png"))
    page.goto(f"{server}/ui/lang/hi?next=/ui/records/missing/{IDLE}")
    page.select_option("#pa-action", "places_searched")
    page.fill("#pa-details", "पटना जंक्शन रेलवे स्टेशन, मीठापुर बस अड्डा")
    page.click("#action-form button[type=submit]")
    page.wait_for_selector("#action-saved")
    assert page.locator("#action-log tbody tr").count() == 2 and "स्थानों की तलाश" in page.inner_text("#action-log")
    page.screenshot(path=str(artifacts_dir / "monitor-06-action-hi.png"), full_page=True)
    # the district police's own dashboard: their district; the queue's counts without its pairs
    page.goto(f"{server}/ui/lang/en?next=/ui/monitor")
    assert "Patna, Bihar" in page.inner_text("h1")
    assert page.locator("#chart-backlog a").count() == 0 and page.locator("#chart-open a").count() > 0
    page.screenshot(path=str(artifacts_dir / "monitor-09-police-district-en.png"), full_page=True)
    context.close()

    # the report has had an action today: it leaves the state's "no action" list
    context, page = browser_login(browser, server, "state_bihar", PASSWORD)
    page.goto(f"{server}/ui/monitor")
    bar = page.locator("#chart-no-action a[aria-label^='Patna:']")
    assert _count(bar.get_attribute("aria-label") or "") == expected - 1
    bar.click()
    page.wait_for_url(re.compile(r"/ui/monitor/list/no_action\?"))
    assert IDLE not in page.inner_text("#monitor-list")
    context.close()
