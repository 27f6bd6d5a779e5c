"""Schemathesis over the whole OpenAPI, in process, as a logged-in admin: no answer may be a 5xx.

Admin reaches every code path (role checks would otherwise turn most cases into early 403s);
the unauthenticated and per-role behaviour is covered by the access matrix.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from search_api.app import create_app
from search_api.config import Settings
from search_api.users import service as users
from search_api.users.schemas import UserCreate
from tests.conftest import SAMPLE_RECORDS

pytestmark = pytest.mark.slow
_DATA = Path(tempfile.mkdtemp(prefix="trackchild-fuzz-"))
atexit.register(shutil.rmtree, _DATA, True)
APP = create_app(Settings.isolated(data_dir=_DATA / "data", login_attempts_per_minute=100_000, photo_searches_per_minute=100_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
SEEN: Counter[int] = Counter()
SERVER_ERRORS: list[str] = []


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    """One in-process client for every case: the lifespan (store, indexes) starts once."""
    with asgi.get_client(APP) as session:
        # the face models load here, not inside a case's 10 s read timeout (two embedders on a busy machine)
        APP.state.resources.face_pipeline.load()
        yield session


@pytest.fixture(scope="module")
def admin_token(client) -> str:  # type: ignore[no-untyped-def]
    res = APP.state.resources
    with res.session_factory() as session:
        users.create(session=session, user_in=UserCreate(username="fuzz-admin", role="admin", password="fuzz password 2026"))
        session.commit()
    res.ingestor().ingest_file(SAMPLE_RECORDS)
    token = client.post("/auth/token", data={"username": "fuzz-admin", "password": "fuzz password 2026"}).json()["access_token"]
    yield token
    report = Path("test-artifacts")
    report.mkdir(exist_ok=True)
    (report / "openapi-fuzz.txt").write_text(
        f"cases: {sum(SEEN.values())}\nstatus counts: {dict(sorted(SEEN.items()))}\n5xx: {len(SERVER_ERRORS)}\n" + "\n".join(SERVER_ERRORS)
    )


SESSION_ENDING = ("/auth/logout", "/auth/logout-all", "/auth/password")


def _throwaway_token(client) -> str:  # type: ignore[no-untyped-def]
    res = APP.state.resources
    with res.session_factory() as session:
        if users.get_by_username(session=session, username="fuzz-other") is None:
            other = UserCreate(username="fuzz-other", role="police", state="Bihar", district="Patna", unit="Kotwali", unit_code="FUZZ-PS-1",
                               password="fuzz password 2026")  # fmt: skip
            users.create(session=session, user_in=other)
            session.commit()
    return client.post("/auth/token", data={"username": "fuzz-other", "password": "fuzz password 2026"}).json()["access_token"]


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("TRACKCHILD_FUZZ_EXAMPLES", "25")),  # more for a deeper local run
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case, client, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    headers = {**(case.headers or {}), "Authorization": f"Bearer {admin_token}"}
    if case.path in SESSION_ENDING:  # these end the caller's sessions: a throwaway user's, so later cases keep the admin's
        headers["Authorization"] = f"Bearer {_throwaway_token(client)}"
    if case.path == "/auth/token":
        headers.pop("Authorization")
    response = case.call(session=client, headers=headers)
    SEEN[response.status_code] += 1
    if response.status_code >= 500:
        SERVER_ERRORS.append(f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}")
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
