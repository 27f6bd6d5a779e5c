"""Every role × (own district / other district / other state) × every endpoint: allow, deny or limited.

The expectations come from the policy as written in the README, restated here as small
tables (not by calling the code under test), and every answer is checked for leaks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app
from search_api.config import Settings
from search_api.review import service as review
from search_api.users import service as users
from search_api.users.schemas import UserCreate

PASSWORD = "matrix password 2026"
PLACES = {
    "own": ("Bihar", "Patna"),
    "other_district": ("Bihar", "Gaya"),
    "other_state": ("West Bengal", "Howrah"),
}
ROLES = ("police", "cci", "cwc", "jjb", "dcpu", "state", "central", "admin")
# where each role sees records in full (README: access policy)
FULL_VIEW = {
    "police": {"own"}, "cwc": {"own"}, "jjb": {"own"}, "dcpu": {"own"},
    "state": {"own", "other_district"}, "central": set(PLACES), "admin": set(PLACES),
}  # fmt: skip
CCI_FULL_VIEW = {"found": {"own"}, "missing": set()}  # its own institution's children only
EDITS = {"police": {("missing", "own")}, "cci": {("found", "own")}, "cwc": {("found", "own")},
         "admin": set(itertools.product(("missing", "found"), PLACES))}  # fmt: skip
REVIEW_LIST = {"cwc", "jjb", "dcpu", "state", "central", "admin"}
DECIDE = {"cwc", "dcpu", "admin"}
AUDIT = {"state", "central", "admin"}
EXPORT = {"cwc", "dcpu", "state", "central", "admin"}
# what a limited view must never carry
PRIVATE_KEYS = {"name", "aliases", "reported_by", "description", "marks", "clothing", "father_name", "mother_name", "photos", "date"}


def sees_full(role: str, kind: str, place: str) -> bool:
    return place in (CCI_FULL_VIEW[kind] if role == "cci" else FULL_VIEW[role])


def record(kind: str, place: str, *, suffix: str = "") -> dict:
    state, district = PLACES[place]
    body = {
        "kind": kind,
        "id": f"{kind[0].upper()}-{place}{suffix}",
        "name": "Sunita Kumari" if kind == "missing" else "Sunita",
        "sex": "F",
        "age": 9,
        "date": "2026-01-10" if kind == "missing" else "2026-02-01",
        "place": {"city": district, "district": district, "state": state, "address": "House 12, Ward 4"},
        "father_name": "Ramesh Prasad",
        "marks": "burn mark on right hand",
        "description": "speaks little, very shy",
    }
    if kind == "missing":
        body |= {"police_station": f"PS {district}", "reported_by": {"name": "Ramesh Prasad", "phone": "9800000000", "relation": "father"}}
    else:
        body |= {"cci_name": f"CCI {district}", "age_is_estimate": True}
    return body


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, dict], dict[str, int]]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("matrix") / "data")
    with TestClient(create_app(settings)) as client:
        res = client.app.state.resources
        report = res.ingestor().ingest_records([record(k, p) for k, p in itertools.product(("missing", "found"), PLACES)])
        assert report.ok, report.rejected
        with res.session_factory() as session:
            for role in ROLES:
                unit = {"police": "PS Patna", "cci": "CCI Patna"}.get(role, "")
                state, district = ({"central": ("", ""), "admin": ("", "")}).get(role, ("Bihar", "" if role == "state" else "Patna"))
                user_in = UserCreate(username=f"u_{role}", role=role, state=state, district=district, unit=unit, password=PASSWORD)
                users.create(session=session, user_in=user_in)
            pairs = {}
            for name, (m_place, f_place) in {"touches_own": ("own", "other_state"), "foreign": ("other_state", "other_state")}.items():
                row = review.enqueue(
                    session=session, missing_key=f"missing:M-{m_place}", found_key=f"found:F-{f_place}", score=0.9,
                    explanation={"features": {}}, evidence=name, missing_district=PLACES[m_place][1],
                    found_district=PLACES[f_place][1], missing_state=PLACES[m_place][0], found_state=PLACES[f_place][0],
                )  # fmt: skip
                pairs[name] = row.pk  # type: ignore[union-attr]
            session.commit()
        tokens = {}
        for role in ROLES:
            answer = client.post("/auth/token", data={"username": f"u_{role}", "password": PASSWORD})
            tokens[role] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        yield client, tokens, pairs


def _limited_ok(view: dict) -> list[str]:
    leaked = sorted(PRIVATE_KEYS & set(view))
    return [f"limited view leaks {leaked}"] if leaked else []


def test_access_matrix(world) -> None:  # type: ignore[no-untyped-def]
    client, tokens, pairs = world
    problems: list[str] = []
    cells = 0

    def expect(cell: str, ok: bool) -> None:
        nonlocal cells
        cells += 1
        if not ok:
            problems.append(cell)

    for role in ROLES:
        auth = tokens[role]
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
            # list
            listed = client.get("/records", params={"kind": kind}, headers=auth).json()
            item = next(v for v in listed if v["id"] == rid)
            expect(f"{role} GET /records?kind={kind} item {place}: {item['access']}", item["access"] == ("full" if full else "limited"))
            # edit: re-submit the same record
            may_edit = (kind, place) in EDITS.get(role, set())
            put = client.put(f"/records/{kind}/{rid}", json=record(kind, place), headers=auth)
            expect(f"{role} PUT /records/{kind}/{place}: {put.status_code}", put.status_code == (200 if may_edit else 403))
            # create a new record there
            new = client.post("/records", json=record(kind, place, suffix=f"-new-{role}"), headers=auth)
            expect(f"{role} POST /records {kind} at {place}: {new.status_code}", new.status_code == (201 if may_edit else 403))
            # candidates: anyone may match; values only where both children are theirs
            cands = client.get(f"/records/{kind}/{rid}/candidates", headers=auth)
            expect(f"{role} GET candidates {kind}/{place}: {cands.status_code}", cands.status_code == 200)
            for c in cands.json():
                other_place = c["id"].split("-")[1]
                both = full and sees_full(role, c["kind"], other_place)
                if not both:
                    values = [f for f, row in c["explain"]["features"].items() if {"missing", "found", "detail"} & set(row)]
                    expect(f"{role} candidates {kind}/{place} → {c['id']}: explanation leaks values of {values}", not values)
                    if c["record"]["access"] == "limited":
                        for p in _limited_ok(c["record"]):
                            expect(f"{role} candidates {kind}/{place} → {c['id']}: {p}", False)
        # search nationwide: hits outside the jurisdiction are limited and quote nothing
        for hit in client.get("/search", params={"q": "sunita", "limit": 50}, headers=auth).json():
            place = hit["id"].split("-")[1]
            full = sees_full(role, hit["kind"], place) and "new" not in hit["id"]
            if "new" in hit["id"]:
                continue
            expect(f"{role} search hit {hit['id']}: {hit['access']}", hit["access"] == ("full" if full else "limited"))
            if not full:
                expect(f"{role} search hit {hit['id']} quotes record terms", not hit["matches"] and hit["name"] == "Sunita")
                for p in _limited_ok(hit["record"]):
                    expect(f"{role} search hit {hit['id']}: {p}", False)
        # review queue and pairs
        queue = client.get("/review/queue", headers=auth)
        expect(f"{role} GET /review/queue: {queue.status_code}", queue.status_code == (200 if role in REVIEW_LIST else 403))
        if queue.status_code == 200:
            waiting = client.get("/review/queue", params={"status": "need_info"}, headers=auth).json()
            seen = {p["pk"] for p in queue.json() + waiting}
            national = role in ("central", "admin")
            expect(f"{role} queue shows the pair touching Patna", pairs["touches_own"] in seen)
            expect(f"{role} queue shows the West Bengal pair: {pairs['foreign'] in seen}", (pairs["foreign"] in seen) == national)
        for name, pk in pairs.items():
            sees = (name == "touches_own" and role != "cci") or role in ("central", "admin")
            got = client.get(f"/review/pairs/{pk}", headers=auth)
            expect(f"{role} GET /review/pairs/{name}: {got.status_code}", got.status_code == (200 if sees else 403))
            decide = client.post(f"/review/pairs/{pk}/decision", json={"decision": "need_info", "note": "matrix"}, headers=auth)
            may_decide = role == "admin" or (role in DECIDE and name == "touches_own")
            expect(f"{role} POST /review/pairs/{name}/decision: {decide.status_code}", decide.status_code == (200 if may_decide else 403))
        # audit trail and export
        audit = client.get("/audit", headers=auth)
        expect(f"{role} GET /audit: {audit.status_code}", audit.status_code == (200 if role in AUDIT else 403))
        export = client.get("/records/export/jsonl", headers=auth)
        expect(f"{role} GET /records/export/jsonl: {export.status_code}", export.status_code == (200 if role in EXPORT else 403))
        if export.status_code == 200:
            import json

            for line in export.text.splitlines():
                r = json.loads(line)
                place = next(p for p, (s, d) in PLACES.items() if r["place"]["district"] == d)
                expect(f"{role} export carries {r['id']} from {place}", sees_full(role, r["kind"], place))
    print(f"access matrix: {cells} cells checked, {len(problems)} problems")
    Path("test-artifacts").mkdir(exist_ok=True)
    Path("test-artifacts/access-matrix.txt").write_text(f"{cells} cells, {len(problems)} problems\n" + "\n".join(problems))
    assert not problems, "\n".join(problems[:60])
