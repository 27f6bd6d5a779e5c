"""The service tables (users, review, duplicates, audit chain, archive) on SQLite and PostgreSQL:
one journey through the API, then the chain verifies."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from search_api.app import create_app
from search_api.config import Settings
from tests.factories import add_users, found_child, missing_report, run_match_jobs

PASSWORD = "both stores 2026"


def test_journey_and_audit_chain_on_each_store(store_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url)
    with TestClient(create_app(settings)) as client:
        res = client.app.state.resources
        people = [("pol", "police", "Patna Kotwali"), ("off", "dcpu", ""), ("adm", "admin", "")]
        add_users(res, password=PASSWORD, people=[(name, role, "Bihar", "Patna", unit) for name, role, unit in people])

        def auth(name: str) -> dict[str, str]:
            token = client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}

        assert client.post("/auth/token", data={"username": "pol", "password": "wrong"}).status_code == 401
        police, officer, admin = auth("pol"), auth("off"), auth("adm")
        report = missing_report(id="MP-S-1", name="Yadavi Rathore", sex="F", age=8)
        assert client.post("/records", json=report, headers=police).status_code == 201
        arrival = found_child(id="FC-S-1", name="Yadavi Rathore", sex="F", age=8, place={"district": "Patna", "state": "Bihar"})
        assert client.post("/records", json=arrival, headers=admin).json()["matching"] == "queued"
        assert run_match_jobs(res).queued == 1  # the match job, after the answer
        second = missing_report(id="MP-S-2", name="Yadavi Rathor", sex="F", age=8, date="2025-01-12")
        assert client.post("/records", json=second, headers=police).json()["matching"] == "queued"
        assert run_match_jobs(res).flagged == 1
        pair = next(p for p in client.get("/review/queue", headers=officer).json() if p["missing_key"] == "missing:MP-S-1")
        decided = client.post(f"/review/pairs/{pair['pk']}/decision", json={"decision": "confirm", "note": "family met"}, headers=officer)
        assert decided.status_code == 200
        flag = client.get("/review/duplicates", headers=officer).json()[0]
        body = {"decision": "duplicate", "note": "same girl"}
        assert client.post(f"/review/duplicates/{flag['pk']}/decision", json=body, headers=officer).json()["status"] == "duplicate"
        archived = client.post("/records/retention/run", params={"days": 0}, headers=admin).json()["archived"]
        assert sorted(archived) == ["found:FC-S-1", "missing:MP-S-1"]
        chain = client.get("/audit/verify", headers=admin).json()
        assert chain["ok"] and chain["entries"] >= 10, chain
