"""Monitoring (issue 16, part 3) on a small seeded store with known answers, on SQLite and
PostgreSQL: every dashboard figure, every drill-down list, the police action log's rules and the
weekly digest (CSV numbers; the PDF renders Devanagari district names, or says it could not)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from indexer import get_records_by_keys
from search_api.config import Settings
from search_api.db import as_utc
from search_api.monitoring import digest as digest_render
from search_api.monitoring import flows, service
from search_api.policy import PermissionDenied
from search_api.resources import Resources, open_resources
from search_api.restoration import service as restoration
from search_api.restoration.models import RestorationStepRow
from search_api.review import service as review
from search_api.review.models import DuplicateFlagRow
from search_api.users import service as users
from search_api.users.models import UserRow
from search_api.users.schemas import UserCreate

TODAY = dt.date(2026, 12, 2)  # a Wednesday: week 2026-W49 began on Monday 30 November
UTC = dt.UTC


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=UTC)


def missing(rid: str, district: str, date: str, status: str = "open", state: str = "Bihar", station: str = "BR-PAT-001") -> dict:
    return {
        "kind": "missing",
        "id": rid,
        "name": f"Child {rid}",
        "sex": "F",
        "age": 9,
        "date": date,
        "status": status,
        "place": {"district": district, "state": state},
        "police_station": "Kotwali",
        "police_station_code": station,
    }


def found(rid: str, district: str, state: str = "Bihar") -> dict:
    return {
        "kind": "found",
        "id": rid,
        "name": f"Child {rid}",
        "sex": "F",
        "age": 9,
        "date": "2026-10-01",
        "place": {"district": district, "state": state},
        "cci_name": "Bal Ashram",
        "cci_code": f"CCI/{rid}",
    }


USERS = {
    "pol_patna": ("police", "Bihar", "Patna", "BR-PAT-001"),
    "pol_gaya": ("police", "Bihar", "Gaya", "BR-GAY-001"),
    "dcpu_patna": ("dcpu", "Bihar", "Patna", ""),
    "dcpu_gaya": ("dcpu", "Bihar", "Gaya", ""),
    "state_br": ("state", "Bihar", "", ""),
    "state_wb": ("state", "West Bengal", "", ""),
    "central": ("central", "", "", ""),
    "cwc_patna": ("cwc", "Bihar", "Patna", ""),
}


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> Iterator[Resources]:
    """Seven reports (six in Bihar), two matches (one restored), three pairs waiting, one duplicate
    flag waiting and one decided, two police action log entries: the figures below follow from these."""
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url)
    with open_resources(settings) as res:
        records = [
            missing("M1", "Patna", "2026-11-30"),  # 2 days open, no action (too new to be idle)
            missing("M2", "Patna", "2026-11-24"),  # 8 days, an action on 29 Nov: idle 3 days
            missing("M3", "Patna", "2026-09-01"),  # 92 days, no action: idle 92
            missing("M4", "Gaya", "2026-10-15", station="BR-GAY-001"),  # 48 days, an action on 1 Nov: idle 31
            missing("M5", "Gaya", "2026-10-20", status="traced", station="BR-GAY-001"),  # matched 25 Nov (36 days)
            missing("M6", "Patna", "2026-10-05", status="traced"),  # matched 15 Oct (10 days), restored 26 Nov (42 days)
            missing("M7", "Howrah", "2025-01-01", state="West Bengal", station="WB-HWH-001"),  # 700 days, another state
            found("F1", "Patna"),
            found("F2", "Gaya"),
            found("F3", "Howrah", "West Bengal"),
        ]
        report = res.ingestor().ingest_records(records)
        assert report.ok, report.rejected
        with res.session_factory() as session:
            for username, (role, state, district, code) in USERS.items():
                users.create(
                    session=session,
                    user_in=UserCreate(
                        username=username,
                        role=role,
                        state=state,
                        district=district,
                        unit="Kotwali" if code else "",
                        unit_code=code,
                        password="monitor pass 2026",
                    ),
                )
            places = {
                "M1": ("Bihar", "Patna"),
                "M3": ("Bihar", "Patna"),
                "M4": ("Bihar", "Gaya"),
                "M5": ("Bihar", "Gaya"),
                "M6": ("Bihar", "Patna"),
                "F1": ("Bihar", "Patna"),
                "F2": ("Bihar", "Gaya"),
                "F3": ("West Bengal", "Howrah"),
            }

            def pair(m: str, f: str, status: str):  # type: ignore[no-untyped-def]
                row = review.enqueue(
                    session=session,
                    missing_key=f"missing:{m}",
                    found_key=f"found:{f}",
                    score=0.9,
                    explanation={},
                    evidence=m + f,
                    missing_state=places[m][0],
                    missing_district=places[m][1],
                    found_state=places[f][0],
                    found_district=places[f][1],
                )
                row.status = status
                return row

            pair("M1", "F3", "pending")  # Patna ↔ Howrah
            pair("M4", "F2", "pending")  # Gaya ↔ Gaya
            pair("M3", "F1", "need_info")  # Patna ↔ Patna
            for m, f, matched, handed in (("M6", "F1", "2026-10-15", "2026-11-26"), ("M5", "F2", "2026-11-25", None)):
                row = pair(m, f, "confirmed")
                stored = get_records_by_keys(session=session, keys=[f"missing:{m}", f"found:{f}"])
                case = restoration.open_case(
                    session=session, pair=row, missing=stored[f"missing:{m}"].record, found=stored[f"found:{f}"].record
                )
                case.created_at = at(matched, 0)
                if handed:
                    session.add(
                        RestorationStepRow(
                            case_pk=case.pk,
                            step="handover",
                            due_at=at(handed),
                            done_at=at(handed, 0),
                            done_by="dcpu_patna",
                            role="dcpu",
                            fields={},
                            documents=[],
                        )
                    )
            for a, b, status in (("M1", "M2", "pending"), ("M3", "M4", "distinct")):
                session.add(
                    DuplicateFlagRow(
                        kind="missing",
                        key_a=f"missing:{a}",
                        key_b=f"missing:{b}",
                        score=0.98,
                        status=status,
                        evidence_hash=a + b,
                        district_a="Patna",
                        district_b="Patna" if b == "M2" else "Gaya",
                        state_a="Bihar",
                        state_b="Bihar",
                        explanation={},
                    )
                )
            session.commit()
            for username, rid, when in (("pol_patna", "M2", at("2026-11-29")), ("pol_gaya", "M4", at("2026-11-01"))):
                user = session.scalar(select(UserRow).where(UserRow.username == username))
                row = flows.add_police_action(session=session, user=user, record_id=rid, values={"action": "cctns_checked"})
                row.created_at = when  # the server's clock said "now"; the figures need a known past
            session.commit()
        yield res


def user_of(res: Resources, username: str) -> UserRow:
    with res.session_factory() as session:
        return session.scalar(select(UserRow).where(UserRow.username == username))  # type: ignore[return-value]


def board(res: Resources, username: str, **kwargs) -> service.Dashboard:  # type: ignore[no-untyped-def]
    with res.session_factory() as session:
        result = flows.dashboard(session=session, user=user_of(res, username), no_action_days=kwargs.pop("days", 7), on=TODAY, **kwargs)
        session.commit()
        return result


def bars(items: list[service.Bar]) -> dict[str, int]:
    return {b.label: b.count for b in items}


def test_state_dashboard_figures(world: Resources) -> None:
    got = board(world, "state_br")
    assert got.inside and got.area == service.Area("Bihar", "")
    assert got.open_total == 4
    assert bars(got.open_by_days) == {"0-7": 1, "8-30": 1, "31-90": 1, "91-365": 1, "366+": 0}
    assert bars(got.no_action) == {"Patna": 1, "Gaya": 1}  # M3 (92 days), M4 (31 days); M1 and M2 are not idle 7 days
    assert bars(board(world, "state_br", days=40).no_action) == {"Patna": 1}  # M4 was idle 31 days only
    assert bars(got.backlog) == {"Patna": 2, "Gaya": 1}  # pending and waiting for information
    assert bars(got.duplicates) == {"Patna": 1}  # the decided flag is not waiting
    assert got.report_to_match == service.Spread(2, 16.5, 23.0, 29.5)  # 10 and 36 days
    assert got.match_to_restoration == service.Spread(1, 42.0, 42.0, 42.0)
    october = {s.group: next(p for p in s.points if p.month == "2026-10") for s in got.traced_by_group}
    assert (october["Gaya"].reports, october["Gaya"].traced) == (2, 1) and (october["Patna"].reports, october["Patna"].traced) == (1, 1)
    overall = {p.month: (p.reports, p.traced) for p in got.traced_overall.points}
    assert overall["2026-09"] == (1, 0) and overall["2026-10"] == (3, 2) and overall["2026-11"] == (2, 0) and overall["2026-12"] == (0, 0)
    assert len(got.months) == 12 and got.months[-1] == "2026-12"
    # each bar knows its list: the district's area (and the figure's own parameter)
    assert next(b for b in got.no_action if b.label == "Gaya").query == {"state": "Bihar", "district": "Gaya", "days": "7"}


def test_national_and_district_dashboards(world: Resources) -> None:
    india = board(world, "central")
    assert india.area.level == "national" and india.open_total == 5
    assert bars(india.open_by_days)["366+"] == 1  # M7 in West Bengal
    assert bars(india.backlog) == {"Bihar": 3, "West Bengal": 1}  # by state on the national view; M1↔F3 touches both
    gaya = board(world, "dcpu_gaya")
    assert gaya.area == service.Area("Bihar", "Gaya") and gaya.open_total == 1
    assert bars(gaya.backlog) == {"Gaya": 1} and bars(gaya.duplicates) == {}
    assert gaya.report_to_match.n == 1 and gaya.report_to_match.median == 36.0
    police = board(world, "pol_patna")  # the district police: their district, as the DCPU sees it
    assert police.area == service.Area("Bihar", "Patna") and police.open_total == 3


def test_outside_the_jurisdiction_counts_only(world: Resources) -> None:
    other = board(world, "state_wb", state="Bihar")
    assert not other.inside and other.open_total == 4  # aggregate counts are shown
    assert board(world, "dcpu_gaya", state="Bihar", district="Patna").inside is False
    assert board(world, "state_br", state="Bihar", district="Gaya").inside is True  # a district of one's state
    with world.session_factory() as session:
        for username, area in (
            ("state_wb", {"state": "Bihar"}),
            ("dcpu_gaya", {"state": "Bihar", "district": "Patna"}),
            ("pol_patna", {"state": "Bihar"}),
        ):
            with pytest.raises(PermissionDenied, match="outside your jurisdiction"):
                flows.drill_down(session=session, user=user_of(world, username), figure="open", on=TODAY, **area)
        with pytest.raises(PermissionDenied):  # a CWC has no dashboard
            flows.dashboard(session=session, user=user_of(world, "cwc_patna"), no_action_days=7)
        with pytest.raises(PermissionDenied, match="review queue"):  # police see the backlog's count, not its pairs
            flows.drill_down(session=session, user=user_of(world, "pol_patna"), figure="backlog", on=TODAY)


def ids(found: flows.DrillDown) -> list[str]:
    return [x.report.record_id for x, _view in found.reports]


def test_every_figure_drills_down_to_its_records(world: Resources) -> None:
    state = user_of(world, "state_br")
    with world.session_factory() as session:

        def drill(figure: str, **kwargs) -> flows.DrillDown:  # type: ignore[no-untyped-def]
            return flows.drill_down(session=session, user=state, figure=figure, on=TODAY, **kwargs)

        assert ids(drill("open", state="Bihar", bucket="91-365")) == ["M3"]
        assert ids(drill("open", state="Bihar")) == ["M3", "M4", "M2", "M1"]  # oldest first
        idle = drill("no_action", state="Bihar", days=7)
        assert ids(idle) == ["M3", "M4"] and [x.idle_days for x, _ in idle.reports] == [92, 31]
        assert ids(drill("no_action", state="Bihar", district="Gaya", days=7)) == ["M4"]
        assert ids(drill("cohort", state="Bihar", district="Gaya", month="2026-10")) == ["M4", "M5"]  # open first
        matched = drill("to_match", state="Bihar")
        assert ids(matched) == ["M5", "M6"] and [(x.days_to_match, x.days_to_restoration) for x, _ in matched.reports] == [
            (36.0, None),
            (10.0, 42.0),
        ]
        backlog = drill("backlog", state="Bihar", district="Patna")
        assert sorted(p["missing"]["id"] for p in backlog.pairs) == ["M1", "M3"] and backlog.total == 2
        assert backlog.pairs[0]["missing"]["access"] == "full"
        assert next(p for p in backlog.pairs if p["missing"]["id"] == "M1")["found"]["access"] == "limited"  # F3 is in West Bengal
        dups = drill("duplicates", state="Bihar")
        assert [(p["a"]["id"], p["b"]["id"]) for p in dups.pairs] == [("M1", "M2")]
        with pytest.raises(service.MonitoringRefused):
            drill("open", bucket="7-8")
        with pytest.raises(service.MonitoringRefused):
            drill("cohort", month="October")
        session.commit()
        from search_api.audit.models import AuditEntryRow

        listed = session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "monitor_list")).all()
        assert len(listed) == 8 and "missing:M3" in listed[0].targets  # every list is audited with what it showed


def test_police_action_log_rules(world: Resources) -> None:
    with world.session_factory() as session:
        own, other = user_of(world, "pol_patna"), user_of(world, "pol_gaya")
        row = flows.add_police_action(
            session=session,
            user=own,
            record_id="M1",
            values={"action": "fir_registered", "fir_number": "PAT/123/2026", "fir_date": "2026-11-30"},
        )
        assert (row.username, row.unit_code, row.fir_date) == ("pol_patna", "BR-PAT-001", dt.date(2026, 11, 30))
        assert abs((as_utc(row.created_at) - dt.datetime.now(UTC)).total_seconds()) < 60  # the server's time
        with pytest.raises(PermissionDenied, match="reporting station"):  # another station, same state
            flows.add_police_action(session=session, user=other, record_id="M1", values={"action": "cctns_checked"})
        for username in ("dcpu_patna", "state_br", "central"):  # they read it; only the station writes
            with pytest.raises(PermissionDenied):
                flows.add_police_action(
                    session=session, user=user_of(world, username), record_id="M1", values={"action": "other", "notes": "x"}
                )
        bad = [
            ({"action": "fir_registered", "fir_number": "1"}, "fir_date"),
            ({"action": "fir_registered", "fir_number": "1", "fir_date": "2027-01-01"}, "future"),
            ({"action": "places_searched"}, "details"),
            ({"action": "teleported"}, "action"),
            ({"action": "photo_circulated", "fir_number": "9"}, "fir_number"),
            ({"action": "other"}, "notes"),
        ]
        for values, word in bad:
            with pytest.raises(service.ActionRefused, match=word):
                flows.add_police_action(session=session, user=own, record_id="M1", values=values)
        for username, sees in (
            ("pol_patna", True),
            ("dcpu_patna", True),
            ("state_br", True),
            ("central", True),
            ("pol_gaya", False),
            ("dcpu_gaya", False),
            ("state_wb", False),
            ("cwc_patna", False),
        ):
            if sees:
                log = flows.read_police_actions(session=session, user=user_of(world, username), record_id="M1")
                assert [r.action for r in log] == ["fir_registered"]
            else:
                with pytest.raises(PermissionDenied):
                    flows.read_police_actions(session=session, user=user_of(world, username), record_id="M1")
        session.commit()
    # the new entry makes M1 "acted on" today; it was not idle anyway, and M3 still is
    assert bars(board(world, "state_br").no_action) == {"Patna": 1, "Gaya": 1}


def test_weekly_digest_numbers(world: Resources) -> None:
    with world.session_factory() as session:
        result = service.build_digest(session=session, state="Bihar", week="2026-W48", no_action_days=7)
    assert (result.start, result.end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    rows = {r.district: r for r in result.rows}
    assert set(rows) == {"Patna", "Gaya"}
    patna, gaya = rows["Patna"], rows["Gaya"]
    assert (patna.new_reports, patna.matches, patna.restorations, patna.police_actions) == (1, 0, 1, 1)  # M2; M6 handed over 26 Nov
    assert (patna.open_at_end, patna.open_over_30_days, patna.no_action) == (2, 1, 1)  # M2 and M3 open; M3 idle
    assert (gaya.new_reports, gaya.matches, gaya.median_days_to_match, gaya.open_at_end, gaya.no_action) == (0, 1, 36.0, 1, 1)
    assert (patna.review_backlog_now, gaya.review_backlog_now, patna.duplicates_now) == (2, 1, 1)
    total = result.total
    assert (total.new_reports, total.matches, total.restorations, total.open_at_end, total.no_action, total.review_backlog_now) == (
        1,
        1,
        1,
        3,
        2,
        3,
    )
    table = list(csv.DictReader(io.StringIO(digest_render.digest_csv(result))))
    assert [r["district"] for r in table] == ["Gaya", "Patna", "all districts"] and table[1]["open_at_end"] == "2"
    assert all(r["state"] == "Bihar" and r["week"] == "2026-W48" for r in table)
    with pytest.raises(service.MonitoringRefused, match="2026-W48"):
        service.parse_week("48/2026")


def test_digest_access(world: Resources) -> None:
    with world.session_factory() as session:
        for username, allowed in (("state_br", True), ("central", True), ("state_wb", False), ("dcpu_patna", False), ("pol_patna", False)):
            call = dict(session=session, user=user_of(world, username), state="Bihar", week="2026-W48", no_action_days=7)
            if allowed:
                result, body = flows.weekly_digest(**call)
                assert body.decode("utf-8-sig").startswith("state,week,district") and result.state == "Bihar"
            else:
                with pytest.raises(PermissionDenied):
                    flows.weekly_digest(**call)


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils, installed by scripts/install-browser.sh) is needed to read the PDF back")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_digest_pdf_renders_devanagari_or_says_why_not(world: Resources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world.session_factory() as session:
        result = service.build_digest(session=session, state="Bihar", week="2026-W48", no_action_days=7)
    result.rows.append(service.DigestRow(district="नालंदा", new_reports=2, open_at_end=2))  # a district stored in Devanagari
    font = digest_render.find_font()
    if font is None:
        pytest.skip("no Devanagari font on this machine (fonts-lohit-deva: scripts/install-browser.sh installs it)")
    pdf = tmp_path / "digest.pdf"
    pdf.write_bytes(digest_render.digest_pdf(result))
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "नालंदा" in text and "Patna" in text and "2026-W48" in text and "transliterated" not in text
    monkeypatch.setattr(digest_render, "FONT_CANDIDATES", ())
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(digest_render.digest_pdf(result))
    text = _pdf_text(plain)
    assert "No Devanagari font" in text and "nālaṃdā" in text and "नालंदा" not in text  # said, and transliterated


def test_cli_digest_dashboard_and_action_log(world: Resources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from search_api.audit.models import AuditEntryRow
    from search_api.cli import app

    monkeypatch.setenv("TRACKCHILD_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("TRACKCHILD_DATABASE_URL", world.settings.store_url())
    runner = CliRunner()
    out = tmp_path / "bihar-w48.csv"
    done = runner.invoke(app, ["monitor", "digest", "--state", "Bihar", "--week", "2026-W48", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert [r["district"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))] == ["Gaya", "Patna", "all districts"]
    pdf = tmp_path / "bihar-w48.pdf"
    assert (
        runner.invoke(app, ["monitor", "digest", "--state", "Bihar", "--week", "2026-W48", "--out", str(pdf), "--as", "state_br"]).exit_code
        == 0
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    refused = runner.invoke(app, ["monitor", "digest", "--state", "Bihar", "--week", "2026-W48", "--out", str(pdf), "--as", "state_wb"])
    assert refused.exit_code == 2 and "weekly digest of Bihar" in refused.output
    bad_week = runner.invoke(app, ["monitor", "digest", "--state", "Bihar", "--week", "48", "--out", str(out)])
    assert bad_week.exit_code == 2 and "2026-W48" in bad_week.output
    logged = runner.invoke(app, ["monitor", "action", "M1", "places_searched", "--as", "pol_patna", "--details", "Patna Junction"])
    assert logged.exit_code == 0 and "places_searched" in logged.output
    assert runner.invoke(app, ["monitor", "action", "M1", "cctns_checked", "--as", "pol_gaya"]).exit_code == 2
    lines = runner.invoke(app, ["monitor", "actions", "M1", "--as", "dcpu_patna"]).output.strip().splitlines()
    assert [json.loads(line)["details"] for line in lines] == ["Patna Junction"]
    board = json.loads(runner.invoke(app, ["monitor", "dashboard", "--as", "dcpu_gaya"]).output)
    assert board["area"]["district"] == "Gaya" and board["open_total"] == 1
    with world.session_factory() as session:
        actions = [e.action for e in session.scalars(select(AuditEntryRow).where(AuditEntryRow.action.like("monitor_digest%")))]
    assert len(actions) == 2  # the operator's digest and the state user's
