"""Every role × (own district / same district name in another state / other district / other
state) × every route of the API and the pages: allow, deny or limited.

The expectations come from the policy as written in the README, restated here as small
tables (not by calling the code under test), and every answer is checked for leaks. Units
are named alike everywhere ("Kotwali", "Bal Ashram") and differ only by code, and the own
district's name exists in another state too, so a rule that compares names instead of
identities fails here. A last test checks that no route of the app escapes the matrix.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, update

from indexer import get_records_by_keys
from search_api.audit.models import AuditEntryRow
from search_api.config import Settings
from search_api.directory import flows as directory
from search_api.restoration import service as restoration
from search_api.review import service as review
from search_api.review.models import DuplicateFlagRow
from search_api.users import service as users
from search_api.users.models import UserRow
from search_api.users.schemas import UserCreate
from ui.app import create_web_app

PASSWORD = "matrix password 2026"
FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
PLACES = {
    "own": ("Bihar", "Aurangabad"),
    "twin": ("Maharashtra", "Aurangabad"),  # same district name, another state
    "other_district": ("Bihar", "Gaya"),
    "other_state": ("West Bengal", "Howrah"),
}
# every place has a "Kotwali" police station and a "Bal Ashram" CCI: same names, different codes
STATION_CODE = {"own": "BR-AUR-001", "twin": "MH-AUR-001", "other_district": "BR-GAY-001", "other_state": "WB-HWH-001"}
CCI_CODE = {"own": "CCI/BR/17", "twin": "CCI/MH/17", "other_district": "CCI/BR/18", "other_state": "CCI/WB/17"}
# a surname per record: a limited view shows the first name only, so a surname on a page is a leak
SURNAMES = {
    "missing": {"own": "Kumari", "twin": "Pawar", "other_district": "Mandal", "other_state": "Sarkar"},
    "found": {"own": "Oraon", "twin": "Shinde", "other_district": "Paswan", "other_state": "Ghosh"},
}
ROLES = ("police", "cci", "cwc", "jjb", "dcpu", "state", "central", "admin", "legacy_dcpu")
ROLE_OF = {"legacy_dcpu": "dcpu"}  # a DCPU account from before states were required: it has none
# where each role sees records in full (README: access policy)
FULL_VIEW = {
    "police": {"own"}, "cwc": {"own"}, "jjb": {"own"}, "dcpu": {"own"},
    "state": {"own", "other_district"}, "central": set(PLACES), "admin": set(PLACES), "legacy_dcpu": set(),
}  # fmt: skip
CCI_FULL_VIEW = {"found": {"own"}, "missing": set()}  # its own institution's children only
EDITS = {"police": {("missing", "own")}, "cci": {("found", "own")}, "cwc": {("found", "own")},
         "admin": set(itertools.product(("missing", "found"), PLACES))}  # fmt: skip
# closing a case (traced / restored / closed): never police or CCI staff themselves
CLOSES = {"cwc": {("found", "own")}, "admin": set(itertools.product(("missing", "found"), PLACES))}
CLOSING = {"missing": "traced", "found": "restored"}
# sending a pair the matcher proposes: the record's own unit, or a reviewer of its district
SENDS = {"police": {("missing", "own")}, "cci": {("found", "own")},
         "cwc": {("missing", "own"), ("found", "own")}, "dcpu": {("missing", "own"), ("found", "own")},
         "admin": set(itertools.product(("missing", "found"), PLACES))}  # fmt: skip
# sending a pair the matcher does not propose, with a reason: reviewers of the record's district only
OVERRIDES = {"cwc": {("missing", "own"), ("found", "own")}, "dcpu": {("missing", "own"), ("found", "own")},
             "admin": set(itertools.product(("missing", "found"), PLACES))}  # fmt: skip
REVIEW_LIST = {"cwc", "jjb", "dcpu", "state", "central", "admin", "legacy_dcpu"}
DECIDE = {"cwc", "dcpu", "admin", "legacy_dcpu"}  # legacy_dcpu has the role but no district: it decides nothing
AUDIT = {"state", "central", "admin"}
EXPORT = {"cwc", "dcpu", "state", "central", "admin", "legacy_dcpu"}
NATIONAL = {"central", "admin"}
# what a limited view must never carry
PRIVATE_KEYS = {"name", "aliases", "reported_by", "description", "marks", "clothing", "father_name", "mother_name", "photos", "date"}
# hidden fields a search outside the jurisdiction must neither match nor name
HIDDEN_WORDS = {"marks": "burn", "description": "shy", "father_name": "Ramesh", "clothing": "frock"}

# Every route, and how the matrix reaches it; PUBLIC routes need no role.
COVERED = {
    ("GET", "/auth/me"), ("GET", "/records"), ("POST", "/records"), ("GET", "/records/{kind}/{record_id}"),
    ("PUT", "/records/{kind}/{record_id}"), ("GET", "/records/{kind}/{record_id}/candidates"),
    ("GET", "/records/{kind}/{record_id}/duplicates"), ("POST", "/records/{kind}/{record_id}/review"),
    ("POST", "/records/{kind}/{record_id}/photos"), ("GET", "/records/export/jsonl"), ("POST", "/records/retention/run"),
    ("GET", "/records/export/pfif"), ("GET", "/records/export/csv"),  # interchange (issue 16)
    ("GET", "/search"), ("POST", "/search/photo"), ("GET", "/review/queue"), ("GET", "/review/pairs/{pair_pk}"),
    ("POST", "/review/pairs/{pair_pk}/decision"), ("GET", "/review/duplicates"), ("POST", "/review/duplicates/{flag_pk}/decision"),
    ("GET", "/audit"), ("GET", "/audit/verify"),
    ("GET", "/ui/"), ("GET", "/ui/records/new/{kind}"), ("POST", "/ui/records/new/{kind}"), ("GET", "/ui/records/{kind}/{record_id}"),
    ("POST", "/ui/records/{kind}/{record_id}/review"), ("GET", "/ui/photos/{kind}/{record_id}/{position}"), ("GET", "/ui/review"),
    ("GET", "/ui/review/{pair_pk}"), ("POST", "/ui/review/{pair_pk}/decision"), ("POST", "/ui/review/duplicates/{flag_pk}"),
    ("GET", "/ui/search"), ("POST", "/ui/search"), ("GET", "/ui/search/photo"), ("POST", "/ui/search/photo"), ("GET", "/ui/audit"),
    # explicit matching (a POST: reads never queue)
    ("POST", "/records/{kind}/{record_id}/match"),
    # after the match (issue 15): restoration, notifications, nodal officers, reopening
    ("GET", "/restoration/cases"), ("GET", "/restoration/cases/{case_pk}"), ("POST", "/restoration/cases/{case_pk}/steps/{step}"),
    ("GET", "/restoration/overdue"), ("GET", "/notifications"), ("GET", "/notifications/unread"), ("POST", "/notifications/read"),
    ("GET", "/me/contact"), ("PUT", "/me/contact"), ("PUT", "/users/{username}/nodal"), ("POST", "/review/pairs/{pair_pk}/reopen"),
    ("GET", "/ui/restoration"), ("GET", "/ui/restoration/{case_pk}"), ("POST", "/ui/restoration/{case_pk}/steps/{step}"),
    ("GET", "/ui/notifications"), ("POST", "/ui/notifications/read"),
    ("GET", "/care/children/{record_id}"), ("POST", "/care/children/{record_id}/goals"), ("POST", "/care/children/{record_id}/events"),
    ("GET", "/care/ccis/{code:path}/roll"),  # a registration number may hold slashes (CCI/BR/17)
    # documents on steps, transfers between CCIs, care pages, notification preferences (issue 15, rest)
    ("POST", "/restoration/cases/{case_pk}/steps/{step}/documents"), ("GET", "/restoration/cases/{case_pk}/documents/{document_pk}"),
    ("POST", "/ui/restoration/{case_pk}/documents"), ("GET", "/ui/restoration/{case_pk}/documents/{document_pk}"),
    ("POST", "/care/children/{record_id}/transfers"), ("POST", "/care/transfers/{transfer_pk}/answer"),
    ("GET", "/ui/care/children/{record_id}"), ("POST", "/ui/care/children/{record_id}/goals"),
    ("POST", "/ui/care/children/{record_id}/events"), ("POST", "/ui/care/children/{record_id}/transfers"),
    ("GET", "/ui/care/ccis/{code:path}/roll"), ("POST", "/ui/care/transfers/{transfer_pk}/answer"),
    ("GET", "/ui/notifications/preferences"), ("POST", "/ui/notifications/preferences"),
    # the district service directory (issue 16, part 1)
    ("GET", "/directory/entries"), ("GET", "/directory/entries/{entry_pk}"), ("POST", "/directory/entries"),
    ("DELETE", "/directory/entries/{entry_pk}"), ("POST", "/directory/import"), ("GET", "/directory/export.csv"),
    ("GET", "/ui/directory"), ("POST", "/ui/directory/import"), ("GET", "/ui/directory/export.csv"),
    # the citizen corner (issue 16, part 4): the district's moderation queue and notices
    ("GET", "/citizen/reports"), ("GET", "/citizen/reports/{report_pk}"), ("GET", "/citizen/reports/{report_pk}/photo"),
    ("POST", "/citizen/reports/{report_pk}/accept"), ("POST", "/citizen/reports/{report_pk}/reject"), ("GET", "/citizen/notices"),
    ("POST", "/citizen/notices"), ("POST", "/citizen/notices/{notice_pk}/withdraw"),
    ("GET", "/ui/citizen"), ("GET", "/ui/citizen/reports/{report_pk}"), ("GET", "/ui/citizen/reports/{report_pk}/photo"),
    ("POST", "/ui/citizen/reports/{report_pk}/accept"), ("POST", "/ui/citizen/reports/{report_pk}/reject"),
    ("GET", "/ui/citizen/notices"), ("POST", "/ui/citizen/notices"), ("POST", "/ui/citizen/notices/{notice_pk}/withdraw"),
    # monitoring for senior officers (issue 16, part 3)
    ("GET", "/records/missing/{record_id}/actions"), ("POST", "/records/missing/{record_id}/actions"), ("GET", "/monitor/dashboard"),
    ("GET", "/monitor/list/{figure}"), ("GET", "/monitor/digest"), ("GET", "/ui/monitor"), ("GET", "/ui/monitor/list/{figure}"),
    ("GET", "/ui/monitor/digest.csv"), ("GET", "/ui/monitor/digest.pdf"), ("POST", "/ui/records/missing/{record_id}/actions"),
    # vulnerable-location maps (issue 16, part 2): aggregates for every role, exact only inside the jurisdiction
    ("GET", "/maps/hotspots"), ("GET", "/maps/hotspots.csv"), ("GET", "/maps/hotspots.svg"), ("GET", "/maps/hotspots.png"),
    ("GET", "/ui/maps"), ("GET", "/ui/maps/export.csv"), ("GET", "/ui/maps/map.png"),
    # accounts (issue 11)
    ("GET", "/ui/account"), ("POST", "/ui/account/password"), ("POST", "/ui/account/logout-all"),
    ("POST", "/auth/logout"), ("POST", "/auth/logout-all"), ("POST", "/auth/password"),
    ("POST", "/users/{username}/deactivate"), ("POST", "/users/{username}/activate"), ("POST", "/users/{username}/logout-all"),
    # the match jobs a filing leaves (issue 11): a record's job for whoever sees its candidates; the worker's for admins
    ("GET", "/records/{kind}/{record_id}/match-status"), ("GET", "/admin/match-jobs"),
}  # fmt: skip
# a restoration case: the family in the own district (station BR-AUR-001), the child in a CCI of
# another district (CCI/BR/18). README: both districts' DCPU and CWC, the reporting station and
# the child's CCI see it; nobody else (not the state, not another CCI of the same name)
CASE_SEES = {"police", "cwc", "dcpu", "admin"}
HOME_VERIFIES = {"dcpu", "admin"}  # the home verification: the DCPU of the family's district
NODAL_NAMES = {"state", "admin"}
# children in care: the child's own CCI and its district's CWC and DCPU keep the care record;
# JJB, state and central read it inside their jurisdiction
CARE_KEEPS = {"cci", "cwc", "dcpu", "admin"}
CARE_READS = CARE_KEEPS | {"jjb", "state", "central"}
# a transfer to another CCI: asked by the child's own CCI or its district's CWC; answered by the receiving CCI
TRANSFER_ASKS = {"cci", "cwc", "admin"}
TRANSFER_ANSWERS = {"cci", "admin"}  # the transfer in the world goes to CCI/BR/17, the cci role's own unit
# a state user names the nodal officers of its state; admin anywhere
# the service directory: every role reads it nationwide; the DCPU of a (state, district) keeps that district's entries
DIRECTORY_KEEPS = {"dcpu": {"own"}, "admin": set(PLACES)}  # legacy_dcpu has no state: it keeps nothing
# monitoring: dashboards for the police and DCPU of a district, the state and central; the reporting
# station (by its code) logs actions on its own reports; the station, its district's DCPU, the
# state and central read the log; the state's digest for its own users and central
MONITOR = {"police", "dcpu", "state", "central", "admin", "legacy_dcpu"}  # legacy_dcpu: the role, but no area to count
ACTION_ADDS = {"police": {"own"}}
ACTION_READS = {"police": {"own"}, "dcpu": {"own"}, "state": {"own", "other_district"}, "central": set(PLACES), "admin": set(PLACES)}
DIGEST = {"Bihar": {"state", "central", "admin"}, "West Bengal": {"central", "admin"}}
MONITOR_AREA = {"police": ("Bihar", "Aurangabad"), "dcpu": ("Bihar", "Aurangabad"), "state": ("Bihar", ""), "central": ("", ""),
                "admin": ("", "")}  # fmt: skip
PUBLIC = {
    ("GET", "/"), ("GET", "/health"), ("GET", "/docs"), ("GET", "/openapi.json"), ("POST", "/auth/token"),
    ("GET", "/ui/login"), ("POST", "/ui/login"), ("POST", "/ui/logout"), ("GET", "/ui/lang/{lang}"),
    # the citizen corner: no login, checked by test_public_routes_leak_nothing
    ("GET", "/robots.txt"), ("GET", "/public/challenge"), ("POST", "/public/reports"), ("GET", "/public/notices"),
    ("GET", "/public/notices/{public_id}/photo"), ("GET", "/ui/public/report"), ("POST", "/ui/public/report"),
    ("GET", "/ui/public/sent"), ("GET", "/ui/public/privacy"), ("GET", "/ui/public/notices"),
}  # fmt: skip
# citizen reports: the police and DCPU of the report's (state, district) read them, its DCPU moderates;
# the police (district or own station) and DCPU of a missing child's district record a guardian's consent
CITIZEN_QUEUE = {"police", "dcpu", "admin", "legacy_dcpu"}
CITIZEN_READS = {"police": {"own"}, "dcpu": {"own"}, "admin": set(PLACES)}
CITIZEN_MODERATES = {"dcpu": {"own"}, "admin": set(PLACES)}
NOTICE_CONSENT = {"police", "dcpu", "admin", "legacy_dcpu"}
NOTICE_CONSENTS = {"police": {"own"}, "dcpu": {"own"}, "admin": set(PLACES)}
# what a public notice may carry, and strings of the seeded records that must never reach a public route
NOTICE_FIELDS = {"public_id", "first_name", "age", "district", "photo_url"}
NEVER_PUBLIC = (*SURNAMES["missing"].values(), *SURNAMES["found"].values(), "Ramesh", "9800000000", "House 12", "Ward 4", "shy",
                "burn", "frock", "Kotwali", "Bal Ashram", *STATION_CODE.values(), *CCI_CODE.values(), "M-own", "M-other_state",
                "Bihar", "West Bengal", "Maharashtra", "Mohammed", "Irfan", "2026-01-10", "Sunita Devi",
                "consent form")  # fmt: skip


def sees_full(role: str, kind: str, place: str) -> bool:
    return place in (CCI_FULL_VIEW[kind] if role == "cci" else FULL_VIEW[role])


def place_of(record_id: str) -> str:
    return next(p for p in sorted(PLACES, key=len, reverse=True) if f"-{p}" in record_id)


def record(kind: str, place: str, *, suffix: str = "", photos: list[str] | None = None) -> dict:
    state, district = PLACES[place]
    body = {
        "kind": kind,
        "id": f"{kind[0].upper()}-{place}{suffix}",
        "name": f"Sunita {SURNAMES[kind][place]}",
        "sex": "F",
        "age": 9,
        "date": "2026-01-10" if kind == "missing" else "2026-02-01",
        "place": {"city": district, "district": district, "state": state, "address": "House 12, Ward 4"},
        "father_name": f"Ramesh {SURNAMES[kind][place]}",
        "marks": "burn mark on right hand",
        "clothing": "red frock",
        "description": "speaks little, very shy",
        "photos": photos or [],
    }
    if kind == "missing":
        body |= {"police_station": "Kotwali", "police_station_code": STATION_CODE[place],
                 "reported_by": {"name": f"Ramesh {SURNAMES[kind][place]}", "phone": "9800000000", "relation": "father"}}  # fmt: skip
    else:
        body |= {"cci_name": "Bal Ashram", "cci_code": CCI_CODE[place], "age_is_estimate": True}
    return body


# maps: where each role sees exact figures and hotspots (CCI staff: their children, not a district's figures)
MAP_DETAIL = {
    "police": {"own"}, "cwc": {"own"}, "jjb": {"own"}, "dcpu": {"own"}, "state": {"own", "other_district"},
    "central": set(PLACES), "admin": set(PLACES), "cci": set(), "legacy_dcpu": set(),
}  # fmt: skip
MAP_K = 3  # Settings.map_suppress_below's default
# the match worker's jobs: a record's job state goes with its candidates (every role, everywhere); the
# worker's overview and the jobs' errors (code locations, across the country) are for admins
MATCH_JOBS = {"admin"}
# a boy missing from a railway station in each place, with coordinates: what hotspots are made of (never a Sunita)
GEO_BOYS = {"own": ("Zorawar", 15, 24.75, 84.37), "twin": ("Tenzing", 14, 19.93, 75.31), "other_district": ("Xavier", 13, 24.69, 84.94),
            "other_state": ("Quasim", 12, 22.58, 88.14)}  # fmt: skip


def geo_boy(place: str) -> dict:
    name, age, lat, lon = GEO_BOYS[place]
    state, district = PLACES[place]
    return {"kind": "missing", "id": f"M-junk-geo-{place}", "name": name, "sex": "M", "age": age, "date": "2026-01-10",
            "place": {"district": district, "state": state, "address": "railway station, platform 1", "lat": lat, "lon": lon},
            "police_station_code": STATION_CODE[place]}  # fmt: skip


def junk(kind: str) -> dict:
    """A child the matcher would never propose for any Sunita: another sex, age, name and place."""
    body = {"kind": kind, "id": f"{kind[0].upper()}-junk-other_state", "name": "Mohammed Irfan", "sex": "M", "age": 16,
            "place": {"district": "Howrah", "state": "West Bengal"}}  # fmt: skip
    return body | ({"police_station_code": STATION_CODE["other_state"]} if kind == "missing" else {"cci_code": CCI_CODE["other_state"]})


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 90, 60)).save(out, "PNG")
    return out.getvalue()


def _user(role: str) -> UserCreate:
    state, district = {"central": ("", ""), "admin": ("", ""), "state": ("Bihar", "")}.get(role, PLACES["own"])
    unit, code = {"police": ("Kotwali", STATION_CODE["own"]), "cci": ("Bal Ashram", CCI_CODE["own"])}.get(role, ("", ""))
    return UserCreate(username=f"u_{role}", role=role, state=state, district=district, unit=unit, unit_code=code, password=PASSWORD)


def _login_page(client: TestClient, role: str) -> dict[str, str]:
    client.cookies.clear()
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/ui/login", data={"username": f"u_{role}", "password": PASSWORD, "login_csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return dict(client.cookies)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("matrix") / "data")
    with TestClient(create_web_app(settings)) as client:
        res = client.app.state.resources
        photo = res.photo_store.put_bytes(_png(), suffix=".png").relpath
        bodies = [record(k, p, photos=[photo]) for k, p in itertools.product(("missing", "found"), PLACES)]
        report = res.ingestor().ingest_records([*bodies, junk("missing"), junk("found"), *(geo_boy(p) for p in PLACES)])
        assert report.ok, report.rejected
        with res.session_factory() as session:
            for role in ROLES:
                if role in ROLE_OF:  # written as an older version did: no state, no validation
                    legacy = UserCreate(username=f"u_{role}", role="admin", password=PASSWORD)
                    row = users.create(session=session, user_in=legacy)
                    row.role, row.district = ROLE_OF[role], PLACES["own"][1]
                else:
                    users.create(session=session, user_in=_user(role))
            pairs = {}
            for name, (m_place, f_place) in {"touches_own": ("own", "other_state"), "twin": ("twin", "twin"),
                                             "foreign": ("other_state", "other_state")}.items():  # fmt: skip
                values = {"missing": f"Sunita {SURNAMES['missing'][m_place]}", "found": f"Sunita {SURNAMES['found'][f_place]}"}
                row = review.enqueue(
                    session=session, missing_key=f"missing:M-{m_place}", found_key=f"found:F-{f_place}", score=0.9,
                    explanation={"features": {"name": {"level": "exact", "weight_bits": 3.0, "label": "same name", **values}}},
                    evidence=name, missing_district=PLACES[m_place][1], found_district=PLACES[f_place][1],
                    missing_state=PLACES[m_place][0], found_state=PLACES[f_place][0],
                )  # fmt: skip
                pairs[name] = row.pk  # type: ignore[union-attr]
            case_pair = review.enqueue(
                session=session, missing_key="missing:M-own", found_key="found:F-other_district", score=0.95,
                explanation={"features": {}}, evidence="case", missing_district=PLACES["own"][1],
                found_district=PLACES["other_district"][1], missing_state=PLACES["own"][0], found_state=PLACES["other_district"][0],
            )  # fmt: skip
            assert case_pair is not None
            case_pair.status = "confirmed"
            stored = get_records_by_keys(session=session, keys=["missing:M-own", "found:F-other_district"])
            case = restoration.open_case(session=session, pair=case_pair, missing=stored["missing:M-own"].record,
                                         found=stored["found:F-other_district"].record)  # fmt: skip
            users.create(session=session, user_in=UserCreate(username="u_target", role="dcpu", state="Bihar", district="Gaya",
                                                             password=PASSWORD))  # fmt: skip
            flags = {}
            for name, (a, b) in {"touches_own": ("own", "other_state"), "twin": ("twin", "other_state")}.items():
                flag = DuplicateFlagRow(
                    kind="missing", key_a=f"missing:M-{a}", key_b=f"missing:M-{b}", score=0.8, status="pending", evidence_hash=name,
                    district_a=PLACES[a][1], district_b=PLACES[b][1], state_a=PLACES[a][0], state_b=PLACES[b][0],
                    explanation={"features": {"name": {"level": "x", "weight_bits": 1.0, "label": "l", "left": SURNAMES["missing"][a]}}},
                )  # fmt: skip
                session.add(flag)
                session.flush()
                flags[name] = flag.pk
            session.commit()
        tokens = {}
        for role in ROLES:
            answer = client.post("/auth/token", data={"username": f"u_{role}", "password": PASSWORD})
            tokens[role] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        cookies = {role: _login_page(client, role) for role in ROLES}
        client.cookies.clear()
        yield {"client": client, "tokens": tokens, "cookies": cookies, "pairs": pairs, "flags": flags, "res": res, "photo": photo,
               "case": case.pk, "case_pair": case_pair.pk}  # fmt: skip


def _limited_ok(view: dict) -> list[str]:
    leaked = sorted(PRIVATE_KEYS & set(view))
    return [f"limited view leaks {leaked}"] if leaked else []


def _explanation_values(explanation: dict) -> list[str]:
    return [f for f, row in (explanation.get("features") or {}).items() if {"missing", "found", "detail", "left", "right"} & set(row)]


class Cells:
    def __init__(self) -> None:
        self.count, self.problems = 0, []

    def expect(self, cell: str, ok: bool) -> None:
        self.count += 1
        if not ok:
            self.problems.append(cell)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _hidden_surnames(role: str, html: str) -> list[str]:
    """Surnames of the children this role may not see in full, found in a page."""
    return [SURNAMES[kind][place] for kind, place in itertools.product(SURNAMES, PLACES)
            if not sees_full(role, kind, place) and SURNAMES[kind][place] in html]  # fmt: skip


VIEW_ONLY_KEYS = {"photo_count", "created_at", "updated_at", "access"}


def stored_body(client: TestClient, admin: dict, kind: str, rid: str, **changes: str) -> dict:
    """A record as stored (its photos and unit code included), ready to re-submit."""
    view = client.get(f"/records/{kind}/{rid}", headers=admin).json()
    return {k: v for k, v in view.items() if k not in VIEW_ONLY_KEYS} | changes


def proposed_for(client: TestClient, auth: dict, kind: str, rid: str) -> str | None:
    """The matcher's best candidate for a record, as the API shows it."""
    cands = client.get(f"/records/{kind}/{rid}/candidates", headers=auth).json()
    return next((c["key"] for c in cands if "junk" not in c["key"]), None) if isinstance(cands, list) else None


def _api_cells(world: dict, role: str, cells: Cells) -> None:
    client, auth, admin = world["client"], world["tokens"][role], world["tokens"]["admin"]
    expect = cells.expect
    client.cookies.clear()
    me = client.get("/auth/me", headers=auth)
    expect(f"{role} GET /auth/me: {me.status_code}", me.status_code == 200)
    for kind, place in itertools.product(("missing", "found"), PLACES):
        rid, full = f"{kind[0].upper()}-{place}", sees_full(role, kind, place)
        cell = f"{role} GET /records/{kind}/{place}"
        got = client.get(f"/records/{kind}/{rid}", headers=auth)
        expect(f"{cell}: {got.status_code}", got.status_code == 200)
        view = got.json()
        expect(f"{cell}: access {view.get('access')}", view.get("access") == ("full" if full else "limited"))
        if not full:
            for p in _limited_ok(view):
                expect(f"{cell}: {p}", False)
        listed = client.get("/records", params={"kind": kind, "limit": 200}, headers=auth).json()
        item = next(v for v in listed if v["id"] == rid)
        expect(f"{role} GET /records?kind={kind} item {place}: {item['access']}", item["access"] == ("full" if full else "limited"))
        # edit: re-submit the same record; then try to close the case
        may_edit = (kind, place) in EDITS.get(role, set())
        put = client.put(f"/records/{kind}/{rid}", json=stored_body(client, admin, kind, rid), headers=auth)
        expect(f"{role} PUT /records/{kind}/{place}: {put.status_code}", put.status_code == (200 if may_edit else 403))
        closing = client.put(f"/records/{kind}/{rid}", json=stored_body(client, admin, kind, rid, status=CLOSING[kind]), headers=auth)
        may_close = (kind, place) in CLOSES.get(role, set())
        expect(
            f"{role} PUT /records/{kind}/{place} status={CLOSING[kind]}: {closing.status_code}",
            closing.status_code == (200 if may_close else 403),
        )
        if closing.status_code == 200:  # reopen for the next cells
            reopened = stored_body(client, admin, kind, rid, status="open" if kind == "missing" else "in_care")
            assert client.put(f"/records/{kind}/{rid}", json=reopened, headers=admin).status_code == 200
        # create a new record there (the unit code of the place's own unit)
        new = client.post("/records", json=record(kind, place, suffix=f"-new-{role}"), headers=auth)
        expect(f"{role} POST /records {kind} at {place}: {new.status_code}", new.status_code == (201 if may_edit else 403))
        # a photo (no face in it): an edit like any other
        upload = client.post(f"/records/{kind}/{rid}/photos", files={"file": ("p.png", _png(), "image/png")}, headers=auth)
        expect(f"{role} POST /records/{kind}/{place}/photos: {upload.status_code}", upload.status_code == (201 if may_edit else 403))
        # candidates and duplicates: anyone may match; values only where both children are theirs
        for what in ("candidates", "duplicates"):
            cands = client.get(f"/records/{kind}/{rid}/{what}", headers=auth)
            expect(f"{role} GET {what} {kind}/{place}: {cands.status_code}", cands.status_code == 200)
            for c in cands.json() if cands.status_code == 200 else []:
                other_place = place_of(c["id"])
                both = full and sees_full(role, c["kind"], other_place) and "junk" not in c["id"]
                if not both:
                    values = _explanation_values(c["explain"])
                    expect(f"{role} {what} {kind}/{place} → {c['id']}: explanation leaks values of {values}", not values)
                if c["record"]["access"] == "limited":
                    for p in _limited_ok(c["record"]):
                        expect(f"{role} {what} {kind}/{place} → {c['id']}: {p}", False)
        # send for review: a proposed candidate; a junk pair without and with a reason
        proposed = proposed_for(client, auth, kind, rid)
        expect(f"{role} candidates of {kind}/{place} propose someone", proposed is not None)
        may_send = (kind, place) in SENDS.get(role, set())
        sent = client.post(f"/records/{kind}/{rid}/review", json={"other_key": proposed or ""}, headers=auth)
        expect(f"{role} POST /records/{kind}/{place}/review proposed: {sent.status_code}", sent.status_code == (201 if may_send else 403))
        if sent.status_code == 201:
            listed = sent.json()
            for side in ("missing", "found"):
                side_place = place_of(listed[side]["id"])
                want = "full" if sees_full(role, side, side_place) else "limited"
                expect(f"{role} sent pair {kind}/{place}: {side} side {listed[side]['access']}", listed[side]["access"] == want)
        junk_key = f"{'found' if kind == 'missing' else 'missing'}:{'F' if kind == 'missing' else 'M'}-junk-other_state"
        plain = client.post(f"/records/{kind}/{rid}/review", json={"other_key": junk_key}, headers=auth)
        expect(f"{role} POST /records/{kind}/{place}/review junk, no reason: {plain.status_code}", plain.status_code == 403)
        reasoned = client.post(f"/records/{kind}/{rid}/review", json={"other_key": junk_key, "reason": "mother says so"}, headers=auth)
        may_override = (kind, place) in OVERRIDES.get(role, set())
        want_code = 201 if may_override else 403
        expect(f"{role} POST /records/{kind}/{place}/review junk with reason: {reasoned.status_code}", reasoned.status_code == want_code)
    # search nationwide: hits outside the jurisdiction are limited, quote nothing, and match names only
    for hit in client.get("/search", params={"q": "sunita", "limit": 100}, headers=auth).json():
        if "-new-" in hit["id"] or "-page-" in hit["id"] or "junk" in hit["id"]:
            continue
        place = place_of(hit["id"])
        full = sees_full(role, hit["kind"], place)
        expect(f"{role} search hit {hit['id']}: {hit['access']}", hit["access"] == ("full" if full else "limited"))
        if not full:
            expect(f"{role} search hit {hit['id']} quotes record terms", not hit["matches"] and hit["name"] == "Sunita")
            expect(f"{role} search hit {hit['id']} names fields {hit['matched_fields']}", set(hit["matched_fields"]) <= {"name"})
            for p in _limited_ok(hit["record"]):
                expect(f"{role} search hit {hit['id']}: {p}", False)
    for field, word in HIDDEN_WORDS.items():
        hits = client.get("/search", params={"q": word, "limit": 100}, headers=auth).json()
        outsiders = [h["id"] for h in hits if h["access"] == "limited"]
        expect(f"{role} search {word!r} ({field}) finds outsiders {outsiders}", not outsiders)
        inside = [h for h in hits if h["access"] == "full" and "-new-" not in h["id"] and "-page-" not in h["id"]]
        mine = [p for p in PLACES if sees_full(role, "missing", p) or sees_full(role, "found", p)]
        expect(f"{role} search {word!r} ({field}) finds own records", bool(inside) == bool(mine))
    # date filters: the limited view hides the date, so outside the jurisdiction a window is not
    # applied (narrowed around a record it would confirm the hidden date); inside it filters as asked
    outsiders = {
        h["id"] for h in client.get("/search", params={"q": "sunita", "limit": 100}, headers=auth).json() if h["access"] == "limited"
    }
    for window in (("2026-01-10", "2026-01-10"), ("2025-01-01", "2025-01-31")):
        hits = client.get(
            "/search", params={"q": "sunita", "limit": 100, "date_from": window[0], "date_to": window[1]}, headers=auth
        ).json()
        limited = [h for h in hits if h["access"] == "limited"]
        expect(f"{role} search sunita dated {window}: outsiders change {sorted({h['id'] for h in limited} ^ outsiders)}",
               {h["id"] for h in limited} == outsiders)  # fmt: skip
        expect(f"{role} search sunita dated {window}: outsiders not told the filter was not applied",
               all(h["filters_not_applied"] == ["date_from", "date_to"] for h in limited))  # fmt: skip
        for hit in hits:
            if hit["access"] == "full" and not any(t in hit["id"] for t in ("-new-", "-page-", "junk")):
                inside = window[0] <= hit["record"]["date"] <= window[1]
                expect(f"{role} search sunita dated {window}: own {hit['id']} dated {hit['record']['date']}", inside)
    photo = client.post("/search/photo", files={"file": ("f.jpg", (FACES / "obama_4.jpg").read_bytes(), "image/jpeg")}, headers=auth)
    expect(f"{role} POST /search/photo: {photo.status_code}", photo.status_code == 200)
    # review queue: pairs within the jurisdiction only, each side limited unless covered; audited
    with world["res"].session_factory() as session:
        listed_before = session.scalar(
            select(func.count())
            .select_from(AuditEntryRow)
            .where(AuditEntryRow.action == "review_list", AuditEntryRow.username == f"u_{role}")
        )
    queue = client.get("/review/queue", params={"limit": 200}, headers=auth)
    expect(f"{role} GET /review/queue: {queue.status_code}", queue.status_code == (200 if role in REVIEW_LIST else 403))
    if queue.status_code == 200:
        waiting = client.get("/review/queue", params={"status": "need_info", "limit": 200}, headers=auth).json()
        items = queue.json() + waiting
        seen = {p["pk"] for p in items}
        pairs = world["pairs"]
        touches = pairs["touches_own"] in seen
        expect(f"{role} queue shows the pair touching own Aurangabad: {touches}", touches == (role != "legacy_dcpu"))
        for name in ("twin", "foreign"):
            expect(f"{role} queue shows the {name} pair: {pairs[name] in seen}", (pairs[name] in seen) == (role in NATIONAL))
        for p in items:
            for side in ("missing", "found"):
                view = p[side]
                if not view:
                    continue
                want = "full" if sees_full(role, side, place_of(view["id"])) else "limited"
                expect(f"{role} queue pair {p['pk']} {side} {view['id']}: {view['access']}", view["access"] == want)
                if view["access"] == "limited":
                    for problem in _limited_ok(view):
                        expect(f"{role} queue pair {p['pk']} {side}: {problem}", False)
            if "limited" in (p["missing"].get("access"), p["found"].get("access")):
                expect(f"{role} queue pair {p['pk']} explanation leaks values", not _explanation_values(p["explanation"]))
        with world["res"].session_factory() as session:
            listed_after = session.scalar(
                select(func.count())
                .select_from(AuditEntryRow)
                .where(AuditEntryRow.action == "review_list", AuditEntryRow.username == f"u_{role}")
            )
        expect(f"{role} GET /review/queue writes an audit entry ({listed_before} → {listed_after})", listed_after == listed_before + 2)
    for name, pk in world["pairs"].items():
        sees = role in NATIONAL or (name == "touches_own" and role not in ("cci", "legacy_dcpu"))
        got = client.get(f"/review/pairs/{pk}", headers=auth)
        expect(f"{role} GET /review/pairs/{name}: {got.status_code}", got.status_code == (200 if sees else 403))
        decide = client.post(f"/review/pairs/{pk}/decision", json={"decision": "need_info", "note": "matrix"}, headers=auth)
        may_decide = role == "admin" or (role in DECIDE and name == "touches_own" and role != "legacy_dcpu")
        expect(f"{role} POST /review/pairs/{name}/decision: {decide.status_code}", decide.status_code == (200 if may_decide else 403))
    # duplicates: the same, per flag
    dups = client.get("/review/duplicates", params={"limit": 200}, headers=auth)
    expect(f"{role} GET /review/duplicates: {dups.status_code}", dups.status_code == (200 if role in REVIEW_LIST else 403))
    if dups.status_code == 200:
        seen = {f["pk"] for f in dups.json()}
        flags = world["flags"]
        expect(f"{role} duplicates show the own flag", (flags["touches_own"] in seen) == (role != "legacy_dcpu"))
        expect(f"{role} duplicates show the twin flag: {flags['twin'] in seen}", (flags["twin"] in seen) == (role in NATIONAL))
        for f in dups.json():
            for side in ("a", "b"):
                want = "full" if sees_full(role, "missing", place_of(f[side]["id"])) else "limited"
                expect(f"{role} duplicate {f['pk']} {side}: {f[side]['access']}", f[side]["access"] == want)
            if "limited" in (f["a"]["access"], f["b"]["access"]):
                expect(f"{role} duplicate {f['pk']} explanation leaks values", not _explanation_values(f["explanation"]))
    for name, pk in world["flags"].items():
        decided = client.post(f"/review/duplicates/{pk}/decision", json={"decision": "reopen", "note": "matrix"}, headers=auth)
        may_decide = role == "admin" or (role in DECIDE and name == "touches_own" and role != "legacy_dcpu")
        want_code = 200 if may_decide else 403
        expect(f"{role} POST /review/duplicates/{name}/decision: {decided.status_code}", decided.status_code == want_code)
    # audit trail, export, retention
    for path in ("/audit", "/audit/verify"):
        got = client.get(path, headers=auth)
        expect(f"{role} GET {path}: {got.status_code}", got.status_code == (200 if role in AUDIT else 403))
    export = client.get("/records/export/jsonl", headers=auth)
    expect(f"{role} GET /records/export/jsonl: {export.status_code}", export.status_code == (200 if role in EXPORT else 403))
    if export.status_code == 200:
        for line in export.text.splitlines():
            r = json.loads(line)
            place = next(p for p, (s, d) in PLACES.items() if (r["place"]["state"], r["place"]["district"]) == (s, d))
            expect(f"{role} export carries {r['id']} from {place}", sees_full(role, r["kind"], place))
    retention = client.post("/records/retention/run", params={"days": 36500}, headers=auth)
    expect(f"{role} POST /records/retention/run: {retention.status_code}", retention.status_code == (200 if role == "admin" else 403))


def _page_cells(world: dict, role: str, cells: Cells) -> None:
    client, expect = world["client"], cells.expect
    client.cookies.clear()
    client.cookies.update(world["cookies"][role])
    home = client.get("/ui/")
    expect(f"{role} GET /ui/: {home.status_code}", home.status_code == 200)
    expect(f"{role} GET /ui/ shows hidden surnames {_hidden_surnames(role, home.text)}", not _hidden_surnames(role, home.text))
    queue = client.get("/ui/review")
    expect(f"{role} GET /ui/review: {queue.status_code}", queue.status_code == (200 if role in REVIEW_LIST else 403))
    if queue.status_code == 200:
        leaks = _hidden_surnames(role, queue.text)
        expect(f"{role} GET /ui/review shows hidden surnames {leaks}", not leaks)
        expect(f"{role} GET /ui/review lists the twin pair", f'/ui/review/{world["pairs"]["twin"]}"' not in queue.text or role in NATIONAL)
    csrf = _csrf(client.get("/ui/search").text)
    for kind, place in itertools.product(("missing", "found"), PLACES):
        rid, full = f"{kind[0].upper()}-{place}", sees_full(role, kind, place)
        page = client.get(f"/ui/records/{kind}/{rid}")
        expect(f"{role} GET /ui/records/{kind}/{place}: {page.status_code}", page.status_code == 200)
        if not full:
            expect(f"{role} GET /ui/records/{kind}/{place} shows the surname", SURNAMES[kind][place] not in page.text)
        for size in ("thumb", "large"):
            got = client.get(f"/ui/photos/{kind}/{rid}/0", params={"size": size})
            want = 200 if size == "thumb" or full else 403
            expect(f"{role} GET /ui/photos/{kind}/{place} {size}: {got.status_code}", got.status_code == want)
        # send for review through the page: proposed and junk
        other = proposed_for(client, world["tokens"][role], kind, rid) or ""
        sent = client.post(f"/ui/records/{kind}/{rid}/review", data={"csrf": csrf, "other_key": other}, follow_redirects=False)
        may_send = (kind, place) in SENDS.get(role, set())
        expect(f"{role} POST /ui/records/{kind}/{place}/review: {sent.status_code}", sent.status_code == (303 if may_send else 403))
        junk_key = f"{'found' if kind == 'missing' else 'missing'}:{'F' if kind == 'missing' else 'M'}-junk-other_state"
        junked = client.post(f"/ui/records/{kind}/{rid}/review", data={"csrf": csrf, "other_key": junk_key}, follow_redirects=False)
        expect(f"{role} POST /ui/records/{kind}/{place}/review junk: {junked.status_code}", junked.status_code == 403)
    for kind in ("missing", "found"):
        may_create = any((kind, p) in EDITS.get(role, set()) for p in PLACES)
        form = client.get(f"/ui/records/new/{kind}")
        expect(f"{role} GET /ui/records/new/{kind}: {form.status_code}", form.status_code == (200 if may_create else 403))
        for place in PLACES:
            values = {"csrf": csrf, "id": f"{kind[0].upper()}-{place}-page-{role}", "name": "Sunita", "place.district": PLACES[place][1],
                      "place.state": PLACES[place][0], "cci_name" if kind == "found" else "police_station": "Kotwali"}  # fmt: skip
            filed = client.post(f"/ui/records/new/{kind}", data=values, follow_redirects=False)
            may = (kind, place) in EDITS.get(role, set()) or (role in ("police", "cci") and (kind, "own") in EDITS[role] and place != "own")
            # police and CCI file for their own unit wherever the child was: the unit code, not the place, makes it theirs
            expect(f"{role} POST /ui/records/new/{kind} at {place}: {filed.status_code}", filed.status_code == (303 if may else 403))
    for name, pk in world["pairs"].items():
        sees = role in NATIONAL or (name == "touches_own" and role not in ("cci", "legacy_dcpu"))
        got = client.get(f"/ui/review/{pk}")
        expect(f"{role} GET /ui/review/{name}: {got.status_code}", got.status_code == (200 if sees else 403))
        decided = client.post(
            f"/ui/review/{pk}/decision", data={"csrf": csrf, "decision": "need_info", "note": "matrix"}, follow_redirects=False
        )
        may_decide = role == "admin" or (role in DECIDE and name == "touches_own" and role != "legacy_dcpu")
        expect(f"{role} POST /ui/review/{name}/decision: {decided.status_code}", decided.status_code == (303 if may_decide else 403))
    for name, pk in world["flags"].items():
        decided = client.post(
            f"/ui/review/duplicates/{pk}", data={"csrf": csrf, "decision": "distinct", "note": "m"}, follow_redirects=False
        )
        may_decide = role == "admin" or (role in DECIDE and name == "touches_own" and role != "legacy_dcpu")
        expect(f"{role} POST /ui/review/duplicates/{name}: {decided.status_code}", decided.status_code == (303 if may_decide else 403))
    with world["res"].session_factory() as session:  # back to pending for the next role
        session.execute(update(DuplicateFlagRow).values(status="pending"))
        session.commit()
    for path in ("/ui/search", "/ui/search/photo"):
        got = client.get(path)
        expect(f"{role} GET {path}: {got.status_code}", got.status_code == 200)
    for word in ("sunita", *HIDDEN_WORDS.values()):
        found = client.post("/ui/search", data={"csrf": csrf, "q": word})
        expect(f"{role} POST /ui/search {word}: {found.status_code}", found.status_code == 200)
        leaks = _hidden_surnames(role, found.text)
        expect(f"{role} POST /ui/search {word} shows hidden surnames {leaks}", not leaks)
        if word != "sunita":
            ids = [p for p in PLACES if not (sees_full(role, "missing", p) or sees_full(role, "found", p)) and f'-{p}"' in found.text]
            expect(f"{role} POST /ui/search {word} lists outsiders at {ids}", not ids)
    dated = client.post("/ui/search", data={"csrf": csrf, "q": "sunita", "date_from": "2025-01-01", "date_to": "2025-01-31"})
    expect(f"{role} POST /ui/search dated: {dated.status_code}", dated.status_code == 200)
    expect(f"{role} POST /ui/search dated shows hidden surnames", not _hidden_surnames(role, dated.text))
    outside = any(not (sees_full(role, "missing", p) and sees_full(role, "found", p)) for p in PLACES)
    expect(f"{role} POST /ui/search dated: outsiders listed without the note", ("Date filter not applied" in dated.text) == outside)
    face = (FACES / "obama_4.jpg").read_bytes()
    by_photo = client.post("/ui/search/photo", data={"csrf": csrf}, files={"photo": ("f.jpg", face, "image/jpeg")})
    expect(f"{role} POST /ui/search/photo: {by_photo.status_code}", by_photo.status_code == 200)
    audit = client.get("/ui/audit")
    expect(f"{role} GET /ui/audit: {audit.status_code}", audit.status_code == (200 if role in AUDIT else 403))
    client.cookies.clear()


def test_access_matrix(world: dict) -> None:
    cells = Cells()
    for role in ROLES:
        _api_cells(world, role, cells)
        _page_cells(world, role, cells)
        _after_match_cells(world, role, cells)
        _interchange_cells(world, role, cells)
        _directory_cells(world, role, cells)
        _care_rest_cells(world, role, cells)
        _citizen_cells(world, role, cells)
        _monitor_cells(world, role, cells)
        _maps_cells(world, role, cells)
        _match_job_cells(world, role, cells)
        _account_cells(world, role, cells)  # last: it ends this role's sessions
    print(f"access matrix: {cells.count} cells checked, {len(cells.problems)} problems")
    Path("test-artifacts").mkdir(exist_ok=True)
    Path("test-artifacts/access-matrix.txt").write_text(
        f"{cells.count} cells, {len(cells.problems)} problems\n" + "\n".join(cells.problems)
    )
    assert not cells.problems, "\n".join(cells.problems[:80])


def _after_match_cells(world: dict, role: str, cells: Cells) -> None:
    """Explicit matching, restoration cases, notifications, nodal officers and reopening."""
    client, auth, expect = world["client"], world["tokens"][role], cells.expect
    client.cookies.clear()
    case, sees = world["case"], role in CASE_SEES
    matched = client.post("/records/missing/M-own/match", headers=auth)
    want = 200 if sees_full(role, "missing", "own") else 403
    expect(f"{role} POST /records/missing/own/match: {matched.status_code}", matched.status_code == want)
    listed = client.get("/restoration/cases", headers=auth)
    expect(f"{role} GET /restoration/cases: {listed.status_code}", listed.status_code == 200)
    shown = {c["pk"] for c in listed.json()} if listed.status_code == 200 else set()
    expect(f"{role} GET /restoration/cases lists the case: {case in shown}", (case in shown) == sees)
    got = client.get(f"/restoration/cases/{case}", headers=auth)
    expect(f"{role} GET /restoration/cases/{{case}}: {got.status_code}", got.status_code == (200 if sees else 403))
    # a probe that changes nothing: the permission is checked before the fields (422 = allowed)
    probe = {"fields": {"report_date": "2026-01-01", "outcome": "not-an-outcome"}}
    step = client.post(f"/restoration/cases/{case}/steps/home_verification", json=probe, headers=auth)
    want = 422 if role in HOME_VERIFIES else 403
    expect(f"{role} POST /restoration/cases/{{case}}/steps/home_verification: {step.status_code}", step.status_code == want)
    overdue = client.get("/restoration/overdue", headers=auth)
    expect(f"{role} GET /restoration/overdue: {overdue.status_code}", overdue.status_code == 200)
    own_data = (("get", "/notifications", None), ("get", "/notifications/unread", None), ("post", "/notifications/read", None),
                ("get", "/me/contact", None), ("put", "/me/contact", {"email": f"{role}@example.org"}))  # fmt: skip
    for method, path, body in own_data:
        answer = client.request(method.upper(), path, json=body, headers=auth)
        expect(f"{role} {method.upper()} {path}: {answer.status_code}", answer.status_code == 200)
    nodal = client.put("/users/u_dcpu/nodal", json={"nodal": True}, headers=auth)
    expect(f"{role} PUT /users/u_dcpu/nodal: {nodal.status_code}", nodal.status_code == (200 if role in NODAL_NAMES else 403))
    # pages
    cookies = world["cookies"][role]
    page = client.get("/ui/restoration", cookies=cookies)
    expect(f"{role} GET /ui/restoration: {page.status_code}", page.status_code == 200)
    expect(f"{role} /ui/restoration shows hidden surnames", not _hidden_surnames(role, page.text))
    page = client.get(f"/ui/restoration/{case}", cookies=cookies)
    expect(f"{role} GET /ui/restoration/{{case}}: {page.status_code}", page.status_code == (200 if sees else 403))
    csrf = _csrf(client.get("/ui/notifications", cookies=cookies).text)
    posted = client.post(f"/ui/restoration/{case}/steps/home_verification", cookies=cookies,
                         data={"csrf": csrf, "report_date": "2026-01-01", "outcome": "not-an-outcome"})  # fmt: skip
    want = 422 if role in HOME_VERIFIES else 403
    expect(f"{role} POST /ui/restoration/{{case}}/steps/home_verification: {posted.status_code}", posted.status_code == want)
    read = client.post("/ui/notifications/read", cookies=cookies, data={"csrf": csrf}, follow_redirects=False)
    expect(f"{role} POST /ui/notifications/read: {read.status_code}", read.status_code == 303)
    client.cookies.clear()
    # children in care: the own district's found child (CCI CCI/BR/17), and one in another state
    for place in ("own", "other_state"):
        rid = f"F-{place}"
        keeps = role == "admin" or (place == "own" and role in CARE_KEEPS)
        reads = role in NATIONAL or (place == "own" and role in CARE_READS)
        got = client.get(f"/care/children/{rid}", headers=auth)
        expect(f"{role} GET /care/children/{place}: {got.status_code}", got.status_code == (200 if reads else 403))
        bad_goal = {"domain": "not-a-domain", "goal": "g", "start_date": "2026-01-01"}
        probes = (("goals", bad_goal), ("events", {"kind": "x", "on": "2026-01-01"}))
        for what, bad in probes:
            posted = client.post(f"/care/children/{rid}/{what}", json=bad, headers=auth)  # refused before anything is written
            expect(f"{role} POST /care/children/{place}/{what}: {posted.status_code}", posted.status_code == (422 if keeps else 403))
    roll = client.get(f"/care/ccis/{CCI_CODE['own']}/roll", headers=auth)
    want = 200 if role == "admin" or role in CARE_KEEPS else 403
    expect(f"{role} GET /care/ccis/own/roll: {roll.status_code}", roll.status_code == want)
    # reopening the confirmed pair: the DCPU/CWC of either child's district (the first one reopens it)
    reopen = client.post(f"/review/pairs/{world['case_pair']}/reopen", json={"reason": "matrix"}, headers=auth)
    may_reopen = role == "admin" or role in {"cwc", "dcpu"}
    expect(f"{role} POST /review/pairs/{{case}}/reopen: {reopen.status_code}", reopen.status_code in ((200, 409) if may_reopen else (403,)))


def _a_pdf() -> bytes:
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    return out.getvalue()


def _care_rest_world(world: dict) -> dict:
    """A document on the case's CWC order and an answered transfer into the cci role's own CCI
    (made once, as admin, through the services)."""
    if "document" not in world:
        from search_api.care.models import CareTransferRow
        from search_api.restoration import flows as restoration_flows

        res = world["res"]
        with res.session_factory() as session:
            admin = session.scalar(select(UserRow).where(UserRow.username == "u_admin"))
            doc = restoration_flows.attach_document(session=session, settings=res.settings, case_pk=world["case"], step="cwc_order",
                                                    data=_a_pdf(), user=admin, filename="order.pdf")  # fmt: skip
            state, district = PLACES["own"]
            moved = CareTransferRow(found_key="found:F-other_district", from_code=CCI_CODE["other_district"], from_state="Bihar",
                                    from_district="Gaya", to_code=CCI_CODE["own"], to_state=state, to_district=district,
                                    status="declined", requested_by="u_admin", requested_role="admin")  # fmt: skip
            session.add(moved)
            session.commit()
            world["document"], world["transfer"] = doc.pk, moved.pk
    return world


def _care_rest_cells(world: dict, role: str, cells: Cells) -> None:
    """Documents on steps (added by who records the step, read by who sees the case), transfers
    (asked by the child's CCI or CWC, answered by the receiving CCI), care pages, preferences."""
    world = _care_rest_world(world)
    client, auth, expect = world["client"], world["tokens"][role], cells.expect
    client.cookies.clear()
    case, doc, transfer, sees = world["case"], world["document"], world["transfer"], role in CASE_SEES
    # a file that is no document: refused (415) once the permission is granted, 403 before
    junk_file = {"file": ("order.pdf", b"not a document", "application/pdf")}
    posted = client.post(f"/restoration/cases/{case}/steps/home_verification/documents", files=junk_file, headers=auth)
    want = 415 if role in HOME_VERIFIES else 403
    expect(f"{role} POST /restoration/cases/{{case}}/steps/home_verification/documents: {posted.status_code}", posted.status_code == want)
    got = client.get(f"/restoration/cases/{case}/documents/{doc}", headers=auth)
    expect(f"{role} GET /restoration/cases/{{case}}/documents/{{doc}}: {got.status_code}", got.status_code == (200 if sees else 403))
    if got.status_code == 200:
        expect(
            f"{role} the document comes back as it was",
            got.content.startswith(b"%PDF-") and "attachment" in got.headers["content-disposition"],
        )
    for place in ("own", "other_state"):
        rid = f"F-{place}"
        asks = role == "admin" or (place == "own" and role in TRANSFER_ASKS)
        probe = {"to_code": CCI_CODE[place]}  # its own CCI: refused after the permission, nothing written
        asked = client.post(f"/care/children/{rid}/transfers", json=probe, headers=auth)
        expect(f"{role} POST /care/children/{place}/transfers: {asked.status_code}", asked.status_code == (422 if asks else 403))
    answered = client.post(f"/care/transfers/{transfer}/answer", json={"answer": "acknowledge"}, headers=auth)  # already declined
    want = 422 if role in TRANSFER_ANSWERS else 403
    expect(f"{role} POST /care/transfers/{{pk}}/answer: {answered.status_code}", answered.status_code == want)
    # pages
    cookies = world["cookies"][role]
    client.cookies.update(cookies)
    csrf = _csrf(client.get("/ui/notifications").text)
    up = client.post(f"/ui/restoration/{case}/documents", data={"csrf": csrf, "step": "home_verification"},
                     files={"document": ("order.pdf", b"not a document", "application/pdf")})  # fmt: skip
    want = 422 if role in HOME_VERIFIES else 403
    expect(f"{role} POST /ui/restoration/{{case}}/documents: {up.status_code}", up.status_code == want)
    got = client.get(f"/ui/restoration/{case}/documents/{doc}")
    expect(f"{role} GET /ui/restoration/{{case}}/documents/{{doc}}: {got.status_code}", got.status_code == (200 if sees else 403))
    for place in ("own", "other_state"):
        rid = f"F-{place}"
        keeps = role == "admin" or (place == "own" and role in CARE_KEEPS)
        reads = role in NATIONAL or (place == "own" and role in CARE_READS)
        asks = role == "admin" or (place == "own" and role in TRANSFER_ASKS)
        page = client.get(f"/ui/care/children/{rid}")
        expect(f"{role} GET /ui/care/children/{place}: {page.status_code}", page.status_code == (200 if reads else 403))
        expect(f"{role} GET /ui/care/children/{place} shows hidden surnames", not _hidden_surnames(role, page.text))
        offers = 'id="form-goal"' in page.text, 'id="form-transfer"' in page.text
        expect(f"{role} GET /ui/care/children/{place} offers {offers}", offers == (keeps and reads, asks and reads))
        probes = (("goals", {"domain": "not-a-domain", "goal": "g", "start_date": "2026-01-01"}),
                  ("events", {"kind": "x", "on": "2026-01-01"}), ("transfers", {"to_code": CCI_CODE[place]}))  # fmt: skip
        for what, bad in probes:
            posted = client.post(f"/ui/care/children/{rid}/{what}", data={"csrf": csrf, **bad})
            allowed = asks if what == "transfers" else keeps
            expect(f"{role} POST /ui/care/children/{place}/{what}: {posted.status_code}", posted.status_code == (422 if allowed else 403))
    roll = client.get(f"/ui/care/ccis/{CCI_CODE['own']}/roll")
    want = 200 if role == "admin" or role in CARE_KEEPS else 403
    expect(f"{role} GET /ui/care/ccis/own/roll: {roll.status_code}", roll.status_code == want)
    expect(f"{role} GET /ui/care/ccis/own/roll shows hidden surnames", not _hidden_surnames(role, roll.text))
    answer = client.post(f"/ui/care/transfers/{transfer}/answer", data={"csrf": csrf, "answer": "acknowledge", "code": CCI_CODE["own"]})
    want = 422 if role in TRANSFER_ANSWERS else 403
    expect(f"{role} POST /ui/care/transfers/{{pk}}/answer: {answer.status_code}", answer.status_code == want)
    prefs = client.get("/ui/notifications/preferences")
    expect(f"{role} GET /ui/notifications/preferences: {prefs.status_code}", prefs.status_code == 200)
    saved = client.post("/ui/notifications/preferences", data={"csrf": csrf, "email": "not an address"})
    expect(f"{role} POST /ui/notifications/preferences: {saved.status_code}", saved.status_code == 422)
    client.cookies.clear()


def _directory_entry(world: dict, values: dict) -> int:
    """An entry written as admin through the service (admin's own tokens end in its account cells)."""
    with world["res"].session_factory() as session:
        admin = session.scalar(select(UserRow).where(UserRow.username == "u_admin"))
        row, _warnings = directory.save_entry(session=session, user=admin, values=values)
        session.commit()
        return row.pk


def _directory_cells(world: dict, role: str, cells: Cells) -> None:
    """The service directory: read and exported by every role; entries, imports and deletes by the
    DCPU of the entry's (state, district) only (the twin district's name is no key), and admin."""
    client, auth, expect = world["client"], world["tokens"][role], cells.expect
    client.cookies.clear()
    keeps = DIRECTORY_KEEPS.get(role, set())

    def entry(place: str, name: str) -> dict:
        return {"type": "hospital", "name": name, "state": PLACES[place][0], "district": PLACES[place][1], "phone": "0612-2200000"}

    for place in PLACES:
        _directory_entry(world, entry(place, "Sadar Hospital"))  # there for every role to find
        saved = client.post("/directory/entries", json=entry(place, "Sadar Hospital"), headers=auth)
        want = 201 if place in keeps else 403
        expect(f"{role} POST /directory/entries at {place}: {saved.status_code}", saved.status_code == want)
        target = _directory_entry(world, entry(place, f"Ward {role}"))
        gone = client.delete(f"/directory/entries/{target}", headers=auth)
        want = 204 if place in keeps else 403
        expect(f"{role} DELETE /directory/entries at {place}: {gone.status_code}", gone.status_code == want)
        got = client.get(f"/directory/entries/{target}", headers=auth)
        want = 404 if place in keeps else 200
        expect(f"{role} GET /directory/entries/{{pk}} at {place}: {got.status_code}", got.status_code == want)
    listed = client.get("/directory/entries", params={"district": "Aurangabad", "type": "hospital", "q": "sadar"}, headers=auth)
    expect(f"{role} GET /directory/entries: {listed.status_code}", listed.status_code == 200)
    places = {(e["state"], e["district"]) for e in listed.json()} if listed.status_code == 200 else set()
    expect(f"{role} GET /directory/entries finds both Aurangabads: {places}", places == {PLACES["own"], PLACES["twin"]})
    exported = client.get("/directory/export.csv", headers=auth)
    expect(f"{role} GET /directory/export.csv: {exported.status_code}", exported.status_code == 200)
    # a file with a row of the own district (line 2) and one of the twin district (line 3)
    rows = b"type,name,state,district\nphc,PHC Obra,Bihar,Aurangabad\nphc,PHC Obra,Maharashtra,Aurangabad\n"
    imported = client.post("/directory/import", files={"file": ("d.csv", rows, "text/csv")}, headers=auth)
    want = 200 if role in DIRECTORY_KEEPS or role == "legacy_dcpu" else 403
    expect(f"{role} POST /directory/import: {imported.status_code}", imported.status_code == want)
    if imported.status_code == 200:
        refused = {(p["line"], p["field"]) for p in imported.json()["errors"]}
        want_refused = {(line, "district") for line, place in ((2, "own"), (3, "twin")) if place not in keeps}
        expect(f"{role} POST /directory/import refuses {refused}", refused == want_refused)
    # pages
    cookies = world["cookies"][role]
    page = client.get("/ui/directory", cookies=cookies)
    expect(f"{role} GET /ui/directory: {page.status_code}", page.status_code == 200)
    offers = 'id="directory-import"' in page.text
    expect(f"{role} GET /ui/directory offers the import: {offers}", offers == (role in ("dcpu", "admin", "legacy_dcpu")))
    expect(f"{role} GET /ui/directory shows hidden surnames", not _hidden_surnames(role, page.text))
    posted = client.post("/ui/directory/import", cookies=cookies, data={"csrf": _csrf(page.text)},
                         files={"file": ("d.csv", rows, "text/csv")})  # fmt: skip
    want = 200 if role == "admin" else 422 if role in ("dcpu", "legacy_dcpu") else 403
    expect(f"{role} POST /ui/directory/import: {posted.status_code}", posted.status_code == want)
    csv_page = client.get("/ui/directory/export.csv", cookies=cookies)
    expect(f"{role} GET /ui/directory/export.csv: {csv_page.status_code}", csv_page.status_code == 200)
    client.cookies.clear()


def _account_cells(world: dict, role: str, cells: Cells) -> None:
    """One's own sessions and password (every role); other users' accounts (admin only)."""
    client, auth, expect = world["client"], world["tokens"][role], cells.expect
    for action in ("deactivate", "activate", "logout-all"):
        answer = client.post(f"/users/u_target/{action}", headers=auth)
        expect(f"{role} POST /users/u_target/{action}: {answer.status_code}", answer.status_code == (200 if role == "admin" else 403))
    login = client.post("/auth/token", data={"username": f"u_{role}", "password": PASSWORD}).json()
    fresh = {"Authorization": f"Bearer {login['access_token']}"}
    out = client.post("/auth/logout", headers=fresh)
    expect(f"{role} POST /auth/logout: {out.status_code}", out.status_code == 204)
    expect(f"{role} a logged-out token is refused", client.get("/auth/me", headers=fresh).status_code == 401)
    changed = client.post("/auth/password", json={"current_password": PASSWORD, "new_password": PASSWORD + " new"}, headers=auth)
    expect(f"{role} POST /auth/password: {changed.status_code}", changed.status_code == 200)
    token = {"Authorization": f"Bearer {changed.json()['access_token']}"} if changed.status_code == 200 else auth
    everywhere = client.post("/auth/logout-all", headers=token)
    expect(f"{role} POST /auth/logout-all: {everywhere.status_code}", everywhere.status_code == 200)
    expect(f"{role} after logout-all the token is refused", client.get("/auth/me", headers=token).status_code == 401)
    # the account page, with a fresh page session under the new password
    client.cookies.clear()
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    client.post("/ui/login", data={"username": f"u_{role}", "password": PASSWORD + " new", "login_csrf": nonce}, follow_redirects=False)
    page = client.get("/ui/account")
    expect(f"{role} GET /ui/account: {page.status_code}", page.status_code == 200)
    csrf = _csrf(page.text) if page.status_code == 200 else ""
    wrong = client.post("/ui/account/password", data={"csrf": csrf, "current_password": "not it", "new_password": "x" * 12})
    expect(f"{role} POST /ui/account/password with a wrong password: {wrong.status_code}", wrong.status_code == 422)
    out_all = client.post("/ui/account/logout-all", data={"csrf": csrf}, follow_redirects=False)
    expect(f"{role} POST /ui/account/logout-all: {out_all.status_code}", out_all.status_code == 303)
    after = client.get("/ui/account", follow_redirects=False)
    expect(f"{role} after logging out everywhere the page asks for a login: {after.status_code}", after.status_code in (303, 307))
    client.cookies.clear()


def _routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out: set[tuple[str, str]] = set()

    def walk(routes, prefix: str) -> None:  # type: ignore[no-untyped-def]
        for route in routes:
            if hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.16x)
                walk(route.original_router.routes, prefix + (route.include_context.prefix or ""))
            elif getattr(route, "methods", None):
                out.update((method, prefix + route.path) for method in route.methods - {"HEAD"})

    walk(app.routes, "")
    return out


def test_every_route_is_in_the_matrix(world: dict) -> None:
    routes = _routes(world["client"].app)
    assert ("GET", "/records/{kind}/{record_id}") in routes, f"route discovery failed: {sorted(routes)[:10]}"
    assert routes - COVERED - PUBLIC == set(), "routes outside the access matrix"
    assert COVERED - routes == set(), "the matrix names routes that no longer exist"


def _interchange_cells(world: dict, role: str, cells: Cells) -> None:
    """PFIF and CSV exports: the export roles only, and only records (and match links) the role sees in full."""
    import csv as csv_module

    from search_api.interchange import pfif

    client, auth, expect = world["client"], world["tokens"][role], cells.expect
    client.cookies.clear()
    got = client.get("/records/export/pfif", headers=auth)
    expect(f"{role} GET /records/export/pfif: {got.status_code}", got.status_code == (200 if role in EXPORT else 403))
    if got.status_code == 200:
        root = pfif.parse(got.content)
        expect(f"{role} PFIF export validates: {pfif.schema_errors(root)[:2]}", not pfif.schema_errors(root))
        ns = "{" + pfif.PFIF_NS + "}"
        for person in root.iter(ns + "person"):
            kind, _, record_id = person.findtext(ns + "person_record_id").split("/", 1)[1].partition(".")
            expect(f"{role} PFIF export carries {record_id}", sees_full(role, kind, place_of(record_id)))
        for linked in root.iter(ns + "linked_person_record_id"):
            kind, _, record_id = (linked.text or "").split("/", 1)[1].partition(".")
            expect(f"{role} PFIF note links {record_id}", sees_full(role, kind, place_of(record_id)))
    got = client.get("/records/export/csv", headers=auth)
    expect(f"{role} GET /records/export/csv: {got.status_code}", got.status_code == (200 if role in EXPORT else 403))
    if got.status_code == 200:
        for row in csv_module.DictReader(io.StringIO(got.text)):
            place = next(p for p, (s, d) in PLACES.items() if (row["place.state"], row["place.district"]) == (s, d))
            expect(f"{role} CSV export carries {row['id']} from {place}", sees_full(role, row["kind"], place))


def _admin_row(session):  # type: ignore[no-untyped-def]
    return session.scalar(select(UserRow).where(UserRow.username == "u_admin"))


def _citizen_report(world: dict, place: str, reference: str) -> int:
    """A pending report of a missing child (with a photo) at ``place``; nothing in it matches the matrix's searches."""
    from search_api.citizen import service as citizen
    from search_api.db import utcnow

    state, district = PLACES[place]
    draft = citizen.ReportDraft(kind="missing", state=state, district=district,
                                values={"place": "bus stand", "description": "alone near the bus stand", "age": "8",
                                        "reporter_name": "Anil", "reporter_phone": "9811100000"})  # fmt: skip
    with world["res"].session_factory() as session:
        row = citizen.create_report(session=session, draft=draft, photo=world["photo"], photo_problems=[], proof="work",
                                    visible_after=utcnow())  # fmt: skip
        row.reference = reference
        session.commit()
        return row.pk


def _ensure_notice(world: dict, place: str) -> int:
    """A published notice of M-<place> (the guardian's consent recorded by admin)."""
    from search_api.citizen import flows as citizen
    from search_api.citizen.service import published_for

    with world["res"].session_factory() as session:
        row = published_for(session=session, record_key=f"missing:M-{place}")
        if row is None:
            row = citizen.publish_notice(session=session, user=_admin_row(session), record_id=f"M-{place}", guardian_name="Sunita Devi",
                                         guardian_relation="mother", consent_how="signed consent form")  # fmt: skip
            session.commit()
        return row.pk


def _citizen_cells(world: dict, role: str, cells: Cells) -> None:
    """Citizen reports: read by the police and DCPU of their (state, district), moderated by its DCPU (the
    twin district's name is no key); public notices: consent recorded by the child's district police or DCPU."""
    client, auth, expect = world["client"], world["tokens"][role], cells.expect
    client.cookies.clear()
    ri = ROLES.index(role)
    reads, moderates = CITIZEN_READS.get(role, set()), CITIZEN_MODERATES.get(role, set())
    waiting = {place: _citizen_report(world, place, f"{ri}l-{place}"[:16]) for place in ("own", "twin")}
    listed = client.get("/citizen/reports", params={"limit": 500}, headers=auth)
    expect(f"{role} GET /citizen/reports: {listed.status_code}", listed.status_code == (200 if role in CITIZEN_QUEUE else 403))
    shown = {r["pk"] for r in listed.json()} if listed.status_code == 200 else set()
    for place, pk in waiting.items():
        expect(f"{role} GET /citizen/reports lists the {place} report: {pk in shown}", (pk in shown) == (place in reads))
    places = {(r["state"], r["district"]) for r in listed.json()} if listed.status_code == 200 else set()
    expect(f"{role} GET /citizen/reports lists reports of {sorted(places)}", places <= {PLACES[p] for p in reads})
    for place in PLACES:
        pk = _citizen_report(world, place, f"{ri}v-{place}"[:16])
        for path in (f"/citizen/reports/{pk}", f"/citizen/reports/{pk}/photo"):
            got = client.get(path, headers=auth)
            expect(f"{role} GET {path.replace(str(pk), place)}: {got.status_code}", got.status_code == (200 if place in reads else 403))
            if got.status_code == 200 and path.endswith(str(pk)):
                expect(f"{role} report at {place} shows the caller's phone", "9811100000" in got.text)
        rejected = client.post(f"/citizen/reports/{pk}/reject", json={"reason": "matrix"}, headers=auth)
        expect(f"{role} POST /citizen/reports/{place}/reject: {rejected.status_code}",
               rejected.status_code == (200 if place in moderates else 403))  # fmt: skip
        if place != "other_district":  # an accepted report becomes record CIT-<reference>, named for its place
            pk = _citizen_report(world, place, f"{ri}a-{place}")
            accepted = client.post(f"/citizen/reports/{pk}/accept", json={}, headers=auth)
            expect(f"{role} POST /citizen/reports/{place}/accept: {accepted.status_code}",
                   accepted.status_code == (200 if place in moderates else 403))  # fmt: skip
        # notices: a probe that writes nothing (one notice at a time: 422 = allowed), then a withdrawal
        notice = _ensure_notice(world, place)
        consents = place in NOTICE_CONSENTS.get(role, set())
        probe = {"record_id": f"M-{place}", "guardian_name": "G", "guardian_relation": "mother", "consent_how": "form"}
        posted = client.post("/citizen/notices", json=probe, headers=auth)
        expect(f"{role} POST /citizen/notices at {place}: {posted.status_code}", posted.status_code == (422 if consents else 403))
        gone = client.post(f"/citizen/notices/{notice}/withdraw", json={"reason": "matrix"}, headers=auth)
        expect(
            f"{role} POST /citizen/notices/{{pk}}/withdraw at {place}: {gone.status_code}", gone.status_code == (200 if consents else 403)
        )
        _ensure_notice(world, place)
    notices = client.get("/citizen/notices", headers=auth)
    expect(f"{role} GET /citizen/notices: {notices.status_code}", notices.status_code == (200 if role in NOTICE_CONSENT else 403))
    if notices.status_code == 200:
        keys = {n["record_key"] for n in notices.json()}
        allowed = {f"missing:M-{p}" for p in NOTICE_CONSENTS.get(role, set())}
        expect(f"{role} GET /citizen/notices lists {sorted(keys - allowed)}", keys <= allowed)
    # pages
    cookies = world["cookies"][role]
    page = client.get("/ui/citizen", cookies=cookies)
    expect(f"{role} GET /ui/citizen: {page.status_code}", page.status_code == (200 if role in CITIZEN_QUEUE else 403))
    csrf = _csrf(client.get("/ui/search", cookies=cookies).text)
    for place in PLACES:
        pk = _citizen_report(world, place, f"{ri}p-{place}"[:16])
        for path in (f"/ui/citizen/reports/{pk}", f"/ui/citizen/reports/{pk}/photo"):
            got = client.get(path, cookies=cookies)
            expect(f"{role} GET {path.replace(str(pk), place)}: {got.status_code}", got.status_code == (200 if place in reads else 403))
        rejected = client.post(f"/ui/citizen/reports/{pk}/reject", data={"csrf": csrf, "reason": "m"}, cookies=cookies,
                               follow_redirects=False)  # fmt: skip
        expect(f"{role} POST /ui/citizen/reports/{place}/reject: {rejected.status_code}",
               rejected.status_code == (303 if place in moderates else 403))  # fmt: skip
        if place != "other_district":
            pk = _citizen_report(world, place, f"{ri}b-{place}")
            accepted = client.post(f"/ui/citizen/reports/{pk}/accept", data={"csrf": csrf}, cookies=cookies, follow_redirects=False)
            expect(f"{role} POST /ui/citizen/reports/{place}/accept: {accepted.status_code}",
                   accepted.status_code == (303 if place in moderates else 403))  # fmt: skip
        notice = _ensure_notice(world, place)
        consents = place in NOTICE_CONSENTS.get(role, set())
        posted = client.post("/ui/citizen/notices", data={"csrf": csrf, "record_id": f"M-{place}", "guardian_name": "G",
                                                          "guardian_relation": "m", "consent_how": "f"},
                             cookies=cookies, follow_redirects=False)  # fmt: skip
        expect(f"{role} POST /ui/citizen/notices at {place}: {posted.status_code}", posted.status_code == (303 if consents else 403))
        gone = client.post(f"/ui/citizen/notices/{notice}/withdraw", data={"csrf": csrf}, cookies=cookies, follow_redirects=False)
        expect(
            f"{role} POST /ui/citizen/notices/{{pk}}/withdraw at {place}: {gone.status_code}",
            gone.status_code == (303 if consents else 403),
        )
        _ensure_notice(world, place)
    page = client.get("/ui/citizen/notices", cookies=cookies)
    expect(f"{role} GET /ui/citizen/notices: {page.status_code}", page.status_code == (200 if role in NOTICE_CONSENT else 403))
    expect(f"{role} GET /ui/citizen/notices shows hidden surnames", not _hidden_surnames(role, page.text))
    client.cookies.clear()


def test_public_routes_leak_nothing(world: dict) -> None:
    """The public routes (no login) carry the notice fields of consented, open missing children and
    nothing else of any seeded record: no surname, parent, phone, address, description, id, unit or state,
    and no child without consent; every answer is marked noindex and sets no login cookie."""
    import hashlib

    from search_api.citizen import proof

    client, res = world["client"], world["res"]
    client.cookies.clear()
    consented = ["own", "other_district", "other_state"]
    for place in consented:
        _ensure_notice(world, place)
    # a consented child then traced: its notice must be gone from every public route
    _ensure_notice(world, "twin")
    admin = world["tokens"]["admin"]
    with res.session_factory() as session:
        from search_api.records.flows import save_record

        stored = get_records_by_keys(session=session, keys=["missing:M-twin"])["missing:M-twin"]
        body = stored.record.model_dump(mode="json") | {"status": "traced"}
        from search_api.fusion.service import Matcher

        save_record(res=res, matcher=Matcher(res), session=session, data=body, user=_admin_row(session))
        session.commit()
    del admin
    problems: list[str] = []
    answer = client.get("/public/notices")
    notices = answer.json()
    if len(notices) != len(consented):
        problems.append(f"GET /public/notices shows {len(notices)} notices, not {len(consented)}")
    for notice in notices:
        if set(notice) != NOTICE_FIELDS:
            problems.append(f"GET /public/notices carries {sorted(set(notice) - NOTICE_FIELDS)}")
    if {n["district"] for n in notices} != {PLACES[p][1] for p in consented}:
        problems.append(f"GET /public/notices districts {[n['district'] for n in notices]}")
    pages = {"GET /public/notices": answer}
    for lang in ("en", "hi"):
        client.cookies.set("tc_lang", lang)
        for path in ("/ui/public/notices", "/ui/public/report", "/ui/public/report?kind=missing", "/ui/public/privacy",
                     "/ui/public/sent?ref=ABCD2345"):  # fmt: skip
            pages[f"GET {path} ({lang})"] = client.get(path)
        client.cookies.clear()
    challenge = client.get("/public/challenge")
    pages["GET /public/challenge"] = challenge
    if set(challenge.json()) != {"challenge", "bits"}:
        problems.append(f"GET /public/challenge carries {sorted(challenge.json())}")
    token = challenge.json()["challenge"]
    filed = client.post("/public/reports", data={"kind": "seen", "state": "Bihar", "district": "Aurangabad", "description": "alone",
                                                 "pow_challenge": token, "pow_nonce": proof.solve(token)})  # fmt: skip
    if filed.status_code != 201 or set(filed.json()) != {"reference", "held_until", "photo_check"}:
        problems.append(f"POST /public/reports: {filed.status_code} {sorted(filed.json())}")
    for notice in notices:
        photo = client.get(notice["photo_url"])
        if photo.status_code != 200 or photo.headers["content-type"] != "image/jpeg":
            problems.append(f"GET {notice['photo_url']}: {photo.status_code}")
        pages[f"GET {notice['photo_url']}"] = photo
    for bogus in ("M-own", "missing:M-own", hashlib.sha256(b"x").hexdigest()[:16]):
        got = client.get(f"/public/notices/{bogus}/photo")
        if got.status_code != 404:
            problems.append(f"GET /public/notices/{bogus}/photo: {got.status_code}")
    for name, got in pages.items():
        if got.status_code not in (200, 201):
            problems.append(f"{name}: {got.status_code}")
        if got.headers.get("x-robots-tag") != "noindex, nofollow":
            problems.append(f"{name}: no X-Robots-Tag")
        if "tc_session" in got.headers.get("set-cookie", ""):
            problems.append(f"{name} sets a login cookie")
        if (
            got.headers.get("content-type", "").startswith("text/html")
            and '<meta name="robots" content="noindex, nofollow">' not in got.text
        ):
            problems.append(f"{name}: no robots meta")
        text = got.text if not got.headers.get("content-type", "").startswith("image/") else ""
        leaked = [word for word in NEVER_PUBLIC if word in text]
        if leaked:
            problems.append(f"{name} leaks {leaked}")
    robots = client.get("/robots.txt").text
    if "Disallow: /public/" not in robots or "Disallow: /ui/public/" not in robots:
        problems.append("robots.txt does not disallow the public pages")
    assert not problems, "\n".join(problems)


def _in_monitor_area(role: str, link: str) -> bool:
    """A drill-down link names an area (state, district) inside the role's own (never wider)."""
    from urllib.parse import parse_qs, urlparse

    query = {k: v[0] for k, v in parse_qs(urlparse(link.replace("&amp;", "&")).query).items()}
    state, district = MONITOR_AREA.get(role, (None, None))
    if state is None:
        return False
    if not state:
        return True
    return query.get("state") == state and (not district or query.get("district") == district)


def _monitor_cells(world: dict, role: str, cells: Cells) -> None:
    """The police action log, dashboards (aggregate counts outside the jurisdiction), their lists
    (only records the role sees in full; pairs only for roles that see the queue), the digest."""
    client, auth, expect = world["client"], world["tokens"][role], cells.expect
    client.cookies.clear()
    for place in PLACES:
        rid = f"M-{place}"
        added = client.post(f"/records/missing/{rid}/actions", json={"action": "cctns_checked", "notes": "matrix"}, headers=auth)
        may_add = place in ACTION_ADDS.get(role, set())
        expect(f"{role} POST /records/missing/{place}/actions: {added.status_code}", added.status_code == (201 if may_add else 403))
        log = client.get(f"/records/missing/{rid}/actions", headers=auth)
        reads = place in ACTION_READS.get(role, set())
        expect(f"{role} GET /records/missing/{place}/actions: {log.status_code}", log.status_code == (200 if reads else 403))
    got = client.get("/monitor/dashboard", headers=auth)
    expect(f"{role} GET /monitor/dashboard: {got.status_code}", got.status_code == (200 if role in MONITOR else 403))
    if got.status_code == 200:
        board = got.json()
        want = "aggregate" if role == "legacy_dcpu" else "full"
        expect(f"{role} GET /monitor/dashboard access {board['access']}", board["access"] == want)
        links = re.findall(r'"list":\s*"([^"]+)"', got.text)
        outside = [link for link in links if not _in_monitor_area(role, link)]
        expect(f"{role} GET /monitor/dashboard links outside the jurisdiction {outside[:3]}", not outside)
        expect(f"{role} GET /monitor/dashboard counts own open reports", role == "legacy_dcpu" or board["open_total"] > 0)
        expect(f"{role} GET /monitor/dashboard names hidden surnames", not _hidden_surnames(role, got.text))
    other = client.get("/monitor/dashboard", params={"state": "West Bengal"}, headers=auth)
    if role in MONITOR:
        wb = other.json()
        want = "full" if role in NATIONAL else "aggregate"
        expect(f"{role} GET /monitor/dashboard?state=West Bengal: {wb.get('access')}", wb.get("access") == want)
        if want == "aggregate":
            expect(f"{role} dashboard of West Bengal opens lists", '"list":"' not in other.text.replace(" ", ""))
    for figure in ("open", "no_action", "to_match", "cohort", "backlog", "duplicates"):
        params = {"days": 1} if figure == "no_action" else {"month": "2026-01"} if figure == "cohort" else {}
        with world["res"].session_factory() as session:
            before = session.scalar(select(func.count()).select_from(AuditEntryRow)
                                    .where(AuditEntryRow.action == "monitor_list", AuditEntryRow.username == f"u_{role}"))  # fmt: skip
        listed = client.get(f"/monitor/list/{figure}", params=params, headers=auth)
        opens = role in MONITOR and role != "legacy_dcpu" and (figure not in ("backlog", "duplicates") or role in REVIEW_LIST)
        expect(f"{role} GET /monitor/list/{figure}: {listed.status_code}", listed.status_code == (200 if opens else 403))
        if listed.status_code != 200:
            continue
        body = listed.json()
        for item in body["reports"]:
            view = item["record"]
            expect(f"{role} /monitor/list/{figure} shows {view['id']}", sees_full(role, "missing", place_of(view["id"])))
        if figure in ("open", "cohort"):  # (no_action: the station logged an action on it above)
            shown = {item["record"]["id"] for item in body["reports"]}
            expect(f"{role} /monitor/list/{figure} lists the own district's report", "M-own" in shown)
        for pair in body["pairs"]:
            views = [v for v in pair["records"] if v]
            expect(f"{role} /monitor/list/{figure} pair {pair['pk']} touches the jurisdiction",
                   any(sees_full(role, v["kind"], place_of(v["id"])) for v in views))  # fmt: skip
            for view in views:
                want = "full" if sees_full(role, view["kind"], place_of(view["id"])) else "limited"
                expect(f"{role} /monitor/list/{figure} pair {pair['pk']} {view['id']}: {view['access']}", view["access"] == want)
                for problem in _limited_ok(view) if want == "limited" else []:
                    expect(f"{role} /monitor/list/{figure} pair {pair['pk']}: {problem}", False)
        with world["res"].session_factory() as session:
            after = session.scalar(select(func.count()).select_from(AuditEntryRow)
                                   .where(AuditEntryRow.action == "monitor_list", AuditEntryRow.username == f"u_{role}"))  # fmt: skip
        expect(f"{role} GET /monitor/list/{figure} is audited ({before} → {after})", after == before + 1)
    for state, area in (("West Bengal", {"state": "West Bengal"}), ("Maharashtra", {"state": "Maharashtra", "district": "Aurangabad"})):
        listed = client.get("/monitor/list/open", params=area, headers=auth)
        want = 200 if role in NATIONAL else 403
        expect(f"{role} GET /monitor/list/open in {state}: {listed.status_code}", listed.status_code == want)
    for state, allowed in DIGEST.items():
        for fmt in ("csv", "pdf"):
            got = client.get("/monitor/digest", params={"state": state, "week": "2026-W02", "format": fmt}, headers=auth)
            want = 200 if role in allowed else 403
            expect(f"{role} GET /monitor/digest {state} {fmt}: {got.status_code}", got.status_code == want)
    # pages
    cookies = world["cookies"][role]
    client.cookies.update(cookies)
    page = client.get("/ui/monitor")
    expect(f"{role} GET /ui/monitor: {page.status_code}", page.status_code == (200 if role in MONITOR else 403))
    if page.status_code == 200:
        expect(f"{role} GET /ui/monitor shows hidden surnames", not _hidden_surnames(role, page.text))
        links = re.findall(r'href="(/ui/monitor/list/[^"]+)"', page.text)
        outside = [link for link in links if not _in_monitor_area(role, link)]
        expect(f"{role} GET /ui/monitor links outside the jurisdiction {outside[:3]}", not outside)
        pairs_linked = [link for link in links if "/backlog" in link or "/duplicates" in link]
        expect(f"{role} GET /ui/monitor links the queue's pairs", not pairs_linked or role in REVIEW_LIST)
        expect(f"{role} GET /ui/monitor offers the digest", ('id="digest-form"' in page.text) == (role in ("state",)))
        for link in links[:4]:
            listed = client.get(link.replace("&amp;", "&"))
            expect(f"{role} GET {link}: {listed.status_code}", listed.status_code == 200)
            expect(f"{role} GET {link} shows hidden surnames", not _hidden_surnames(role, listed.text))
    wb_page = client.get("/ui/monitor", params={"state": "West Bengal"})
    if wb_page.status_code == 200 and role not in NATIONAL:
        expect(f"{role} GET /ui/monitor?state=West Bengal links lists", "/ui/monitor/list/" not in wb_page.text)
    listed = client.get("/ui/monitor/list/open", params={"state": "West Bengal"})
    expect(f"{role} GET /ui/monitor/list/open West Bengal: {listed.status_code}", listed.status_code == (200 if role in NATIONAL else 403))
    for fmt in ("csv", "pdf"):
        got = client.get(f"/ui/monitor/digest.{fmt}", params={"state": "Bihar", "week": "2026-W02"})
        want = 200 if role in DIGEST["Bihar"] else 403
        expect(f"{role} GET /ui/monitor/digest.{fmt}: {got.status_code}", got.status_code == want)
    record_page = client.get("/ui/records/missing/M-own")
    shows_log, shows_form = 'id="police-actions"' in record_page.text, 'id="action-form"' in record_page.text
    expect(f"{role} record page shows the action log: {shows_log}", shows_log == ("own" in ACTION_READS.get(role, set())))
    expect(f"{role} record page offers the action form: {shows_form}", shows_form == ("own" in ACTION_ADDS.get(role, set())))
    csrf = _csrf(record_page.text)
    for place in ("own", "other_district"):
        posted = client.post(f"/ui/records/missing/M-{place}/actions", data={"csrf": csrf, "action": "photo_circulated"},
                             follow_redirects=False)  # fmt: skip
        want = 303 if place in ACTION_ADDS.get(role, set()) else 403
        expect(f"{role} POST /ui/records/missing/{place}/actions: {posted.status_code}", posted.status_code == want)


def _maps_cells(world: dict, role: str, cells: Cells) -> None:
    """Hotspot maps: every role may look; figures are exact only inside its jurisdiction (MAP_DETAIL),
    a figure outside it is hidden below MAP_K, hotspots (clusters of places with coordinates) only
    inside it; no name, id or surname in any answer; every view and export is audited."""
    client, auth, expect = world["client"], world["tokens"][role], cells.expect
    client.cookies.clear()
    window = {"start": "2025-12-01", "end": "2026-03-31"}
    place_of_cell = {PLACES[p]: p for p in PLACES}
    ids = [f"{k}-{p}" for k in ("M", "F") for p in PLACES] + [f"M-junk-geo-{p}" for p in PLACES]

    def clean(text: str, where: str) -> None:
        surnames = [n for by_place in SURNAMES.values() for n in by_place.values()]
        leaks = [w for w in (*ids, *surnames, "Sunita", "Zorawar", "Tenzing", "Xavier", "Quasim") if w in text]
        expect(f"{role} {where} names a child or record: {leaks[:3]}", not leaks)

    with world["res"].session_factory() as session:

        def audited() -> int:
            return session.scalar(select(func.count()).select_from(AuditEntryRow).where(
                AuditEntryRow.action.in_(("map_view", "map_export")), AuditEntryRow.username == f"u_{role}")) or 0  # fmt: skip

        before = audited()
    spots: set[str] = set()
    for area in ("Bihar", "Maharashtra", "West Bengal", ""):
        got = client.get("/maps/hotspots", params={"state": area, **window}, headers=auth)
        expect(f"{role} GET /maps/hotspots {area or 'India'}: {got.status_code}", got.status_code == 200)
        if got.status_code != 200:
            continue
        clean(got.text, f"GET /maps/hotspots {area or 'India'}")
        body = got.json()
        for cell in body["cells"]:
            place = place_of_cell.get((cell["state"], cell["district"]))
            if area == "" or place is None:
                if not cell["detail"] and cell["count"]:
                    expect(
                        f"{role} map {area or 'India'} {cell['state']}/{cell['district']} shows {cell['count']} < {MAP_K}",
                        cell["count"] >= MAP_K,
                    )
                continue
            detail = place in MAP_DETAIL[role]
            expect(f"{role} map {area} {place} {cell['kind']}: detail {cell['detail']}", cell["detail"] == detail)
            if detail:
                expect(f"{role} map {area} {place} {cell['kind']}: exact count {cell['count']}", bool(cell["count"]))
            else:  # other roles' new records land here too: a figure shown is never below the threshold
                shown = [cell["count"], cell["previous"], *cell["by_place"].values()]
                small = [v for v in shown if v is not None and 0 < v < MAP_K]
                expect(f"{role} map {area} {place} {cell['kind']} shows small figures {small}", not small)
        for spot in body["hotspots"]:
            place = place_of_cell.get((spot["state"], spot["district"]))
            inside = place in MAP_DETAIL[role]
            expect(f"{role} map {area or 'India'} hotspot in {spot['state']}/{spot['district']} outside the jurisdiction", inside)
            if inside:
                spots.add(place)  # type: ignore[arg-type]
        for route in body["routes"]:
            if not route["detail"]:
                expect(f"{role} map {area or 'India'} route shows {route['count']}", route["count"] is None or route["count"] >= MAP_K)
    expect(f"{role} maps show hotspots at {sorted(spots)}", spots == MAP_DETAIL[role])
    bad = client.get("/maps/hotspots", params={"state": "Narnia"}, headers=auth)
    expect(f"{role} GET /maps/hotspots Narnia: {bad.status_code}", bad.status_code == 422)
    for path in ("/maps/hotspots.csv", "/maps/hotspots.svg", "/maps/hotspots.png"):
        got = client.get(path, params={"state": "Bihar", **window}, headers=auth)
        expect(f"{role} GET {path}: {got.status_code}", got.status_code == 200)
        if path.endswith(".png"):
            expect(f"{role} GET {path} is a PNG", got.content[:4] == b"\x89PNG")
        else:
            clean(got.text, f"GET {path}")
            if path.endswith(".csv"):
                hot = [r for r in got.text.splitlines() if r.startswith("hotspot,")]
                expect(f"{role} GET {path} hotspots {hot}", bool(hot) == bool(MAP_DETAIL[role] & {"own", "other_district"}))
    # pages
    cookies = world["cookies"][role]
    page = client.get("/ui/maps", params={"state": "Bihar", **window}, cookies=cookies)
    expect(f"{role} GET /ui/maps: {page.status_code}", page.status_code == 200 and 'id="hotspot-map"' in page.text)
    clean(page.text.split('id="hotspot-map"', 1)[-1], "GET /ui/maps")
    got = client.get("/ui/maps/export.csv", params={"state": "Bihar", **window}, cookies=cookies)
    expect(f"{role} GET /ui/maps/export.csv: {got.status_code}", got.status_code == 200)
    clean(got.text, "GET /ui/maps/export.csv")
    got = client.get("/ui/maps/map.png", params={"state": "Bihar", **window}, cookies=cookies)
    expect(f"{role} GET /ui/maps/map.png: {got.status_code}", got.status_code == 200 and got.content[:4] == b"\x89PNG")
    with world["res"].session_factory() as session:
        after = session.scalar(select(func.count()).select_from(AuditEntryRow).where(
            AuditEntryRow.action.in_(("map_view", "map_export")), AuditEntryRow.username == f"u_{role}")) or 0  # fmt: skip
    expect(f"{role} map views and exports audited: {before} → {after}", after == before + 4 + 3 + 3)
    client.cookies.clear()


def _match_job_cells(world: dict, role: str, cells: Cells) -> None:
    """A record's match job: whoever sees its candidates (every role, every place); its error and the
    worker's overview: admins. The world's server runs its match worker, so a job's state is whatever
    it has reached; the police's own filing (in _api_cells, the first role's) has one."""
    client, auth, expect = world["client"], world["tokens"][role], cells.expect
    client.cookies.clear()
    records = [(k, f"{k[0].upper()}-{p}") for k, p in itertools.product(("missing", "found"), PLACES)]
    for kind, rid in [*records, ("missing", "M-own-new-police")]:
        got = client.get(f"/records/{kind}/{rid}/match-status", headers=auth)
        expect(f"{role} GET /records/{kind}/{rid}/match-status: {got.status_code}", got.status_code == 200)
        body = got.json() if got.status_code == 200 else {}
        states = ("pending", "running", "done") if rid.endswith("-new-police") else ("none", "pending", "running", "done")
        expect(f"{role} match-status {rid}: {body.get('state')}", body.get("state") in states)
        expect(f"{role} match-status {rid} shows the error: {'last_error' in body}", ("last_error" in body) == (role in MATCH_JOBS))
        expect(f"{role} match-status {rid} names a child", not _hidden_surnames(role, got.text) and "Sunita" not in got.text)
    jobs = client.get("/admin/match-jobs", headers=auth)
    expect(f"{role} GET /admin/match-jobs: {jobs.status_code}", jobs.status_code == (200 if role in MATCH_JOBS else 403))
    if jobs.status_code == 200:
        expect(f"{role} /admin/match-jobs counts the filings' jobs", sum(jobs.json()["counts"].values()) >= 1)
        expect(f"{role} /admin/match-jobs names a child", "Sunita" not in jobs.text)
