"""Imports cannot undo decisions: a re-import never moves a status backwards, never revives an
archived child, and says what it kept; PUT carries a version and a stale one answers 412."""

from __future__ import annotations

from fastapi.testclient import TestClient

from indexer import get_record, parse_record
from indexer.store import UpsertOutcome, archive_records, upsert_records
from search_api.app import create_app
from search_api.config import Settings
from search_api.db import utcnow
from tests.factories import add_users, found_child, missing_report, run_match_jobs

PASSWORD = "keep-decisions-2026"


def test_store_keeps_closed_status_and_archive_on_both_stores(session_factory) -> None:  # type: ignore[no-untyped-def]
    traced = parse_record(missing_report(id="MP-K-1", status="traced"))
    gone = parse_record(found_child(id="FC-K-9", status="restored"))
    with session_factory() as session:
        upsert_records(session=session, records=[traced, gone])
        archive_records(session=session, statuses=["restored"], updated_before=utcnow())
        session.commit()
    old_export = [parse_record(missing_report(id="MP-K-1", status="open", marks="scar on chin")),
                  parse_record(found_child(id="FC-K-9", status="in_care"))]  # fmt: skip
    with session_factory() as session:
        results = upsert_records(session=session, records=old_export)
        session.commit()
        assert [r.outcome for r in results] == [UpsertOutcome.UPDATED, UpsertOutcome.ARCHIVED]
        assert results[0].kept_status == "traced"
        stored = get_record(session=session, kind="missing", record_id="MP-K-1")
        assert stored.record.status == "traced" and stored.record.marks == "scar on chin"  # type: ignore[union-attr]
        assert get_record(session=session, kind="found", record_id="FC-K-9") is None
    with session_factory() as session:  # a reviewer may reopen
        upsert_records(session=session, records=old_export[:1], reopen=True)
        session.commit()
        assert get_record(session=session, kind="missing", record_id="MP-K-1").record.status == "open"  # type: ignore[union-attr]


def test_reimport_after_review_and_retention_keeps_the_outcome(tmp_path, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    report = missing_report(id="MP-K-2", name="Yadavi Rathore", sex="F", age=8, place={"district": "Patna", "state": "Bihar"})
    arrival = found_child(id="FC-K-2", name="Yadavi Rathore", sex="F", age=8, place={"district": "Patna", "state": "Bihar"})
    other = missing_report(id="MP-K-3", name="Kiran Paswan", sex="M", age=11, status="traced")
    with TestClient(create_app(settings)) as client:
        res = client.app.state.resources  # type: ignore[attr-defined]
        add_users(res, password=PASSWORD, people=[("off", "dcpu", "Bihar", "Patna", ""), ("adm", "admin", "", "", ""),
                                                  ("pol", "police", "Bihar", "Patna", "Patna Kotwali")])  # fmt: skip

        def auth(name: str) -> dict[str, str]:
            token = client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}

        admin, officer = auth("adm"), auth("off")
        assert client.post("/records", json=report, headers=admin).status_code == 201
        assert client.post("/records", json=arrival, headers=admin).json()["matching"] == "queued"
        assert run_match_jobs(res).queued == 1
        pair = client.get("/review/queue", headers=officer).json()[0]
        body = {"decision": "confirm", "note": "family met"}
        assert client.post(f"/review/pairs/{pair['pk']}/decision", json=body, headers=officer).status_code == 200
        assert client.get("/records/missing/MP-K-2", headers=admin).json()["status"] == "traced"

        # last month's export, re-imported by mistake: statuses open / in care
        again = res.ingestor().ingest_records([{**report, "description": "wore a red frock"}, arrival, other])
        assert again.ok and {p.record_id for p in again.kept} == {"MP-K-2", "FC-K-2"}
        assert all("kept traced" in str(p) or "kept restored" in str(p) for p in again.kept)
        assert again.to_json()["kept_rows"] == 2
        record = client.get("/records/missing/MP-K-2", headers=admin).json()
        assert record["status"] == "traced" and record["description"] == "wore a red frock"
        assert client.get("/records/found/FC-K-2", headers=admin).json()["status"] == "restored"
        assert [h.key for h in res.text_index.search("Yadavi Rathore", limit=5) if h.key == "missing:MP-K-2"]
        from indexer import SearchFilters

        traced_hits = res.text_index.search("Yadavi", filters=SearchFilters(status="traced"), limit=5)
        assert "missing:MP-K-2" in {h.key for h in traced_hits}  # the index says traced too

        archived = client.post("/records/retention/run", params={"days": 0}, headers=admin).json()["archived"]
        assert set(archived) == {"missing:MP-K-2", "found:FC-K-2", "missing:MP-K-3"}
        revived = res.ingestor().ingest_records([report, arrival])
        assert revived.created == 0 and len(revived.kept) == 2 and "not revived" in str(revived.kept[0])
        assert client.get("/records/missing/MP-K-2", headers=admin).status_code == 404
        assert not [h for h in res.text_index.search("Yadavi Rathore", limit=5) if h.key == "missing:MP-K-2"]


def test_put_needs_the_current_version(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        res = client.app.state.resources  # type: ignore[attr-defined]
        add_users(res, password=PASSWORD, people=[("adm", "admin", "", "", ""), ("pol", "police", "Bihar", "Patna", "Patna Kotwali")])
        tokens = {n: client.post("/auth/token", data={"username": n, "password": PASSWORD}).json()["access_token"] for n in ("adm", "pol")}
        admin, police = ({"Authorization": f"Bearer {tokens[n]}"} for n in ("adm", "pol"))
        record = missing_report(id="MP-K-4", place={"district": "Patna", "state": "Bihar"})
        assert client.post("/records", json=record, headers=police).status_code == 201
        read = client.get("/records/missing/MP-K-4", headers=police)
        etag = read.headers["ETag"]
        assert etag == f'"{read.json()["version"]}"'
        first = client.put("/records/missing/MP-K-4", json={**record, "marks": "mole"}, headers={**police, "If-Match": etag})
        assert first.status_code == 200 and first.headers["ETag"] != etag
        stale = client.put("/records/missing/MP-K-4", json={**record, "marks": "no marks"}, headers={**police, "If-Match": etag})
        assert stale.status_code == 412 and "changed since" in stale.json()["detail"]
        assert client.get("/records/missing/MP-K-4", headers=police).json()["marks"] == "mole"  # the stale write left nothing

        # a closed case: police cannot close it (issue 11) nor reopen it by a PUT; a reviewer (admin) can
        current = client.get("/records/missing/MP-K-4", headers=police).headers["ETag"]
        refused = client.put("/records/missing/MP-K-4", json={**record, "status": "traced"}, headers={**police, "If-Match": current})
        assert refused.status_code == 403
        closed = client.put("/records/missing/MP-K-4", json={**record, "status": "traced"}, headers={**admin, "If-Match": current})
        assert closed.json()["record"]["status"] == "traced"
        back = client.put("/records/missing/MP-K-4", json={**record, "status": "open"}, headers=police)
        assert back.json()["record"]["status"] == "traced" and back.json()["kept"]
        reopened = client.put("/records/missing/MP-K-4", json={**record, "status": "open"}, headers=admin)
        assert reopened.json()["record"]["status"] == "open"
